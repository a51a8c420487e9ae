// The administration pages: every user's tokens, users and their limits,
// and the audit log. The server checks the role on every call; a
// non-administrator who opens these URLs sees its 403 in words.

import { api, ApiError, describe, qs } from './api.mjs';
import { createForUserDialog } from './createForUser.mjs';
import { field, formDialog, typedCountDialog } from './dialogs.mjs';
import { errorBox, h, link, show, toast } from './dom.mjs';
import { dateOf, dayStart } from './format.mjs';
import { eventTable, tokenTable } from './lists.mjs';
import { navigate, route } from './router.mjs';
import { BASE, userPath } from './routes.mjs';
import { t } from './strings-directory.mjs';
import { me } from './user.mjs';
import { ACTIONS, badge, checkedScopes, chips, scopeGrid } from './widgets.mjs';

const AUDIT_ACTIONS = ['token.created', 'token.updated', 'token.rotated', 'token.revoked', 'token.extended',
  'token.expired', 'token.deleted', 'token.locked', 'token.unlocked', 'user.updated', 'user.email_changed'];

const userAPI = (id) => `/admin/users/${encodeURIComponent(id)}`;

export function adminNav(current) {
  const item = (href, text, key) => link(href, text, { 'aria-current': key === current ? 'page' : null });
  return h('nav', { class: 'subnav', 'aria-label': 'Administration' },
    item(`${BASE}admin/tokens`, 'All tokens', 'tokens'),
    item(`${BASE}admin/users`, 'Users', 'users'),
    item(`${BASE}admin/audit`, 'Audit log', 'audit'));
}

// filterForm: fields are [name, label, input]; onApply gets their values.
function filterForm(fields, values, onApply) {
  const form = h('form', { class: 'filters', role: 'search' }, fields.map(([name, label, input]) => {
    input.name = name;
    if (values[name] !== undefined) input.value = values[name];
    return field(label, input);
  }), h('button', { type: 'submit', class: 'primary' }, 'Apply'));
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const v = {};
    for (const [name] of fields) v[name] = form.elements[name].value.trim();
    onApply(v);
  });
  return form;
}

// pageAdminTokens is every user's tokens, filtered by the address's query.
export async function pageAdminTokens() {
  const q = Object.fromEntries(new URLSearchParams(location.search));
  const filters = { owner: q.owner || '', status: q.status || '', expiringBefore: dateOf(q.expiringBefore), lastUsedBefore: dateOf(q.lastUsedBefore) };
  const list = h('div', {}, h('p', { class: 'muted' }, 'Loading…'));
  const refresh = () => route();
  const ownerBtn = h('button', { type: 'button', class: 'danger-outline', id: 'revoke-owner', disabled: !filters.owner,
    title: filters.owner ? null : 'Filter by an owner first', onclick: () => adminRevokeAll({ owner: filters.owner }, `of ${filters.owner}`) },
  filters.owner ? `Revoke all of ${filters.owner}'s tokens…` : 'Revoke all of an owner\'s tokens…');
  const everyoneBtn = h('button', { type: 'button', class: 'danger-outline', id: 'revoke-everyone', onclick: () => adminRevokeAll({ everyone: true }, 'of every user') }, 'Revoke everyone\'s tokens…');
  show(
    h('div', { class: 'head' }, h('div', {}, h('h1', {}, 'Administration'), h('p', { class: 'muted' }, 'Every user\'s tokens. Owners are told by mail when you lock, unlock or revoke their tokens.')),
      h('div', { class: 'actions' }, ownerBtn, everyoneBtn)),
    adminNav('tokens'),
    filterForm([
      ['owner', 'Owner (user id or email)', h('input', { type: 'text', autocomplete: 'off' })],
      ['status', 'Status', h('select', {}, ['', 'active', 'locked', 'expired', 'revoked'].map((s) => h('option', { value: s }, s || 'any')))],
      ['expiringBefore', 'Expiring before', h('input', { type: 'date' })],
      ['lastUsedBefore', 'Not used since', h('input', { type: 'date' })],
    ], filters, (v) => navigate(`${BASE}admin/tokens${qs({ owner: v.owner, status: v.status, expiringBefore: dayStart(v.expiringBefore), lastUsedBefore: dayStart(v.lastUsedBefore) })}`)),
    list);
  const actions = (t) => [
    t.status === 'active' ? h('button', { type: 'button', onclick: () => lockDialog(t, true, refresh) }, 'Lock') : null,
    t.status === 'locked' ? h('button', { type: 'button', onclick: () => lockDialog(t, false, refresh) }, 'Unlock') : null,
    t.status === 'active' || t.status === 'locked' ? h('button', { type: 'button', class: 'danger-outline', onclick: () => adminRevokeDialog(t, refresh) }, 'Revoke') : null,
  ];
  await tokenTable(list, (cursor) => api('GET', `/admin/tokens${qs({ owner: filters.owner, status: filters.status, expiringBefore: dayStart(filters.expiringBefore), lastUsedBefore: dayStart(filters.lastUsedBefore), cursor, limit: 50 })}`), { admin: true, actions });
}

export function lockDialog(t, lock, after) {
  const reason = h('input', { type: 'text', name: 'reason', maxlength: 500, required: lock, autofocus: true });
  formDialog(lock ? `Lock “${t.name}” of ${t.userId}?` : `Unlock “${t.name}” of ${t.userId}?`,
    [field(lock ? 'Reason (required)' : 'Reason', reason, lock ? 'The owner gets a mail with this reason.' : 'Optional; the owner is told.')],
    lock ? 'Lock token' : 'Unlock token', async (_f, close) => {
      await api('POST', `/admin/tokens/${encodeURIComponent(t.id)}/${lock ? 'lock' : 'unlock'}`, { reason: reason.value.trim() });
      close();
      toast(lock ? 'Locked. The owner was told.' : 'Unlocked. The owner was told.');
      if (after) await after();
    }, {
      danger: lock,
      intro: h('p', {}, lock ? 'A locked token gets 401 at once, until an administrator unlocks it. It is not revoked.' : 'The token works again from its next request.'),
      valid: lock ? () => reason.value.trim() !== '' : null,
    });
}

export function adminRevokeDialog(t, after) {
  const reason = h('input', { type: 'text', name: 'reason', maxlength: 500 });
  formDialog(`Revoke “${t.name}” of ${t.userId}?`, [field('Reason', reason, 'Optional; the owner gets a mail with it.')], 'Revoke token', async (_f, close) => {
    await api('DELETE', `/admin/tokens/${encodeURIComponent(t.id)}`, { reason: reason.value.trim() });
    close();
    toast('Revoked. The owner was told.');
    if (after) await after();
  }, { danger: true, intro: h('p', {}, 'Anything using it gets 401 at once. This cannot be undone.') });
}

async function adminRevokeAll(target, what) {
  try {
    const { count } = await api('POST', '/admin/tokens/revoke-all', { ...target, preview: true });
    if (count === 0) { toast('There are no active or locked tokens to revoke.'); return; }
    typedCountDialog(target.everyone ? 'Revoke every user\'s tokens?' : `Revoke all tokens of ${target.owner}?`, what, count, async (n, reason) => {
      const res = await api('POST', '/admin/tokens/revoke-all', { ...target, confirm: n, reason });
      await route();
      return res;
    }, { reason: true });
  } catch (e) {
    toast(describe(e));
  }
}

// pageAdminUser is one user: status, permissions and the administrator's
// limit, also for a user who has not signed in yet.
export async function pageAdminUser(id) {
  let u;
  try {
    u = await api('GET', userAPI(id));
  } catch (e) {
    if (!(e instanceof ApiError) || e.code !== 'not_found') throw e;
    u = null;
  }
  const catalog = me().catalog;
  const head = h('div', { class: 'head' }, h('div', {}, h('h1', {}, id, ' ', u ? badge(u.status) : null), u?.name ? h('p', { id: 'user-name' }, u.name) : null, u?.email ? h('p', { class: 'muted' }, u.email) : null),
    h('div', { class: 'actions' },
      link(`${BASE}admin/tokens${qs({ owner: id })}`, 'Tokens', { class: 'button' }),
      link(`${BASE}admin/audit${qs({ owner: id })}`, 'Audit log', { class: 'button' }),
      u && u.status === 'active' && u.effectivePermissions.length
        ? h('button', { type: 'button', class: 'primary', id: 'create-for-user', onclick: () => createForUserDialog(u) }, t('createFor.button')) : null,
      (!u || u.status === 'active')
        ? h('button', { type: 'button', class: 'danger', id: 'disable-user', onclick: () => userStatusDialog(id, 'disabled') }, 'Disable user')
        : h('button', { type: 'button', class: 'primary', id: 'enable-user', onclick: () => userStatusDialog(id, 'active') }, 'Enable user')));
  const limitForm = h('form', { id: 'limit-form' },
    h('fieldset', {}, h('legend', {}, 'Narrow permissions'),
      h('p', { class: 'hint' }, 'Tokens of this user may do at most what is ticked, whatever the identity provider grants later. Leave all unticked to allow nothing.'),
      h('div', { class: 'scroll' }, scopeGrid(catalog, catalog.flatMap((r) => ACTIONS.map((a) => `${r.name}:${a}`)), u ? (u.permissionLimit ?? u.permissions) : [], 'limit'))),
    field('Reason', h('input', { type: 'text', name: 'reason', maxlength: 500 }), 'Optional; recorded in the audit log.'),
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary' }, 'Save limit'),
      u?.permissionLimit ? h('button', { type: 'button', id: 'remove-limit', onclick: () => saveLimit(id, null, limitForm) }, 'Remove limit') : null));
  limitForm.addEventListener('submit', (e) => { e.preventDefault(); saveLimit(id, checkedScopes(limitForm, 'limit'), limitForm); });
  show(h('p', {}, link(`${BASE}admin/users`, '← Users')), adminNav('users'), head,
    u ? null : h('div', { class: 'notice info' }, 'This user has not signed in yet. You can disable them or limit their permissions in advance.'),
    u ? h('div', { class: 'card' }, h('dl', { class: 'facts' },
      h('dt', {}, 'Status'), h('dd', {}, badge(u.status)),
      h('dt', {}, 'From the identity provider'), h('dd', {}, u.permissions.length ? chips(u.permissions) : h('span', { class: 'muted' }, 'none')),
      h('dt', {}, 'Administrator\'s limit'), h('dd', {}, u.permissionLimit ? (u.permissionLimit.length ? chips(u.permissionLimit) : 'nothing') : h('span', { class: 'muted' }, 'no limit')),
      h('dt', {}, 'Effective permissions'), h('dd', { id: 'effective' }, u.effectivePermissions.length ? chips(u.effectivePermissions) : h('span', { class: 'muted' }, 'none')),
      h('dt', {}, 'Active tokens'), h('dd', {}, String(u.activeTokens)))) : null,
    h('h2', {}, 'Permissions'), limitForm);
}

async function saveLimit(id, permissions, form) {
  const reason = form.elements.reason.value.trim();
  try {
    await api('PATCH', userAPI(id), { permissions, reason });
    toast(permissions === null ? 'Limit removed.' : 'Limit saved.');
    await route();
  } catch (e) {
    form.prepend(errorBox(e));
  }
}

function userStatusDialog(id, status) {
  const reason = h('input', { type: 'text', name: 'reason', maxlength: 500, autofocus: true });
  const disable = status === 'disabled';
  formDialog(disable ? `Disable ${id}?` : `Enable ${id}?`, [field('Reason', reason, 'Optional; recorded in the audit log.')], disable ? 'Disable user' : 'Enable user', async (_f, close) => {
    await api('PATCH', userAPI(id), { status, reason: reason.value.trim() });
    close();
    toast(disable ? 'Disabled.' : 'Enabled.');
    await route();
  }, {
    danger: disable,
    intro: h('p', {}, disable ? 'Every token of this user gets 401 from its next request, and they cannot create tokens. Their tokens are kept: enabling restores them.' : 'Their tokens work again from the next request.'),
  });
}

// pageAudit is the audit log, filtered by the address's query.
export async function pageAudit() {
  const q = Object.fromEntries(new URLSearchParams(location.search));
  const f = { actor: q.actor || '', owner: q.owner || '', token: q.token || '', action: q.action || '', from: dateOf(q.from), to: dateOf(q.to) };
  const list = h('div', {}, h('p', { class: 'muted' }, 'Loading…'));
  show(h('h1', {}, 'Administration'), adminNav('audit'),
    filterForm([
      ['actor', 'Actor', h('input', { type: 'text', autocomplete: 'off' })],
      ['owner', 'Owner', h('input', { type: 'text', autocomplete: 'off' })],
      ['token', 'Token id', h('input', { type: 'text', autocomplete: 'off' })],
      ['action', 'Action', h('select', {}, ['', ...AUDIT_ACTIONS].map((a) => h('option', { value: a }, a || 'any')))],
      ['from', 'From', h('input', { type: 'date' })],
      ['to', 'Before', h('input', { type: 'date' })],
    ], f, (v) => navigate(`${BASE}admin/audit${qs({ ...v, from: dayStart(v.from), to: dayStart(v.to) })}`)),
    list);
  await eventTable(list, (cursor) => api('GET', `/admin/audit${qs({ actor: f.actor, owner: f.owner, token: f.token, action: f.action, from: dayStart(f.from), to: dayStart(f.to), cursor, limit: 50 })}`), true);
}
