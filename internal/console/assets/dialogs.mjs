// Dialogs: native <dialog>, modal (focus stays inside, Escape closes, and
// focus goes back to what opened it).

import { ApiError } from './api.mjs';
import { $, append, errorBox, h, main, toast } from './dom.mjs';
import { t, tn } from './i18n.mjs';
import { randomString } from './oidc.mjs';

// openDialog shows build's content in a modal dialog, removed when closed.
// guard(close), when given, answers Escape instead of closing: the dialog
// closes only when guard calls close.
export function openDialog(title, build, { onClose, guard } = {}) {
  const opener = document.activeElement;
  const titleId = `d-${randomString(6)}`;
  const dlg = h('dialog', { 'aria-labelledby': titleId });
  let closing = false; // closed by close(), not by the browser
  const close = () => { closing = true; dlg.close(); };
  append(dlg, [build({ close, titleId, title: h('h2', { id: titleId }, title), dialog: dlg })]);
  if (guard) {
    dlg.addEventListener('cancel', (e) => { e.preventDefault(); guard(close); });
  }
  dlg.addEventListener('close', () => {
    if (guard && !closing) {
      // The browser may close a dialog without a cancelable cancel event
      // (a second Escape without a click between): open it again and ask.
      dlg.showModal();
      guard(close);
      return;
    }
    if (onClose) onClose();
    dlg.remove();
    // Back to the button that opened it; when a page change removed it,
    // to the page's content, never to <body>.
    const back = opener && opener !== document.body && opener.isConnected ? opener : main();
    back.focus();
  });
  document.body.append(dlg);
  dlg.showModal();
  const first = dlg.querySelector('[autofocus]') || dlg.querySelector('input, select, textarea, button');
  if (first) first.focus();
  return dlg;
}

// formDialog: a form whose submit runs fn(form, close); errors stay in the
// dialog until the reader changes something. valid(form), when given,
// enables the submit button.
export function formDialog(title, fields, submitText, fn, { danger = false, intro = null, valid = null } = {}) {
  return openDialog(title, ({ close, title: tt }) => {
    const err = h('div', { 'aria-live': 'assertive', class: 'form-error' });
    const submit = h('button', { type: 'submit', class: danger ? 'danger' : 'primary' }, submitText);
    const form = h('form', { novalidate: true }, tt, intro, err, fields,
      h('div', { class: 'buttons' }, h('button', { type: 'button', onclick: close }, t('common.cancel')), submit));
    const check = () => { if (valid) submit.disabled = !valid(form); };
    const changed = () => { err.replaceChildren(); check(); };
    form.addEventListener('input', changed);
    form.addEventListener('change', changed);
    check();
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      if (!form.reportValidity()) return;
      submit.disabled = true;
      err.replaceChildren();
      try {
        await fn(form, close, submit);
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
// previewed and enables the button only when that number is typed. When
// the count changes meanwhile, the text, the label and the button all
// name the new one. whose(n) is the intro's sentence for n tokens.
export function typedCountDialog(title, whose, count, fn, { reason = false } = {}) {
  const input = h('input', { type: 'text', inputmode: 'numeric', autocomplete: 'off', required: true, name: 'count' });
  const reasonInput = reason ? h('input', { type: 'text', name: 'reason', maxlength: 500 }) : null;
  let expected = count;
  const intro = h('p', {}, whose(count), ' ', t('revokeAll.consequence'));
  const countField = field(t('revokeAll.typeToConfirm', { count: String(count) }), input);
  return formDialog(title, [
    countField,
    reasonInput ? field(t('common.reason'), reasonInput, t('revokeAll.reasonHint')) : null,
  ], tn('revokeAll.button', count), async (form, close, submit) => {
    try {
      const res = await fn(expected, reasonInput?.value || '');
      close();
      toast(res.complete ? tn('revokeAll.done', res.revoked) : tn('revokeAll.partial', res.revoked));
    } catch (e) {
      if (e instanceof ApiError && e.code === 'confirmation_mismatch' && typeof e.problem.count === 'number') {
        expected = e.problem.count;
        intro.textContent = `${t('revokeAll.countChanged')} ${whose(expected)}`;
        $('label', countField).textContent = t('revokeAll.typeToConfirm', { count: String(expected) });
        submit.textContent = tn('revokeAll.button', expected);
        input.value = '';
      }
      throw e;
    }
  }, { danger: true, intro, valid: () => input.value.trim() === String(expected) && expected > 0 });
}
