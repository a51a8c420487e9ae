// The token and event lists, a page at a time with "Load more".

import { ApiError } from './api.mjs';
import { errorBox, h, link, when } from './dom.mjs';
import { adminTokenPath, tokenPath, userPath } from './routes.mjs';
import { badge, chips, expires, lastUsed } from './widgets.mjs';

// tokenTable fills el with a table of tokens and a "Load more" button.
// fetchPage(cursor) loads a page; actions(token) are a row's buttons.
// The administrator's table names owners and links to the audit trail.
export async function tokenTable(el, fetchPage, { admin = false, actions }) {
  const body = h('tbody');
  const cols = admin
    ? ['Owner', 'Token', 'Scopes', 'Status', 'Created', 'Expires', 'Last used', '']
    : ['Token', 'Scopes', 'Status', 'Created', 'Expires', 'Last used', ''];
  const table = h('table', { class: 'list', id: admin ? 'admin-tokens' : 'tokens' },
    h('thead', {}, h('tr', {}, cols.map((c) => h('th', { scope: 'col' }, c)))), body);
  const more = h('div', { class: 'more' });
  const load = async (cursor) => {
    more.replaceChildren();
    const page = await fetchPage(cursor);
    for (const t of page.items) body.append(tokenRow(t, admin, actions(t)));
    if (page.nextCursor) {
      more.append(h('button', { type: 'button', onclick: () => load(page.nextCursor).catch((e) => more.replaceChildren(errorBox(e))) }, 'Load more'));
    }
  };
  await firstPage(el, load, table, more, () => h('div', { class: 'card empty', id: 'no-tokens' },
    admin ? 'No tokens match these filters.' : 'You have no tokens yet. Generate one to call an API from a script or tool.'));
}

function tokenRow(t, admin, actions) {
  // An administrator's link goes to the administrator's view of the token.
  const href = admin ? adminTokenPath(t.id) : tokenPath(t.id);
  const nameCell = h('td', { 'data-label': 'Token' },
    link(href, t.name, { class: 'name' }),
    t.description ? h('div', { class: 'desc' }, t.description) : null,
    h('div', { class: 'small muted mono' }, t.displayPrefix));
  return h('tr', { dataset: { id: t.id } },
    admin ? h('td', { 'data-label': 'Owner' }, link(userPath(t.userId), t.userId),
      t.ownerEmail ? h('div', { class: 'small muted' }, t.ownerEmail) : null) : null,
    nameCell,
    h('td', { 'data-label': 'Scopes' }, chips(t.scopes)),
    h('td', { 'data-label': 'Status' }, badge(t.status)),
    h('td', { 'data-label': 'Created' }, when(t.createdAt)),
    h('td', { 'data-label': 'Expires' }, expires(t)),
    h('td', { 'data-label': 'Last used' }, lastUsed(t)),
    h('td', {}, h('div', { class: 'row-actions' }, actions)));
}

function eventDetails(ev) {
  return Object.entries(ev.details || {}).map(([k, v]) => h('div', { class: 'small' }, h('span', { class: 'muted' }, `${k}: `), v));
}

// eventTable fills el with a table of audit events; the administrator's
// names actors, owners and tokens.
export async function eventTable(el, fetchPage, admin) {
  const body = h('tbody');
  const cols = admin ? ['Time', 'Action', 'Actor', 'Owner', 'Token', 'Outcome', 'Source IP', 'Details'] : ['Time', 'Action', 'By', 'Outcome', 'Source IP', 'Details'];
  const more = h('div', { class: 'more' });
  const table = h('table', { class: 'list', id: 'events' }, h('thead', {}, h('tr', {}, cols.map((c) => h('th', { scope: 'col' }, c)))), body);
  const load = async (cursor) => {
    more.replaceChildren();
    const page = await fetchPage(cursor);
    for (const ev of page.items) {
      body.append(h('tr', {},
        h('td', { 'data-label': 'Time' }, when(ev.time, true)),
        h('td', { 'data-label': 'Action' }, h('code', {}, ev.action)),
        // An owner's view names no administrator: only the role comes.
        h('td', { 'data-label': admin ? 'Actor' : 'By' }, ev.actorId || (ev.actorRole === 'admin' ? 'an administrator' : ''), ev.actorId && ev.actorRole && ev.actorRole !== 'user' ? h('div', { class: 'small muted' }, ev.actorRole) : null),
        admin ? h('td', { 'data-label': 'Owner' }, ev.ownerId ? link(userPath(ev.ownerId), ev.ownerId) : '') : null,
        admin ? h('td', { 'data-label': 'Token', class: 'mono small' }, ev.tokenId || '') : null,
        h('td', { 'data-label': 'Outcome' }, ev.outcome),
        h('td', { 'data-label': 'Source IP', class: 'mono small' }, ev.sourceIp || ''),
        h('td', { 'data-label': 'Details' }, eventDetails(ev))));
    }
    if (page.nextCursor) more.append(h('button', { type: 'button', onclick: () => load(page.nextCursor).catch((e) => more.replaceChildren(errorBox(e))) }, 'Load more'));
  };
  await firstPage(el, load, table, more, () => h('div', { class: 'card empty', id: 'events' }, 'No events.'));
}

// firstPage loads a list's first page. A refusal for lack of the role
// becomes the whole page's answer; other errors stay in the list.
async function firstPage(el, load, table, more, empty) {
  try {
    await load('');
  } catch (e) {
    if (e instanceof ApiError && e.code === 'forbidden') throw e;
    el.replaceChildren(errorBox(e));
    return;
  }
  if (table.tBodies[0].rows.length === 0 && !more.firstChild) el.replaceChildren(empty());
  else el.replaceChildren(table, more);
}
