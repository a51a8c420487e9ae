// The pieces pages are built of: status badges, scope chips, dates with
// their distance from now, the scope picker and the expiry picker.

import { h, when } from './dom.mjs';
import { createChoices, customExpiresAt, dateRange } from './expiry.mjs';
import { DAY, expiresSoon, formatDate, relativeDays } from './format.mjs';
import { language, t } from './i18n.mjs';

export const ACTIONS = ['create', 'read', 'update', 'delete']; // the scope grid's columns

// STATUSES are a token's and a user's states, each in words.
const STATUSES = {
  active: () => t('status.active'),
  locked: () => t('status.locked'),
  expired: () => t('status.expired'),
  revoked: () => t('status.revoked'),
  replaced: () => t('status.replaced'),
  disabled: () => t('status.disabled'),
};

export const statusText = (status) => (STATUSES[status] ? STATUSES[status]() : status);

// The scope grid's column heads.
const ACTION_NAMES = {
  create: () => t('scope.create'), read: () => t('scope.read'), update: () => t('scope.update'), delete: () => t('scope.delete'),
};

export function badge(status) {
  return h('span', { class: `badge ${status}`, dataset: { status } }, statusText(status));
}

export function chips(scopes) {
  return h('div', { class: 'chips' }, (scopes || []).map((s) => h('span', { class: 'chip' }, s)));
}

export function lastUsed(tk) {
  if (!tk.lastUsedAt) return h('span', { class: 'muted' }, t('token.neverUsed'));
  return h('div', {}, when(tk.lastUsedAt, true),
    tk.lastUsedIp ? h('div', { class: 'small muted mono' }, tk.lastUsedIp) : null,
    tk.lastUsedUserAgent ? h('span', { class: 'small muted ua', title: tk.lastUsedUserAgent }, tk.lastUsedUserAgent) : null);
}

// expires is a token's expiry, its distance from now and, within the
// first expiry reminder's window, an "expires soon" mark.
export function expires(tk, me) {
  if (!tk.expiresAt) return h('span', {}, t('token.neverExpires'));
  const soon = tk.status === 'active' && expiresSoon(tk.expiresAt, me?.expiryReminderDays);
  return h('div', {}, when(tk.expiresAt), h('div', { class: 'small muted' }, relativeDays(tk.expiresAt, Date.now(), language())),
    soon ? h('span', { class: 'badge soon', title: t('token.expiresSoonHint', { days: me.expiryReminderDays }) }, t('token.expiresSoon')) : null);
}

// OWN_SCOPES are the scopes owners may give their own tokens whatever
// their permissions (GET /me's ownScopes), each in words: a row of its own
// below the grid, since no resource or action is theirs.
export const OWN_SCOPES = {
  'tokens:self-rotate': { label: () => t('scope.selfRotate'), hint: () => t('scope.selfRotateHint') },
};

// scopeGrid is the scope picker: resource groups × create/read/update/delete,
// offering only what the user holds; then a row for each of own (the
// owner's own scopes, which the user always holds).
export function scopeGrid(catalog, held, checked = [], name = 'scope', own = []) {
  const holds = new Set(held);
  const on = new Set(checked);
  return h('table', { class: 'grid' },
    h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, t('scope.resource')), ACTIONS.map((a) => h('th', { scope: 'col' }, ACTION_NAMES[a]())))),
    h('tbody', {}, catalog.map((r) => h('tr', {},
      h('th', { scope: 'row' }, r.name, h('span', {}, r.description)),
      ACTIONS.map((a) => {
        const s = `${r.name}:${a}`;
        return h('td', {}, holds.has(s)
          ? h('input', { type: 'checkbox', name, value: s, checked: on.has(s), 'aria-label': s })
          : h('span', { class: 'na', title: t('scope.notHeld', { scope: s }) }, '—', h('span', { class: 'sr' }, t('scope.notAvailable', { scope: s }))));
      })),
    ), own.map((s) => h('tr', { class: 'own' },
      h('th', { scope: 'row' }, OWN_SCOPES[s] ? OWN_SCOPES[s].label() : s, h('span', {}, OWN_SCOPES[s] ? OWN_SCOPES[s].hint() : '')),
      h('td', { colspan: ACTIONS.length },
        h('label', {}, h('input', { type: 'checkbox', name, value: s, checked: on.has(s), 'aria-label': s }), ' ', h('code', {}, s)))))));
}

export const checkedScopes = (form, name = 'scope') => [...form.querySelectorAll(`input[name="${name}"]:checked`)].map((i) => i.value);

// expirySelect is the expiry picker of a new token: { el, value() } where
// value() is the expiry fields of the create request.
export function expirySelect(me, id) {
  const sel = h('select', { id, name: 'expiry' },
    createChoices(me).map((d) => h('option', { value: d, selected: d === me.defaultExpiryDays },
      d === me.defaultExpiryDays ? t('expiry.daysDefault', { n: d }) : d === me.maxExpiryDays ? t('expiry.daysMaximum', { n: d }) : t('expiry.days', { n: d }))),
    h('option', { value: 'date' }, t('expiry.custom')),
    me.allowNeverExpires ? h('option', { value: 'never' }, t('expiry.never')) : null);
  const range = dateRange(me.maxExpiryDays);
  const max = new Date(Date.now() + me.maxExpiryDays * DAY);
  const date = h('input', { type: 'date', name: 'expiresOn', min: range.min, max: range.max, hidden: true, 'aria-label': t('expiry.date') });
  const note = h('span', { class: 'hint' });
  const locale = language();
  const update = () => {
    date.hidden = sel.value !== 'date';
    date.required = sel.value === 'date';
    if (/^\d+$/.test(sel.value)) note.textContent = t('expiry.expiresOn', { date: formatDate(Date.now() + sel.value * DAY, { locale }), max: me.maxExpiryDays });
    else if (sel.value === 'never') note.textContent = t('expiry.neverHint');
    else note.textContent = t('expiry.pickDate', { date: formatDate(max, { locale }) });
  };
  sel.addEventListener('change', update);
  update();
  return {
    el: h('div', { class: 'field' }, h('label', { for: id }, t('expiry.label')), sel, date, note),
    value() {
      if (sel.value === 'never') return { neverExpires: true };
      if (sel.value === 'date') return { expiresAt: customExpiresAt(date.value, me.maxExpiryDays) };
      return { expiresInDays: Number(sel.value) };
    },
  };
}
