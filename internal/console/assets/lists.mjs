// The token and event lists, a page at a time with "Load more".

import { ApiError } from './api.mjs';
import { field } from './dialogs.mjs';
import { errorBox, h, link, when } from './dom.mjs';
import { t, tn } from './i18n.mjs';
import { adminTokenPath, tokenPath, userPath } from './routes.mjs';
import { sourcesLine } from './sources.mjs';
import { me } from './user.mjs';
import { badge, chips, expires, lastUsed } from './widgets.mjs';

// filterForm: fields are [name, label, input]; onApply gets their values.
export function filterForm(fields, values, onApply) {
  const form = h('form', { class: 'filters', role: 'search' }, fields.map(([name, label, input]) => {
    input.name = name;
    if (values[name] !== undefined) input.value = values[name];
    return field(label, input);
  }), h('button', { type: 'submit', class: 'primary' }, t('common.apply')));
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const v = {};
    for (const [name] of fields) v[name] = form.elements[name].value.trim();
    onApply(v);
  });
  return form;
}

// totalText is a list's total in words: "42 tokens", or "more than
// 1,000 tokens" where the server stopped counting.
export function totalText(total) {
  return total.more ? tn('tokens.totalMore', total.count) : tn('tokens.total', total.count);
}

// tokenTable fills el with a table of tokens and a "Load more" button.
// fetchPage(cursor) loads a page; actions(token) are a row's buttons;
// empty is what an empty list says. The administrator's table names
// owners and links to the audit trail. counted: the first page's total
// is shown above the table.
export async function tokenTable(el, fetchPage, { admin = false, actions, empty, counted = false }) {
  const body = h('tbody');
  const cols = admin
    ? [t('col.owner'), t('col.token'), t('col.scopes'), t('col.status'), t('col.created'), t('col.expires'), t('col.lastUsed'), '']
    : [t('col.token'), t('col.scopes'), t('col.status'), t('col.created'), t('col.expires'), t('col.lastUsed'), ''];
  const table = h('table', { class: 'list', id: admin ? 'admin-tokens' : 'tokens' },
    h('thead', {}, h('tr', {}, cols.map((c) => h('th', { scope: 'col' }, c)))), body);
  const more = h('div', { class: 'more' });
  const count = h('p', { class: 'muted', id: 'token-total', 'aria-live': 'polite' });
  const load = async (cursor) => {
    more.replaceChildren();
    const page = await fetchPage(cursor);
    if (counted && page.total) count.textContent = totalText(page.total);
    for (const tk of page.items) body.append(tokenRow(tk, admin, actions(tk)));
    if (page.nextCursor) {
      more.append(h('button', { type: 'button', onclick: () => load(page.nextCursor).catch((e) => more.replaceChildren(errorBox(e))) }, t('common.loadMore')));
    }
  };
  const note = h('p', { class: 'small muted', id: 'last-used-note' }, t('token.lastUsedNote', { minutes: me()?.lastUsedIntervalMinutes || 10 }));
  await firstPage(el, load, counted ? [count, table, more, note] : [table, more, note], body, more, () => h('div', { class: 'card empty', id: 'no-tokens' },
    empty || (admin ? t('tokens.noneMatch') : t('tokens.none'))));
}

function tokenRow(tk, admin, actions) {
  // An administrator's link goes to the administrator's view of the token.
  const href = admin ? adminTokenPath(tk.id) : tokenPath(tk.id);
  const nameCell = h('td', { 'data-label': t('col.token') },
    link(href, tk.name, { class: 'name' }),
    tk.description ? h('div', { class: 'desc' }, tk.description) : null,
    h('div', { class: 'small muted mono' }, tk.displayPrefix));
  return h('tr', { dataset: { id: tk.id } },
    admin ? h('td', { 'data-label': t('col.owner') }, link(userPath(tk.userId), tk.userId),
      tk.ownerEmail ? h('div', { class: 'small muted' }, tk.ownerEmail) : null) : null,
    nameCell,
    h('td', { 'data-label': t('col.scopes') }, chips(tk.scopes), sourcesLine(tk)),
    h('td', { 'data-label': t('col.status') }, badge(tk.status)),
    h('td', { 'data-label': t('col.created') }, when(tk.createdAt)),
    h('td', { 'data-label': t('col.expires') }, expires(tk, me())),
    h('td', { 'data-label': t('col.lastUsed') }, lastUsed(tk)),
    h('td', {}, h('div', { class: 'row-actions' }, actions)));
}

// AUDIT_ACTIONS are the audit log's actions, each in words.
export const AUDIT_ACTIONS = {
  'token.created': () => t('audit.token.created'),
  'token.updated': () => t('audit.token.updated'),
  'token.rotated': () => t('audit.token.rotated'),
  'token.revoked': () => t('audit.token.revoked'),
  'token.extended': () => t('audit.token.extended'),
  'token.expired': () => t('audit.token.expired'),
  'token.deleted': () => t('audit.token.deleted'),
  'token.locked': () => t('audit.token.locked'),
  'token.unlocked': () => t('audit.token.unlocked'),
  'token.leaked': () => t('audit.token.leaked'),
  'user.updated': () => t('audit.user.updated'),
  'user.email_changed': () => t('audit.user.email_changed'),
  'tokens.owner_state_copied': () => t('audit.tokens.owner_state_copied'),
  'lists.backfilled': () => t('audit.lists.backfilled'),
};

// actionText is an audit action in words; an action this console does not
// know yet shows as its code.
export const actionText = (action) => (AUDIT_ACTIONS[action] ? AUDIT_ACTIONS[action]() : action);

// The detail keys events carry, in words.
const DETAILS = {
  name: () => t('detail.name'), scopes: () => t('detail.scopes'), reason: () => t('detail.reason'),
  rotatedFrom: () => t('detail.rotatedFrom'), from: () => t('detail.from'), to: () => t('detail.to'),
};

function eventDetails(ev) {
  return Object.entries(ev.details || {}).map(([k, v]) => h('div', { class: 'small' }, h('span', { class: 'muted' }, `${DETAILS[k] ? DETAILS[k]() : k}: `), v));
}

// tokenCell names an event's token: its name where the event carries it,
// beside its id.
function tokenCell(ev) {
  const name = ev.tokenName || ev.details?.name;
  if (!ev.tokenId) return '';
  return [name ? h('div', {}, name) : null, h('div', { class: 'mono small' }, ev.tokenId)];
}

// eventTable fills el with a table of audit events; the administrator's
// names actors, owners and tokens.
export async function eventTable(el, fetchPage, admin) {
  const body = h('tbody');
  const cols = admin
    ? [t('col.time'), t('col.action'), t('col.actor'), t('col.owner'), t('col.token'), t('col.outcome'), t('col.sourceIp'), t('col.details')]
    : [t('col.time'), t('col.action'), t('col.by'), t('col.outcome'), t('col.sourceIp'), t('col.details')];
  const more = h('div', { class: 'more' });
  const table = h('table', { class: 'list', id: 'events' }, h('thead', {}, h('tr', {}, cols.map((c) => h('th', { scope: 'col' }, c)))), body);
  const load = async (cursor) => {
    more.replaceChildren();
    const page = await fetchPage(cursor);
    for (const ev of page.items) {
      body.append(h('tr', { dataset: { action: ev.action } },
        h('td', { 'data-label': t('col.time') }, when(ev.time, true)),
        h('td', { 'data-label': t('col.action') }, h('span', { title: ev.action }, actionText(ev.action))),
        // An owner's view names no administrator: only the role comes.
        h('td', { 'data-label': admin ? t('col.actor') : t('col.by') }, ev.actorId || (ev.actorRole === 'admin' ? t('audit.anAdministrator') : ''),
          ev.actorId && ev.actorRole && ev.actorRole !== 'user' ? h('div', { class: 'small muted' }, ev.actorRole === 'admin' ? t('audit.roleAdmin') : ev.actorRole) : null),
        admin ? h('td', { 'data-label': t('col.owner') }, ev.ownerId ? link(userPath(ev.ownerId), ev.ownerId) : '') : null,
        admin ? h('td', { 'data-label': t('col.token') }, tokenCell(ev)) : null,
        h('td', { 'data-label': t('col.outcome') }, ev.outcome === 'success' ? t('audit.success') : ev.outcome === 'failure' ? t('audit.failure') : ev.outcome),
        h('td', { 'data-label': t('col.sourceIp'), class: 'mono small' }, ev.sourceIp || ''),
        h('td', { 'data-label': t('col.details') }, eventDetails(ev))));
    }
    if (page.nextCursor) more.append(h('button', { type: 'button', onclick: () => load(page.nextCursor).catch((e) => more.replaceChildren(errorBox(e))) }, t('common.loadMore')));
  };
  await firstPage(el, load, [table, more], body, more, () => h('div', { class: 'card empty', id: 'events' }, t('audit.none')));
}

// firstPage loads a list's first page. A refusal for lack of the role
// becomes the whole page's answer; other errors stay in the list.
async function firstPage(el, load, content, body, more, empty) {
  try {
    await load('');
  } catch (e) {
    if (e instanceof ApiError && e.code === 'forbidden') throw e;
    el.replaceChildren(errorBox(e));
    return;
  }
  if (body.rows.length === 0 && !more.firstChild) el.replaceChildren(empty());
  else el.replaceChildren(...content);
}
