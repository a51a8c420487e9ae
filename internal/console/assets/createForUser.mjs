// An administrator creates a token for a user (POST /admin/users/{id}/tokens):
// the scopes offered are the user's, not the administrator's; the reveal
// shows the token to the administrator once, and the user is mailed.

import { api, ApiError } from './api.mjs';
import { field, formDialog } from './dialogs.mjs';
import { h } from './dom.mjs';
import { revealDialog } from './reveal.mjs';
import { route } from './router.mjs';
import { t } from './i18n.mjs';
import { me } from './user.mjs';
import { checkedScopes, expirySelect, scopeGrid } from './widgets.mjs';

// createForUserDialog opens the form for user u (GET /admin/users/{id}).
export function createForUserDialog(u) {
  const mine = me();
  const who = u.name || u.email || u.id;
  const name = h('input', { type: 'text', name: 'name', required: true, maxlength: 100, autocomplete: 'off', autofocus: true });
  const desc = h('textarea', { name: 'description', maxlength: 500 });
  const expiry = expirySelect(mine, 'expiry'); // the deployment's rules, the same for everyone
  formDialog(`${t('createFor.title')} ${who}`, [
    field(t('createFor.name'), name, t('createFor.nameHint')),
    field(t('createFor.description'), desc, t('createFor.optional')),
    h('fieldset', {}, h('legend', {}, t('createFor.scopes')),
      h('p', { class: 'hint' }, t('createFor.scopesHint')),
      h('div', { class: 'scroll' }, scopeGrid(mine.catalog, u.effectivePermissions))),
    expiry.el,
  ], t('createFor.submit'), async (form, close) => {
    const scopes = checkedScopes(form);
    if (scopes.length === 0) throw new ApiError(400, { code: 'invalid_request', detail: t('createFor.noScope') });
    const created = await api('POST', `/admin/users/${encodeURIComponent(u.id)}/tokens`,
      { name: name.value.trim(), description: desc.value.trim(), scopes, ...expiry.value() });
    close();
    await revealDialog(created, mine, `${t('createFor.revealed')} ${who}`);
    await route();
  }, { intro: h('p', {}, t('createFor.intro')) });
}
