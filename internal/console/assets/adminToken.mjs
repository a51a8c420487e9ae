// The administrator's view of one token: its details, its owner, its
// audit trail in words, and the actions an administrator takes on it.

import { api, qs } from './api.mjs';
import { adminNav, adminRevokeDialog, lockDialog } from './admin.mjs';
import { errorBox, h, link, show, when } from './dom.mjs';
import { route } from './router.mjs';
import { BASE, userPath } from './routes.mjs';
import { t } from './i18n.mjs';
import { badge, chips, expires, lastUsed } from './widgets.mjs';
import { me } from './user.mjs';

// actionLabel is an audit action in words (the code itself when it has none).
export function actionLabel(action, language) {
  const label = t(`audit.${action}`, language);
  return label === `audit.${action}` ? action : label;
}

// pageAdminToken shows token id (GET /admin/tokens/{id}) and its trail
// (GET /admin/audit?token=), oldest first as it happened.
export async function pageAdminToken(id) {
  const tok = await api('GET', `/admin/tokens/${encodeURIComponent(id)}`);
  const trail = h('div', {}, h('p', { class: 'muted' }, '…'));
  const refresh = () => route();
  const actions = h('div', { class: 'actions' },
    tok.status === 'active' ? h('button', { type: 'button', id: 'lock-token', onclick: () => lockDialog(tok, true, refresh) }, t('adminToken.lock')) : null,
    tok.status === 'locked' ? h('button', { type: 'button', id: 'unlock-token', onclick: () => lockDialog(tok, false, refresh) }, t('adminToken.unlock')) : null,
    tok.status === 'active' || tok.status === 'locked'
      ? h('button', { type: 'button', class: 'danger-outline', id: 'revoke-token', onclick: () => adminRevokeDialog(tok, refresh) }, t('adminToken.revoke')) : null);
  const fact = (key, value) => [h('dt', {}, t(`adminToken.${key}`)), h('dd', { dataset: { fact: key } }, value)];
  show(h('p', {}, link(`${BASE}admin/tokens`, `← ${t('adminToken.back')}`)), adminNav('tokens'),
    h('div', { class: 'head' }, h('div', {}, h('h1', {}, tok.name, ' ', badge(tok.status)), tok.description ? h('p', { class: 'muted' }, tok.description) : null), actions),
    h('div', { class: 'card' }, h('dl', { class: 'facts', id: 'token-facts' },
      fact('owner', [link(userPath(tok.userId), tok.userId), tok.ownerEmail ? h('div', { class: 'small muted' }, tok.ownerEmail) : null]),
      fact('id', h('span', { class: 'mono' }, tok.id)),
      fact('prefix', h('span', { class: 'mono' }, tok.displayPrefix)),
      fact('scopes', chips(tok.scopes)),
      fact('created', when(tok.createdAt, true)),
      fact('expires', expires(tok)),
      fact('lastUsed', [lastUsed(tok), h('div', { class: 'small muted' }, t('adminToken.lastUsedNote', { minutes: me()?.lastUsedIntervalMinutes || 10 }))]),
      tok.revokedAt ? fact('revoked', when(tok.revokedAt, true)) : null,
      tok.replacedBy ? fact('replacedBy', link(`${BASE}admin/tokens/${encodeURIComponent(tok.replacedBy)}`, tok.replacedBy, { class: 'mono' })) : null)),
    h('h2', {}, t('adminToken.trail')), trail);
  try {
    await trailTable(trail, tok);
  } catch (e) {
    trail.replaceChildren(errorBox(e));
  }
}

async function trailTable(el, tok) {
  const body = h('tbody');
  const table = h('table', { class: 'list', id: 'token-trail' }, h('thead', {}, h('tr', {},
    ['time', 'action', 'actor', 'details'].map((c) => h('th', { scope: 'col' }, t(`adminToken.col.${c}`))))), body);
  const more = h('div', { class: 'more' });
  const load = async (cursor) => {
    more.replaceChildren();
    const page = await api('GET', `/admin/audit${qs({ token: tok.id, cursor, limit: 50 })}`);
    for (const ev of page.items) {
      body.append(h('tr', { dataset: { action: ev.action } },
        h('td', { 'data-label': t('adminToken.col.time') }, when(ev.time, true)),
        h('td', { 'data-label': t('adminToken.col.action') }, actionLabel(ev.action), ' ', h('span', { class: 'small muted' }, tok.name)),
        h('td', { 'data-label': t('adminToken.col.actor') }, ev.actorId || '', ev.actorRole === 'admin' ? h('div', { class: 'small muted' }, t('adminToken.byAdmin')) : null),
        h('td', { 'data-label': t('adminToken.col.details') }, Object.entries(ev.details || {}).map(([k, v]) => h('div', { class: 'small' }, h('span', { class: 'muted' }, `${k}: `), v)))));
    }
    if (page.nextCursor) more.append(h('button', { type: 'button', onclick: () => load(page.nextCursor).catch((e) => more.replaceChildren(errorBox(e))) }, t('directory.more')));
  };
  await load('');
  el.replaceChildren(table, more);
}
