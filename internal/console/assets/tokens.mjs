// The self-service pages: my tokens, one token with its activity, and the
// dialogs that create, rename, extend, rotate and revoke them.

import { api, ApiError, describe, qs } from './api.mjs';
import { confirmDialog, field, formDialog, typedCountDialog } from './dialogs.mjs';
import { h, link, show, toast, when } from './dom.mjs';
import { extendChoices } from './expiry.mjs';
import { eventTable, tokenTable } from './lists.mjs';
import { revealDialog } from './reveal.mjs';
import { navigate, route } from './router.mjs';
import { BASE, tokenPath } from './routes.mjs';
import { me } from './user.mjs';
import { badge, checkedScopes, chips, expires, expirySelect, lastUsed, scopeGrid } from './widgets.mjs';

const tokenAPI = (id) => `/tokens/${encodeURIComponent(id)}`;

function noPermissionsPanel(u) {
  if (u.status === 'disabled') {
    return h('div', { class: 'notice error', role: 'alert', id: 'disabled' }, h('strong', {}, 'Your account is disabled. '),
      'An administrator disabled it: none of your tokens work and you cannot create new ones. Ask an administrator if this is a mistake.');
  }
  if (u.effectivePermissions.length === 0) {
    return h('div', { class: 'notice info', id: 'no-permissions' }, h('strong', {}, 'You may not create tokens. '),
      u.limited
        ? 'An administrator has limited your permissions to none. Ask an administrator if you need API access.'
        : 'Your account holds no permissions that a token could carry. Ask an administrator to add you to a group that grants access to an API.');
  }
  return null;
}

// pageTokens is the list of my tokens.
export async function pageTokens() {
  const blocked = noPermissionsPanel(me());
  const newBtn = h('button', { type: 'button', class: 'primary', id: 'new-token-button', disabled: !!blocked, onclick: () => createDialog() }, 'Generate new token');
  const allBtn = h('button', { type: 'button', class: 'danger-outline', id: 'revoke-all-mine', onclick: () => revokeAllMine() }, 'Revoke all…');
  const list = h('div', {}, h('p', { class: 'muted' }, 'Loading…'));
  show(
    h('div', { class: 'head' },
      h('div', {}, h('h1', {}, 'Personal access tokens'),
        h('p', { class: 'muted' }, 'Tokens let scripts and tools call the APIs as you, with the scopes you choose. A token can never do more than you can.')),
      h('div', { class: 'actions' }, allBtn, newBtn)),
    blocked, list);
  const actions = (t) => (t.status === 'active' || t.status === 'locked' || t.status === 'replaced'
    ? [h('button', { type: 'button', class: 'danger-outline', 'aria-label': `Revoke ${t.name}`, onclick: () => revokeDialog(t) }, 'Revoke')]
    : []);
  await tokenTable(list, (cursor) => api('GET', `/tokens${qs({ cursor, limit: 50 })}`), { actions });
}

function createDialog() {
  const u = me();
  const name = h('input', { type: 'text', name: 'name', required: true, maxlength: 100, autocomplete: 'off', autofocus: true });
  const desc = h('textarea', { name: 'description', maxlength: 500 });
  const expiry = expirySelect(u, 'expiry');
  formDialog('Generate a new token', [
    field('Name', name, 'What the token is for, e.g. “CI deploy” or “my laptop”.'),
    field('Description', desc, 'Optional.'),
    h('fieldset', {}, h('legend', {}, 'Scopes'),
      h('p', { class: 'hint' }, 'Only the permissions you hold are offered.'),
      h('div', { class: 'scroll' }, scopeGrid(u.catalog, u.effectivePermissions))),
    expiry.el,
  ], 'Generate token', async (form, close) => {
    const scopes = checkedScopes(form);
    if (scopes.length === 0) throw new ApiError(400, { code: 'invalid_request', detail: 'choose at least one scope' });
    const created = await api('POST', '/tokens', { name: name.value.trim(), description: desc.value.trim(), scopes, ...expiry.value() });
    close();
    await revealDialog(created, u, 'Your new token');
    await route();
  });
}

function revokeDialog(t, after) {
  confirmDialog(`Revoke “${t.name}”?`, 'Anything using this token gets 401 Unauthorized from its next request. This cannot be undone.', 'Revoke token', async () => {
    await api('DELETE', tokenAPI(t.id));
    toast(`Revoked “${t.name}”.`);
    if (after) await after(); else await route();
  });
}

async function revokeAllMine() {
  try {
    const { count } = await api('POST', '/tokens/revoke-all', { preview: true });
    if (count === 0) { toast('You have no active tokens to revoke.'); return; }
    typedCountDialog('Revoke all your tokens?', 'of yours', count, async (n) => {
      const res = await api('POST', '/tokens/revoke-all', { confirm: n });
      await route();
      return res;
    });
  } catch (e) {
    toast(describe(e));
  }
}

// pageToken is one of my tokens, its actions and its activity.
export async function pageToken(id) {
  const t = await api('GET', tokenAPI(id));
  const live = t.status === 'active' || t.status === 'locked' || t.status === 'replaced';
  const reload = () => route();
  const buttons = h('div', { class: 'actions' },
    t.status !== 'revoked' && t.status !== 'replaced' ? h('button', { type: 'button', id: 'edit-token', onclick: () => editDialog(t) }, 'Rename') : null,
    t.status === 'active' ? h('button', { type: 'button', id: 'extend-token', onclick: () => extendDialog(t) }, 'Extend') : null,
    t.status === 'active' ? h('button', { type: 'button', id: 'rotate-token', onclick: () => rotateDialog(t) }, 'Rotate') : null,
    live ? h('button', { type: 'button', class: 'danger-outline', id: 'revoke-token', onclick: () => revokeDialog(t, reload) }, 'Revoke') : null);
  const events = h('div', {}, h('p', { class: 'muted' }, 'Loading…'));
  show(
    h('p', {}, link(BASE, '← My tokens')),
    h('div', { class: 'head' }, h('div', {}, h('h1', {}, t.name, ' ', badge(t.status)),
      t.description ? h('p', { class: 'muted' }, t.description) : null), buttons),
    t.status === 'locked' ? h('div', { class: 'notice warn' }, 'An administrator locked this token: it does not work until they unlock it. You can still revoke it.') : null,
    t.status === 'replaced'
      ? h('div', { class: 'notice warn', id: 'replaced-notice' }, 'Replaced, works until ', when(t.replacedUntil, true),
        '. Give its replacement to everything that still uses it before then; any use after that is refused and reported to you. ',
        link(tokenPath(t.replacedBy), 'See its replacement.'))
      : t.replacedBy ? h('div', { class: 'notice info' }, 'This token was rotated. ', link(tokenPath(t.replacedBy), 'See its replacement.')) : null,
    h('div', { class: 'card' }, h('dl', { class: 'facts' },
      h('dt', {}, 'Token id'), h('dd', { class: 'mono' }, t.displayPrefix),
      h('dt', {}, 'Scopes'), h('dd', {}, chips(t.scopes)),
      h('dt', {}, 'Created'), h('dd', {}, when(t.createdAt, true)),
      h('dt', {}, 'Expires'), h('dd', {}, expires(t)),
      h('dt', {}, 'Last used'), h('dd', {}, lastUsed(t)),
      t.extendedAt ? [h('dt', {}, 'Extended'), h('dd', {}, when(t.extendedAt, true))] : null,
      t.revokedAt ? [h('dt', {}, 'Revoked'), h('dd', {}, when(t.revokedAt, true))] : null)),
    h('h2', {}, 'Activity'),
    events);
  await eventTable(events, (cursor) => api('GET', `${tokenAPI(id)}/events${qs({ cursor })}`), false);
}

function editDialog(t) {
  const name = h('input', { type: 'text', name: 'name', required: true, maxlength: 100, value: t.name, autofocus: true });
  name.value = t.name;
  const desc = h('textarea', { name: 'description', maxlength: 500 }, t.description);
  formDialog('Rename token', [field('Name', name), field('Description', desc, 'Optional.')], 'Save', async (_f, close) => {
    await api('PATCH', tokenAPI(t.id), { name: name.value.trim(), description: desc.value.trim() });
    close();
    toast('Saved.');
    await route();
  });
}

function extendDialog(t) {
  const u = me();
  const sel = h('select', { name: 'days' },
    h('option', { value: '' }, 'Keep the current expiry (only restart the inactivity period)'),
    extendChoices(u).map((d) => h('option', { value: d }, `Expire ${d} days from now${d === u.maxExpiryDays ? ' (maximum)' : ''}`)));
  formDialog(`Extend “${t.name}”`, [field('New expiry', sel, 'Extending counts as use: the token is not deleted for inactivity for another full period.')], 'Extend', async (_f, close) => {
    await api('POST', `${tokenAPI(t.id)}/extend`, sel.value ? { expiresInDays: Number(sel.value) } : undefined);
    close();
    toast('Extended.');
    await route();
  });
}

// overlapChoices are the rotate dialog's overlaps, in seconds: the API
// takes 0 to 7 days (pat.MaxOverlap).
export const overlapChoices = [
  [0, 'End it at once'],
  [3600, 'Keep it working for 1 hour'],
  [86400, 'Keep it working for 1 day'],
  [604800, 'Keep it working for 7 days (maximum)'],
];

// rotateBody is the rotate request's body for the dialog's choices; none
// for the defaults.
export function rotateBody(overlapSeconds, revokeReplacementOnReuse) {
  if (!overlapSeconds && !revokeReplacementOnReuse) return undefined;
  return { overlapSeconds, revokeReplacementOnReuse };
}

function rotateDialog(t) {
  const overlap = h('select', { name: 'overlap', id: 'rotate-overlap' },
    overlapChoices.map(([s, label]) => h('option', { value: String(s) }, label)));
  const revoke = h('input', { type: 'checkbox', name: 'revokeReplacementOnReuse', id: 'rotate-revoke-on-reuse' });
  formDialog(`Rotate “${t.name}”?`, [
    field('The old token', overlap, 'Time to give the new token to everything that uses this one. Until then the old one shows as replaced and still works; after that any use of it is refused and reported to you.'),
    h('div', { class: 'field' }, h('label', {}, revoke, ' Also revoke the new token if the old one is used after it ends'),
      h('span', { class: 'hint' }, 'A use after the end means someone else may hold a copy; if the old token leaked, the new one may have leaked with it.')),
  ], 'Rotate token', async (_f, close) => {
    const created = await api('POST', `${tokenAPI(t.id)}/rotate`, rotateBody(Number(overlap.value), revoke.checked));
    close();
    await revealDialog(created, me(), 'Your rotated token');
    navigate(tokenPath(created.id));
  }, { intro: h('p', {}, 'You get a new token with the same name, scopes and lifetime.') });
}
