// The administration pages: every user's tokens, users and their limits,
// and the audit log. The server checks the role on every call; a
// non-administrator who opens these URLs sees its 403 in words.

import { api, ApiError, describe, qs } from './api.mjs';
import { createForUserDialog } from './createForUser.mjs';
import { confirmDialog, field, formDialog, typedCountDialog } from './dialogs.mjs';
import { errorBox, h, link, show, toast } from './dom.mjs';
import { dateOf, dayStart } from './format.mjs';
import { t, tn } from './i18n.mjs';
import { AUDIT_ACTIONS, actionText, eventTable, filterForm, tokenTable } from './lists.mjs';
import { navigate, route } from './router.mjs';
import { leakedDialog } from './tokens.mjs';
import { BASE, userPath } from './routes.mjs';
import { me } from './user.mjs';
import { ACTIONS, badge, checkedScopes, chips, scopeGrid, statusText } from './widgets.mjs';

const userAPI = (id) => `/admin/users/${encodeURIComponent(id)}`;

export function adminNav(current) {
  const item = (href, text, key) => link(href, text, { 'aria-current': key === current ? 'page' : null });
  return h('nav', { class: 'subnav', 'aria-label': t('admin.title') },
    item(`${BASE}admin/tokens`, t('admin.allTokens'), 'tokens'),
    item(`${BASE}admin/users`, t('admin.users'), 'users'),
    item(`${BASE}admin/audit`, t('admin.audit'), 'audit'));
}

// pageAdminTokens is every user's tokens, filtered by the address's query.
export async function pageAdminTokens() {
  const q = Object.fromEntries(new URLSearchParams(location.search));
  const filters = { owner: q.owner || '', status: q.status || '', sort: ['expires', 'lastUsed'].includes(q.sort) ? q.sort : '', expiringBefore: dateOf(q.expiringBefore), lastUsedBefore: dateOf(q.lastUsedBefore) };
  // The server orders every token by expiry or last use, not one owner's:
  // with an owner the list is newest first.
  const sort = filters.owner ? '' : filters.sort;
  const list = h('div', {}, h('p', { class: 'muted' }, t('common.loading')));
  const refresh = () => route();
  const ownerBtn = h('button', { type: 'button', class: 'danger-outline', id: 'revoke-owner', disabled: !filters.owner,
    title: filters.owner ? null : t('admin.filterOwnerFirst'), onclick: () => adminRevokeAll({ owner: filters.owner }) },
  filters.owner ? t('admin.revokeOwner', { owner: filters.owner }) : t('admin.revokeAnOwner'));
  const everyoneBtn = h('button', { type: 'button', class: 'danger-outline', id: 'revoke-everyone', onclick: () => adminRevokeAll({ everyone: true }) }, t('admin.revokeEveryone'));
  show(
    h('div', { class: 'head' }, h('div', {}, h('h1', {}, t('admin.title')), h('p', { class: 'muted' }, t('admin.tokensIntro'))),
      h('div', { class: 'actions' }, ownerBtn, everyoneBtn)),
    adminNav('tokens'),
    filterForm([
      ['owner', t('admin.ownerFilter'), h('input', { type: 'text', autocomplete: 'off' })],
      ['status', t('col.status'), h('select', {}, ['', 'active', 'locked', 'expired', 'revoked'].map((s) => h('option', { value: s }, s ? statusText(s) : t('common.any'))))],
      ['sort', t('admin.sort'), h('select', { id: 'tokens-sort' }, [['', 'created'], ['expires', 'expires'], ['lastUsed', 'lastUsed']].map(([v, k]) => h('option', { value: v }, t(`admin.sort.${k}`))))],
      ['expiringBefore', t('admin.expiringBefore'), h('input', { type: 'date' })],
      ['lastUsedBefore', t('admin.notUsedSince'), h('input', { type: 'date' })],
    ], filters, (v) => navigate(`${BASE}admin/tokens${qs({ owner: v.owner, status: v.status, sort: v.sort, expiringBefore: dayStart(v.expiringBefore), lastUsedBefore: dayStart(v.lastUsedBefore) })}`)),
    list);
  const actions = (tk) => [
    tk.status === 'active' ? h('button', { type: 'button', onclick: () => lockDialog(tk, true, refresh) }, t('admin.lock')) : null,
    tk.status === 'locked' ? h('button', { type: 'button', onclick: () => lockDialog(tk, false, refresh) }, t('admin.unlock')) : null,
    tk.status === 'active' || tk.status === 'locked' ? h('button', { type: 'button', class: 'danger-outline', onclick: () => adminRevokeDialog(tk, refresh) }, t('tokens.revoke')) : null,
    tk.status === 'active' || tk.status === 'locked'
      ? h('button', { type: 'button', class: 'danger-outline', 'aria-label': t('leak.adminAria', { name: tk.name, owner: tk.userId }), onclick: () => leakedDialog(tk, `/admin/tokens/${encodeURIComponent(tk.id)}`, refresh, tk.userId) }, t('leak.adminButton'))
      : null,
  ];
  await tokenTable(list, (cursor) => api('GET', `/admin/tokens${qs({ owner: filters.owner, status: filters.status, sort, expiringBefore: dayStart(filters.expiringBefore), lastUsedBefore: dayStart(filters.lastUsedBefore), cursor, limit: 50 })}`), { admin: true, actions, counted: true });
}

export function lockDialog(tk, lock, after) {
  const reason = h('input', { type: 'text', name: 'reason', maxlength: 500, required: lock, autofocus: true });
  formDialog(lock ? t('lock.title', { name: tk.name, owner: tk.userId }) : t('unlock.title', { name: tk.name, owner: tk.userId }),
    [field(lock ? t('lock.reason') : t('common.reason'), reason, lock ? t('lock.reasonHint') : t('unlock.reasonHint'))],
    lock ? t('lock.submit') : t('unlock.submit'), async (_f, close) => {
      await api('POST', `/admin/tokens/${encodeURIComponent(tk.id)}/${lock ? 'lock' : 'unlock'}`, { reason: reason.value.trim() });
      close();
      toast(lock ? t('lock.done') : t('unlock.done'));
      if (after) await after();
    }, {
      danger: lock,
      intro: h('p', {}, lock ? t('lock.text') : t('unlock.text')),
      valid: lock ? () => reason.value.trim() !== '' : null,
    });
}

export function adminRevokeDialog(tk, after) {
  const reason = h('input', { type: 'text', name: 'reason', maxlength: 500 });
  formDialog(t('adminRevoke.title', { name: tk.name, owner: tk.userId }), [field(t('common.reason'), reason, t('adminRevoke.reasonHint'))], t('revoke.submit'), async (_f, close) => {
    await api('DELETE', `/admin/tokens/${encodeURIComponent(tk.id)}`, { reason: reason.value.trim() });
    close();
    toast(t('adminRevoke.done'));
    if (after) await after();
  }, { danger: true, intro: h('p', {}, t('adminRevoke.text')) });
}

async function adminRevokeAll(target) {
  try {
    const { count } = await api('POST', '/admin/tokens/revoke-all', { ...target, preview: true });
    if (count === 0) { toast(t('revokeAll.noneAdmin')); return; }
    const whose = target.everyone ? (n) => tn('revokeAll.everyone', n) : (n) => tn('revokeAll.owner', n, { owner: target.owner });
    typedCountDialog(target.everyone ? t('revokeAll.titleEveryone') : t('revokeAll.titleOwner', { owner: target.owner }), whose, count, async (n, reason) => {
      const res = await api('POST', '/admin/tokens/revoke-all', { ...target, confirm: n, reason });
      await route();
      return res;
    }, { reason: true });
  } catch (e) {
    toast(describe(e));
  }
}

// holds tells whether granted (the identity provider's permissions, with
// wildcards such as crm:*) covers scope.
const holds = (granted, scope) => granted.includes(scope) || granted.includes(`${scope.split(':')[0]}:*`);

// keeps is what a user may still do after a limit: the ticked scopes they
// hold (a user not seen yet: the ticked scopes).
export const keeps = (u, ticked) => (u ? ticked.filter((s) => holds(u.permissions, s)) : ticked);

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
  const who = u?.email || id;
  const head = h('div', { class: 'head' }, h('div', {}, h('h1', {}, id, ' ', u ? badge(u.status) : null), u?.name ? h('p', { id: 'user-name' }, u.name) : null, u?.email ? h('p', { class: 'muted' }, u.email) : null),
    h('div', { class: 'actions' },
      link(`${BASE}admin/tokens${qs({ owner: id })}`, t('users.tokens'), { class: 'button' }),
      link(`${BASE}admin/audit${qs({ owner: id })}`, t('admin.audit'), { class: 'button' }),
      u && u.status === 'active' && u.effectivePermissions.length
        ? h('button', { type: 'button', class: 'primary', id: 'create-for-user', onclick: () => createForUserDialog(u) }, t('createFor.button')) : null,
      (!u || u.status === 'active')
        ? h('button', { type: 'button', class: 'danger', id: 'disable-user', onclick: () => userStatusDialog(id, 'disabled') }, t('users.disable'))
        : h('button', { type: 'button', class: 'primary', id: 'enable-user', onclick: () => userStatusDialog(id, 'active') }, t('users.enable'))));
  // The narrowing form starts from nothing chosen, so that saving never
  // freezes the current grants by accident, and says what the user keeps.
  const effect = h('p', { id: 'limit-effect', 'aria-live': 'polite' });
  const showEffect = () => {
    const kept = keeps(u, checkedScopes(limitForm, 'limit'));
    effect.replaceChildren(kept.length ? t('limit.keeps', { user: who, scopes: kept.join(', ') }) : t('limit.keepsNothing', { user: who }));
  };
  const limitForm = h('form', { id: 'limit-form' },
    h('fieldset', {}, h('legend', {}, t('limit.title')),
      h('p', { class: 'hint' }, t('limit.hint')),
      h('div', { class: 'scroll' }, scopeGrid(catalog, catalog.flatMap((r) => ACTIONS.map((a) => `${r.name}:${a}`)), [], 'limit'))),
    effect,
    field(t('common.reason'), h('input', { type: 'text', name: 'reason', maxlength: 500 }), t('users.reasonHint')),
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary' }, t('limit.save')),
      u?.permissionLimit ? h('button', { type: 'button', id: 'remove-limit', onclick: () => saveLimit(id, null, limitForm) }, t('limit.remove')) : null));
  limitForm.addEventListener('change', showEffect);
  showEffect();
  limitForm.addEventListener('submit', (e) => {
    e.preventDefault();
    const permissions = checkedScopes(limitForm, 'limit');
    if (permissions.length > 0) { saveLimit(id, permissions, limitForm); return; }
    confirmDialog(t('limit.confirmTitle', { user: who }), t('limit.confirmText'), t('limit.confirmSubmit'), () => saveLimit(id, [], limitForm));
  });
  const none = () => h('span', { class: 'muted' }, t('common.none'));
  show(h('p', {}, link(`${BASE}admin/users`, t('users.back'))), adminNav('users'), head,
    u ? null : h('div', { class: 'notice info' }, t('users.notSeen')),
    u ? h('div', { class: 'card' }, h('dl', { class: 'facts' },
      h('dt', {}, t('col.status')), h('dd', {}, badge(u.status)),
      h('dt', {}, t('users.fromIdp')), h('dd', {}, u.permissions.length ? chips(u.permissions) : none()),
      h('dt', {}, t('users.limit')), h('dd', { id: 'current-limit' }, u.permissionLimit ? (u.permissionLimit.length ? chips(u.permissionLimit) : t('users.limitNothing')) : h('span', { class: 'muted' }, t('users.noLimit'))),
      h('dt', {}, t('users.effective')), h('dd', { id: 'effective' }, u.effectivePermissions.length ? chips(u.effectivePermissions) : none()),
      h('dt', {}, t('users.activeTokens')), h('dd', {}, String(u.activeTokens)))) : null,
    h('h2', {}, t('users.permissions')), limitForm);
}

async function saveLimit(id, permissions, form) {
  const reason = form.elements.reason.value.trim();
  try {
    await api('PATCH', userAPI(id), { permissions, reason });
    toast(permissions === null ? t('limit.removed') : t('limit.saved'));
    await route();
  } catch (e) {
    form.prepend(errorBox(e));
  }
}

function userStatusDialog(id, status) {
  const reason = h('input', { type: 'text', name: 'reason', maxlength: 500, autofocus: true });
  const disable = status === 'disabled';
  formDialog(disable ? t('users.disableTitle', { user: id }) : t('users.enableTitle', { user: id }), [field(t('common.reason'), reason, t('users.reasonHint'))],
    disable ? t('users.disable') : t('users.enable'), async (_f, close) => {
      await api('PATCH', userAPI(id), { status, reason: reason.value.trim() });
      close();
      toast(disable ? t('users.disabled') : t('users.enabled'));
      await route();
    }, {
      danger: disable,
      intro: h('p', {}, disable ? t('users.disableText') : t('users.enableText')),
    });
}

// pageAudit is the audit log, filtered by the address's query.
export async function pageAudit() {
  const q = Object.fromEntries(new URLSearchParams(location.search));
  const f = { actor: q.actor || '', owner: q.owner || '', token: q.token || '', action: q.action || '', from: dateOf(q.from), to: dateOf(q.to) };
  const list = h('div', {}, h('p', { class: 'muted' }, t('common.loading')));
  show(h('h1', {}, t('admin.title')), adminNav('audit'),
    filterForm([
      ['actor', t('col.actor'), h('input', { type: 'text', autocomplete: 'off' })],
      ['owner', t('col.owner'), h('input', { type: 'text', autocomplete: 'off' })],
      ['token', t('token.id'), h('input', { type: 'text', autocomplete: 'off' })],
      ['action', t('col.action'), h('select', {}, ['', ...Object.keys(AUDIT_ACTIONS)].map((a) => h('option', { value: a }, a ? actionText(a) : t('common.any'))))],
      ['from', t('audit.from'), h('input', { type: 'date' })],
      ['to', t('audit.before'), h('input', { type: 'date' })],
    ], f, (v) => navigate(`${BASE}admin/audit${qs({ ...v, from: dayStart(v.from), to: dayStart(v.to) })}`)),
    list);
  await eventTable(list, (cursor) => api('GET', `/admin/audit${qs({ actor: f.actor, owner: f.owner, token: f.token, action: f.action, from: dayStart(f.from), to: dayStart(f.to), cursor, limit: 50 })}`), true);
}
