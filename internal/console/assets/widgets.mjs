// The pieces pages are built of: status badges, scope chips, dates with
// their distance from now, the scope picker and the expiry picker.

import { h, when } from './dom.mjs';
import { createChoices, customExpiresAt, dateRange } from './expiry.mjs';
import { DAY, formatDate, relativeDays } from './format.mjs';

export const ACTIONS = ['create', 'read', 'update', 'delete']; // the scope grid's columns

export function badge(status) {
  return h('span', { class: `badge ${status}` }, status);
}

export function chips(scopes) {
  return h('div', { class: 'chips' }, (scopes || []).map((s) => h('span', { class: 'chip' }, s)));
}

export function lastUsed(t) {
  if (!t.lastUsedAt) return h('span', { class: 'muted' }, 'never');
  return h('div', {}, when(t.lastUsedAt, true),
    t.lastUsedIp ? h('div', { class: 'small muted mono' }, t.lastUsedIp) : null,
    t.lastUsedUserAgent ? h('span', { class: 'small muted ua', title: t.lastUsedUserAgent }, t.lastUsedUserAgent) : null);
}

export function expires(t) {
  if (!t.expiresAt) return h('span', {}, 'never');
  return h('div', {}, when(t.expiresAt), h('div', { class: 'small muted' }, relativeDays(t.expiresAt)));
}

// scopeGrid is the scope picker: resource groups × create/read/update/delete,
// offering only what the user holds.
export function scopeGrid(catalog, held, checked = [], name = 'scope') {
  const holds = new Set(held);
  const on = new Set(checked);
  return h('table', { class: 'grid' },
    h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Resource'), ACTIONS.map((a) => h('th', { scope: 'col' }, a)))),
    h('tbody', {}, catalog.map((r) => h('tr', {},
      h('th', { scope: 'row' }, r.name, h('span', {}, r.description)),
      ACTIONS.map((a) => {
        const s = `${r.name}:${a}`;
        return h('td', {}, holds.has(s)
          ? h('input', { type: 'checkbox', name, value: s, checked: on.has(s), 'aria-label': s })
          : h('span', { class: 'na', title: `You do not hold ${s}` }, '—', h('span', { class: 'sr' }, `${s} not available`)));
      })))));
}

export const checkedScopes = (form, name = 'scope') => [...form.querySelectorAll(`input[name="${name}"]:checked`)].map((i) => i.value);

// expirySelect is the expiry picker of a new token: { el, value() } where
// value() is the expiry fields of the create request.
export function expirySelect(me, id) {
  const sel = h('select', { id, name: 'expiry' },
    createChoices(me).map((d) => h('option', { value: d, selected: d === me.defaultExpiryDays },
      `${d} days${d === me.defaultExpiryDays ? ' (default)' : ''}${d === me.maxExpiryDays ? ' (maximum)' : ''}`)),
    h('option', { value: 'date' }, 'Custom date…'),
    me.allowNeverExpires ? h('option', { value: 'never' }, 'No expiry') : null);
  const range = dateRange(me.maxExpiryDays);
  const max = new Date(Date.now() + me.maxExpiryDays * DAY);
  const date = h('input', { type: 'date', name: 'expiresOn', min: range.min, max: range.max, hidden: true, 'aria-label': 'Expiry date' });
  const note = h('span', { class: 'hint' });
  const update = () => {
    date.hidden = sel.value !== 'date';
    date.required = sel.value === 'date';
    if (/^\d+$/.test(sel.value)) note.textContent = `Expires on ${formatDate(Date.now() + sel.value * DAY)}. The maximum is ${me.maxExpiryDays} days.`;
    else if (sel.value === 'never') note.textContent = 'The token never expires. It is still deleted after a long time unused.';
    else note.textContent = `Pick a date up to ${formatDate(max)}.`;
  };
  sel.addEventListener('change', update);
  update();
  return {
    el: h('div', { class: 'field' }, h('label', { for: id }, 'Expiration'), sel, date, note),
    value() {
      if (sel.value === 'never') return { neverExpires: true };
      if (sel.value === 'date') return { expiresAt: customExpiresAt(date.value, me.maxExpiryDays) };
      return { expiresInDays: Number(sel.value) };
    },
  };
}
