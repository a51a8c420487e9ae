// The reveal dialog: the only place a new token's secret ever is, in its
// memory and DOM, both cleared when it closes.

import { config } from './config.mjs';
import { openDialog } from './dialogs.mjs';
import { $, h, toast } from './dom.mjs';
import { formatDate } from './format.mjs';
import { language, t } from './i18n.mjs';

// usage is how to call an API with the new token, as curl, Python and
// PowerShell: the first scope's API (crm when none) at the demo API's URL.
// An own scope such as tokens:self-rotate opens no API: it is passed over.
export function usage(apiURL, catalog, scopes) {
  const [first] = scopes.filter((s) => /:(read|create|update|delete)$/.test(s)).concat(['crm:read']);
  const [resource] = first.split(':');
  const r = catalog.find((c) => c.name === resource);
  const url = `${apiURL}${r && r.paths[0] ? r.paths[0] : `/api/${resource}`}`;
  return {
    curl: `curl -H "Authorization: Bearer $PAT_TOKEN" ${url}`,
    python: `import os, requests\n\nresp = requests.get(\n    "${url}",\n    headers={"Authorization": f"Bearer {os.environ['PAT_TOKEN']}"},\n    timeout=10,\n)\nresp.raise_for_status()\nprint(resp.json())`,
    powershell: `$headers = @{ Authorization = "Bearer $env:PAT_TOKEN" }\nInvoke-RestMethod -Uri "${url}" -Headers $headers`,
  };
}

// revealDialog shows a created or rotated token once; it resolves when the
// dialog closes and the secret is gone. Escape does not close it at once:
// it asks first, since the secret will never be shown again (after a
// rotation the old token is already revoked).
export function revealDialog(created, me, heading) {
  let secret = created.token; // dropped when the dialog closes
  return new Promise((resolve) => {
    let ask = null; // the confirmation Escape brings up
    openDialog(heading, ({ close, title }) => {
      const input = h('input', { type: 'text', readonly: true, id: 'new-token', 'aria-label': t('reveal.tokenLabel'), spellcheck: 'false', autocomplete: 'off' });
      input.value = secret;
      const copy = h('button', { type: 'button', class: 'primary', id: 'copy-token' }, t('reveal.copy'));
      copy.addEventListener('click', async () => {
        try {
          await navigator.clipboard.writeText(secret);
        } catch {
          input.select(); // the clipboard API needs a secure context; fall back to a selection
          document.execCommand('copy');
        }
        copy.textContent = t('reveal.copied');
        toast(t('reveal.copiedToast'));
      });
      const snippets = usage(config().demoApiUrl || location.origin, me.catalog, created.scopes);
      const pre = h('pre', {}, h('code', {}, snippets.curl));
      const tabs = h('div', { class: 'tabs', role: 'group', 'aria-label': t('reveal.example') }, Object.entries({ curl: 'curl', python: 'Python requests', powershell: 'PowerShell' })
        .map(([k, label]) => h('button', {
          type: 'button', 'aria-selected': k === 'curl' ? 'true' : 'false',
          onclick: (e) => {
            pre.firstChild.textContent = snippets[k];
            tabs.querySelectorAll('button').forEach((b) => b.setAttribute('aria-selected', String(b === e.currentTarget)));
          },
        }, label)));
      const done = h('button', { type: 'button', onclick: close, id: 'reveal-done' }, t('reveal.done'));
      const keep = h('button', { type: 'button', class: 'primary', id: 'reveal-keep', onclick: () => { ask.hidden = true; input.focus(); } }, t('reveal.keepOpen'));
      ask = h('div', { class: 'notice error', role: 'alertdialog', id: 'reveal-ask', hidden: true, 'aria-labelledby': 'reveal-ask-text' },
        h('p', { id: 'reveal-ask-text' }, h('strong', {}, t('reveal.askTitle')), ' ', t('reveal.askText')),
        h('div', { class: 'buttons' }, keep, h('button', { type: 'button', class: 'danger', id: 'reveal-discard', onclick: close }, t('reveal.closeAnyway'))));
      const expiry = created.expiresAt ? formatDate(created.expiresAt, { locale: language() }) : t('token.neverExpires');
      return h('div', { class: 'body' }, title,
        h('div', { class: 'notice warn', role: 'note' }, h('strong', {}, t('reveal.copyNow')), ' ', t('reveal.onlyOnce')),
        h('p', {}, t('reveal.summary', { name: created.name, scopes: created.scopes.join(', '), expires: expiry })),
        h('div', { class: 'secret' }, input, copy),
        h('p', { class: 'small muted' }, t('reveal.keepSafe')),
        tabs, pre,
        ask,
        h('div', { class: 'buttons' }, done));
    }, {
      guard() {
        ask.hidden = false;
        ask.querySelector('#reveal-keep').focus();
      },
      onClose() {
        // Forget the secret: the input, the dialog (removed by openDialog) and this closure.
        const input = $('#new-token');
        if (input) { input.value = ''; input.removeAttribute('value'); }
        secret = null;
        created.token = null;
        resolve();
      },
    });
  });
}
