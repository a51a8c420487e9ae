// The user directory: every user the service knows, a page at a time,
// sorted by name or email and searched by the start of either (GET
// /admin/users; the server sorts and searches, from an index).

import { api, qs } from './api.mjs';
import { adminNav } from './admin.mjs';
import { field } from './dialogs.mjs';
import { errorBox, h, link, show } from './dom.mjs';
import { navigate } from './router.mjs';
import { BASE, userPath } from './routes.mjs';
import { t } from './i18n.mjs';
import { badge, chips } from './widgets.mjs';

const SORTS = ['name', 'email'];

// pageDirectory lists the users matching the address's query (sort, prefix).
export async function pageDirectory() {
  const q = Object.fromEntries(new URLSearchParams(location.search));
  const sort = SORTS.includes(q.sort) ? q.sort : 'name';
  const prefix = q.prefix || '';
  const search = h('input', { type: 'search', name: 'prefix', id: 'directory-prefix', autocomplete: 'off', maxlength: 100, value: prefix });
  const order = h('select', { name: 'sort', id: 'directory-sort' }, SORTS.map((s) => h('option', { value: s, selected: s === sort }, t(`directory.sort.${s}`))));
  const form = h('form', { class: 'filters', role: 'search', id: 'directory-search' },
    field(t('directory.search'), search), field(t('directory.sort'), order),
    h('button', { type: 'submit', class: 'primary' }, t('directory.apply')));
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    navigate(`${BASE}admin/users${qs({ sort: order.value === 'name' ? '' : order.value, prefix: search.value.trim() })}`);
  });
  const byId = h('input', { type: 'text', name: 'id', autocomplete: 'off', required: true });
  const open = h('form', { class: 'filters', id: 'open-user' }, field(t('directory.userId'), byId, t('directory.openByIdHint')),
    h('button', { type: 'submit' }, t('directory.open')));
  open.addEventListener('submit', (e) => { e.preventDefault(); if (byId.value.trim()) navigate(userPath(byId.value.trim())); });

  const body = h('tbody');
  const table = h('table', { class: 'list', id: 'directory' },
    h('thead', {}, h('tr', {}, ['name', 'email', 'status', 'permissions', 'tokens'].map((c) => h('th', { scope: 'col' }, t(`directory.col.${c}`))))), body);
  const more = h('div', { class: 'more' });
  const load = async (cursor) => {
    more.replaceChildren();
    const page = await api('GET', `/admin/users${qs({ sort, prefix, cursor, limit: 50 })}`);
    for (const u of page.items) body.append(userRow(u));
    if (page.nextCursor) {
      more.append(h('button', { type: 'button', onclick: () => load(page.nextCursor).catch((e) => more.replaceChildren(errorBox(e))) }, t('directory.more')));
    }
  };
  // The first page before anything is shown: a non-administrator sees the
  // server's 403 as the page's answer.
  await load('');
  show(h('h1', {}, t('directory.title')), adminNav('users'), h('p', { class: 'muted' }, t('directory.intro')), form,
    body.rows.length ? [table, more] : h('div', { class: 'card empty', id: 'no-users' }, t('directory.empty')),
    h('h2', {}, t('directory.openById')), open);
}

function userRow(u) {
  return h('tr', { dataset: { id: u.id } },
    h('td', { 'data-label': t('directory.col.name') }, link(userPath(u.id), u.name || u.email || u.id, { class: 'name' }),
      u.name ? null : h('div', { class: 'small muted' }, t('directory.noName')),
      h('div', { class: 'small muted mono' }, u.id)),
    h('td', { 'data-label': t('directory.col.email') }, u.email),
    h('td', { 'data-label': t('directory.col.status') }, badge(u.status)),
    h('td', { 'data-label': t('directory.col.permissions') },
      u.effectivePermissions.length ? chips(u.effectivePermissions) : h('span', { class: 'muted' }, t('directory.none'))),
    h('td', { 'data-label': t('directory.col.tokens'), class: 'num' }, String(u.activeTokens)));
}
