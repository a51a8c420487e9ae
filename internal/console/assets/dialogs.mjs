// Dialogs: native <dialog>, modal (focus stays inside, Escape closes).

import { ApiError } from './api.mjs';
import { $, append, errorBox, h, toast } from './dom.mjs';
import { count as counted } from './format.mjs';
import { randomString } from './oidc.mjs';

// openDialog shows build's content in a modal dialog, removed when closed.
export function openDialog(title, build, { onClose } = {}) {
  const titleId = `d-${randomString(6)}`;
  const dlg = h('dialog', { 'aria-labelledby': titleId });
  const close = () => dlg.close();
  append(dlg, [build({ close, titleId, title: h('h2', { id: titleId }, title), dialog: dlg })]);
  dlg.addEventListener('close', () => {
    if (onClose) onClose();
    dlg.remove();
  });
  document.body.append(dlg);
  dlg.showModal();
  const first = dlg.querySelector('[autofocus]') || dlg.querySelector('input, select, textarea, button');
  if (first) first.focus();
  return dlg;
}

// formDialog: a form whose submit runs fn(form, close); errors stay in the
// dialog. valid(form), when given, enables the submit button.
export function formDialog(title, fields, submitText, fn, { danger = false, intro = null, valid = null } = {}) {
  return openDialog(title, ({ close, title: t }) => {
    const err = h('div', { 'aria-live': 'assertive' });
    const submit = h('button', { type: 'submit', class: danger ? 'danger' : 'primary' }, submitText);
    const form = h('form', { novalidate: true }, t, intro, err, fields,
      h('div', { class: 'buttons' }, h('button', { type: 'button', onclick: close }, 'Cancel'), submit));
    const check = () => { if (valid) submit.disabled = !valid(form); };
    form.addEventListener('input', check);
    check();
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      if (!form.reportValidity()) return;
      submit.disabled = true;
      err.replaceChildren();
      try {
        await fn(form, close);
      } catch (ex) {
        err.replaceChildren(errorBox(ex));
        submit.disabled = false;
        check();
      }
    });
    return form;
  });
}

// field is a labelled input with an optional hint.
export function field(labelText, input, hint) {
  const id = input.id || `f-${randomString(6)}`;
  input.id = id;
  const hintEl = hint ? h('span', { class: 'hint', id: `${id}-hint` }, hint) : null;
  if (hintEl) input.setAttribute('aria-describedby', hintEl.id);
  return h('div', { class: 'field' }, h('label', { for: id }, labelText), input, hintEl);
}

export function confirmDialog(title, text, action, fn) {
  return formDialog(title, [], action, async (_f, close) => { await fn(); close(); }, { danger: true, intro: h('p', {}, text) });
}

// typedCountDialog guards a mass revocation: it shows the count the server
// previewed and enables the button only when that number is typed.
export function typedCountDialog(title, what, count, fn, { reason = false } = {}) {
  const input = h('input', { type: 'text', inputmode: 'numeric', autocomplete: 'off', required: true, name: 'count' });
  const reasonInput = reason ? h('input', { type: 'text', name: 'reason', maxlength: 500 }) : null;
  let expected = count;
  const intro = h('p', {}, `This revokes ${counted(count, 'token')} ${what}. Anything using them gets 401 at once. This cannot be undone.`);
  return formDialog(title, [
    field(`Type ${count} to confirm`, input),
    reasonInput ? field('Reason', reasonInput, 'Optional; recorded in the audit log and told to owners.') : null,
  ], `Revoke ${counted(count, 'token')}`, async (form, close) => {
    try {
      const res = await fn(expected, reasonInput?.value || '');
      close();
      toast(`Revoked ${counted(res.revoked, 'token')}${res.complete ? '' : ': not finished, repeat to revoke the rest'}.`);
    } catch (e) {
      if (e instanceof ApiError && e.code === 'confirmation_mismatch' && typeof e.problem.count === 'number') {
        expected = e.problem.count;
        intro.textContent = `The count changed: this now revokes ${counted(expected, 'token')} ${what}.`;
        $('label', form).textContent = `Type ${expected} to confirm`;
        input.value = '';
      }
      throw e;
    }
  }, { danger: true, intro, valid: () => input.value.trim() === String(expected) && expected > 0 });
}
