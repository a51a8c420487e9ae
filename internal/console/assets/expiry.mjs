// The expiry a token is created or extended with, within the user's
// lifetime settings from /me (defaultExpiryDays, maxExpiryDays). Pure: the
// clock is an argument.

import { DAY } from './format.mjs';

// createChoices are the lifetimes in days the create dialog offers.
export function createChoices(me) {
  return sortedUnique([7, 30, 90, me.defaultExpiryDays, me.maxExpiryDays], me.maxExpiryDays);
}

// extendChoices are the lifetimes in days an extension offers.
export function extendChoices(me) {
  return sortedUnique([30, 90, me.defaultExpiryDays, me.maxExpiryDays], me.maxExpiryDays);
}

function sortedUnique(days, max) {
  return [...new Set(days)].filter((d) => d <= max).sort((a, b) => a - b);
}

// dateRange is the first and last day (YYYY-MM-DD, UTC) a custom expiry
// date may be: tomorrow to the maximum lifetime.
export function dateRange(maxDays, now = Date.now()) {
  return {
    min: new Date(now + DAY).toISOString().slice(0, 10),
    max: new Date(now + maxDays * DAY).toISOString().slice(0, 10),
  };
}

// customExpiresAt is the expiresAt sent for a picked day: the end of that
// day (UTC), but never past the maximum lifetime.
export function customExpiresAt(day, maxDays, now = Date.now()) {
  const end = new Date(`${day}T23:59:59Z`);
  const latest = new Date(now + maxDays * DAY - 60000);
  return (end > latest ? latest : end).toISOString().replace(/\.\d{3}Z$/, 'Z');
}
