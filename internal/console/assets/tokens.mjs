// The self-service pages: my tokens, one token with its activity, and the
// dialogs that create, edit (name, description, allowed sources), extend,
// rotate and revoke them.

import { api, ApiError, describe, qs } from './api.mjs';
import { confirmDialog, field, formDialog, typedCountDialog } from './dialogs.mjs';
import { h, link, show, toast, when } from './dom.mjs';
import { extendChoices } from './expiry.mjs';
import { formatDate } from './format.mjs';
import { language, t, tn } from './i18n.mjs';
import { eventTable, filterForm, tokenTable } from './lists.mjs';
import { revealDialog } from './reveal.mjs';
import { navigate, route } from './router.mjs';
import { BASE, tokenPath } from './routes.mjs';
import { parseSources, sourcesCell, sourcesHint, sourcesInput } from './sources.mjs';
import { me } from './user.mjs';
import { badge, checkedScopes, chips, expires, expirySelect, lastUsed, scopeGrid, statusText } from './widgets.mjs';

const tokenAPI = (id) => `/tokens/${encodeURIComponent(id)}`;

// blockedPanel says, once, why this user cannot create tokens: disabled
// (they still see and may revoke their tokens) or holding no permission.
function blockedPanel(u) {
  if (u.status === 'disabled') {
    return h('div', { class: 'notice error', role: 'alert', id: 'disabled' }, h('strong', {}, t('tokens.disabledTitle')), ' ', t('tokens.disabledText'));
  }
  if (u.effectivePermissions.length === 0) {
    return h('div', { class: 'notice info', id: 'no-permissions' }, h('strong', {}, t('tokens.noPermissionsTitle')), ' ',
      u.limited ? t('tokens.noPermissionsLimited') : t('tokens.noPermissionsNone'));
  }
  return null;
}

// pageTokens is the list of my tokens, filtered by the address's query
// (status, a part of the name).
export async function pageTokens() {
  const q = Object.fromEntries(new URLSearchParams(location.search));
  const filters = { status: q.status || '', q: q.q || '' };
  const filtered = !!(filters.status || filters.q);
  const blocked = blockedPanel(me());
  const newBtn = h('button', { type: 'button', class: 'primary', id: 'new-token-button', disabled: !!blocked,
    'aria-describedby': blocked ? blocked.id : null, onclick: () => createDialog() }, t('tokens.generate'));
  const allBtn = h('button', { type: 'button', class: 'danger-outline', id: 'revoke-all-mine', onclick: () => revokeAllMine() }, t('tokens.revokeAll'));
  const list = h('div', {}, h('p', { class: 'muted' }, t('common.loading')));
  show(
    h('div', { class: 'head' },
      h('div', {}, h('h1', {}, t('tokens.title')),
        h('p', { class: 'muted' }, t('tokens.intro'))),
      h('div', { class: 'actions' }, allBtn, newBtn)),
    blocked,
    filterForm([
      ['q', t('tokens.search'), h('input', { type: 'text', autocomplete: 'off', maxlength: 100 })],
      ['status', t('col.status'), h('select', {}, ['', 'active', 'locked', 'expired', 'revoked'].map((s) => h('option', { value: s }, s ? statusText(s) : t('common.any'))))],
    ], filters, (v) => navigate(`${BASE}tokens${qs({ status: v.status, q: v.q })}`)),
    list);
  const actions = (tk) => (tk.status === 'active' || tk.status === 'locked' || tk.status === 'replaced'
    ? [h('button', { type: 'button', class: 'danger-outline', 'aria-label': t('tokens.revokeNamed', { name: tk.name }), onclick: () => revokeDialog(tk) }, t('tokens.revoke'))]
    : []);
  const empty = filtered ? t('tokens.noneMatch') : blocked ? t('tokens.noneBlocked') : null;
  await tokenTable(list, (cursor) => api('GET', `/tokens${qs({ status: filters.status, q: filters.q, cursor, limit: 50 })}`), { actions, empty });
}

function createDialog() {
  const u = me();
  const name = h('input', { type: 'text', name: 'name', required: true, maxlength: 100, autocomplete: 'off', autofocus: true });
  const desc = h('textarea', { name: 'description', maxlength: 500 });
  const expiry = expirySelect(u, 'expiry');
  const sources = sourcesInput();
  formDialog(t('create.title'), [
    field(t('create.name'), name, t('create.nameHint')),
    field(t('create.description'), desc, t('common.optional')),
    h('fieldset', {}, h('legend', {}, t('create.scopes')),
      h('p', { class: 'hint' }, t('create.scopesHint')),
      h('div', { class: 'scroll' }, scopeGrid(u.catalog, u.effectivePermissions, [], 'scope', u.ownScopes || []))),
    expiry.el,
    field(t('sources.label'), sources, sourcesHint()),
  ], t('create.submit'), async (form, close) => {
    const scopes = checkedScopes(form);
    if (scopes.length === 0) throw new ApiError(400, { code: 'invalid_request', detail: t('create.chooseScope') });
    const allowedSources = parseSources(sources.value);
    const created = await api('POST', '/tokens', { name: name.value.trim(), description: desc.value.trim(), scopes, ...expiry.value(),
      ...(allowedSources.length > 0 ? { allowedSources } : {}) });
    close();
    await revealDialog(created, u, t('reveal.titleNew'));
    await route();
  });
}

function revokeDialog(tk, after) {
  confirmDialog(t('revoke.title', { name: tk.name }), t('revoke.text'), t('revoke.submit'), async () => {
    await api('DELETE', tokenAPI(tk.id));
    toast(t('revoke.done', { name: tk.name }));
    if (after) await after(); else await route();
  });
}

// leakedDialog reports a token as leaked (POST <path>/leaked): it is
// revoked at once, and its owner and the administrators are mailed with
// where it was found. owner names the owner in an administrator's title.
export function leakedDialog(tk, path, after, owner = '') {
  const url = h('input', { type: 'url', name: 'url', maxlength: 2000, placeholder: 'https://github.com/…', autocomplete: 'off', autofocus: true });
  const note = h('input', { type: 'text', name: 'note', maxlength: 500, autocomplete: 'off' });
  formDialog(owner ? t('leak.titleOf', { name: tk.name, owner }) : t('leak.title', { name: tk.name }), [
    field(t('leak.where'), url, t('leak.whereHint')),
    field(t('leak.note'), note, t('leak.noteHint')),
  ], t('leak.submit'), async (_f, close) => {
    await api('POST', `${path}/leaked`, { url: url.value.trim(), note: note.value.trim() });
    close();
    toast(t('leak.done', { name: tk.name }));
    await after();
  }, { danger: true, intro: h('p', {}, t('leak.intro')) });
}

async function revokeAllMine() {
  try {
    const { count } = await api('POST', '/tokens/revoke-all', { preview: true });
    if (count === 0) { toast(t('revokeAll.noneMine')); return; }
    typedCountDialog(t('revokeAll.titleMine'), (n) => tn('revokeAll.mine', n), count, async (n) => {
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
  const tk = await api('GET', tokenAPI(id));
  const live = tk.status === 'active' || tk.status === 'locked' || tk.status === 'replaced';
  const reload = () => route();
  const buttons = h('div', { class: 'actions' },
    tk.status !== 'revoked' && tk.status !== 'replaced' ? h('button', { type: 'button', id: 'edit-token', onclick: () => editDialog(tk) }, t('token.edit')) : null,
    tk.status === 'active' ? h('button', { type: 'button', id: 'extend-token', onclick: () => extendDialog(tk) }, t('token.extend')) : null,
    tk.status === 'active' ? h('button', { type: 'button', id: 'rotate-token', onclick: () => rotateDialog(tk) }, t('token.rotate')) : null,
    live ? h('button', { type: 'button', class: 'danger-outline', id: 'revoke-token', onclick: () => revokeDialog(tk, reload) }, t('tokens.revoke')) : null,
    live ? h('button', { type: 'button', class: 'danger-outline', id: 'report-leaked', onclick: () => leakedDialog(tk, tokenAPI(tk.id), reload) }, t('leak.button')) : null);
  const events = h('div', {}, h('p', { class: 'muted' }, t('common.loading')));
  show(
    h('p', {}, link(BASE, t('token.back'))),
    h('div', { class: 'head' }, h('div', {}, h('h1', {}, tk.name, ' ', badge(tk.status)),
      tk.description ? h('p', { class: 'muted' }, tk.description) : null), buttons),
    tk.status === 'locked' ? h('div', { class: 'notice warn' }, t('token.lockedNotice')) : null,
    tk.status === 'replaced'
      ? h('div', { class: 'notice warn', id: 'replaced-notice' }, t('token.replaced.notice', { until: formatDate(tk.replacedUntil, { withTime: true, locale: language() }) }), ' ',
        link(tokenPath(tk.replacedBy), t('token.seeReplacement')))
      : tk.replacedBy ? h('div', { class: 'notice info' }, t('token.rotatedNotice'), ' ', link(tokenPath(tk.replacedBy), t('token.seeReplacement'))) : null,
    h('div', { class: 'card' }, h('dl', { class: 'facts' },
      h('dt', {}, t('token.id')), h('dd', { class: 'mono' }, tk.displayPrefix),
      h('dt', {}, t('col.scopes')), h('dd', {}, chips(tk.scopes)),
      h('dt', {}, t('sources.label')), h('dd', { id: 'allowed-sources' }, sourcesCell(tk)),
      h('dt', {}, t('col.created')), h('dd', {}, when(tk.createdAt, true)),
      h('dt', {}, t('col.expires')), h('dd', {}, expires(tk, me())),
      h('dt', {}, t('col.lastUsed')), h('dd', {}, lastUsed(tk), h('div', { class: 'small muted' }, t('token.lastUsedNote', { minutes: me().lastUsedIntervalMinutes || 10 }))),
      tk.extendedAt ? [h('dt', {}, t('token.extended')), h('dd', {}, when(tk.extendedAt, true))] : null,
      tk.revokedAt ? [h('dt', {}, t('token.revoked')), h('dd', {}, when(tk.revokedAt, true))] : null)),
    h('h2', {}, t('token.activity')),
    events);
  await eventTable(events, (cursor) => api('GET', `${tokenAPI(id)}/events${qs({ cursor })}`), false);
}

function editDialog(tk) {
  const name = h('input', { type: 'text', name: 'name', required: true, maxlength: 100, value: tk.name, autofocus: true });
  name.value = tk.name;
  const desc = h('textarea', { name: 'description', maxlength: 500 }, tk.description);
  const sources = sourcesInput(tk.allowedSources || []);
  formDialog(t('token.editTitle'), [field(t('create.name'), name), field(t('create.description'), desc, t('common.optional')), field(t('sources.label'), sources, sourcesHint())], t('common.save'), async (_f, close) => {
    await api('PATCH', tokenAPI(tk.id), { name: name.value.trim(), description: desc.value.trim(), allowedSources: parseSources(sources.value) });
    close();
    toast(t('common.saved'));
    await route();
  });
}

function extendDialog(tk) {
  const u = me();
  const sel = h('select', { name: 'days' },
    h('option', { value: '' }, t('extend.keep')),
    extendChoices(u).map((d) => h('option', { value: d }, d === u.maxExpiryDays ? t('extend.daysMaximum', { n: d }) : t('extend.days', { n: d }))));
  formDialog(t('extend.title', { name: tk.name }), [field(t('extend.label'), sel, t('extend.hint'))], t('token.extend'), async (_f, close) => {
    await api('POST', `${tokenAPI(tk.id)}/extend`, sel.value ? { expiresInDays: Number(sel.value) } : undefined);
    close();
    toast(t('extend.done'));
    await route();
  });
}

// overlapChoices are the rotate dialog's overlaps, in seconds: the API
// takes 0 to 7 days (pat.MaxOverlap).
export const overlapChoices = [0, 3600, 86400, 604800];

// rotateBody is the rotate request's body for the dialog's choices; none
// for the defaults.
export function rotateBody(overlapSeconds, revokeReplacementOnReuse) {
  if (!overlapSeconds && !revokeReplacementOnReuse) return undefined;
  return { overlapSeconds, revokeReplacementOnReuse };
}

function rotateDialog(tk) {
  const overlap = h('select', { name: 'overlap', id: 'rotate-overlap' },
    overlapChoices.map((s) => h('option', { value: String(s) }, t(`rotate.overlap.${s}`))));
  const revoke = h('input', { type: 'checkbox', name: 'revokeReplacementOnReuse', id: 'rotate-revoke-on-reuse' });
  formDialog(t('rotate.title', { name: tk.name }), [
    field(t('rotate.overlap.label'), overlap, t('rotate.overlap.hint')),
    h('div', { class: 'field' }, h('label', {}, revoke, ' ', t('rotate.revokeOnReuse')),
      h('span', { class: 'hint' }, t('rotate.revokeOnReuse.hint'))),
  ], t('rotate.submit'), async (_f, close) => {
    const created = await api('POST', `${tokenAPI(tk.id)}/rotate`, rotateBody(Number(overlap.value), revoke.checked));
    close();
    await revealDialog(created, me(), t('reveal.titleRotated'));
    navigate(tokenPath(created.id));
  }, { intro: h('p', {}, t('rotate.text')) });
}
