// Formatting for people: dates in the reader's locale and time zone, days
// counted from now, counts with their noun, and the day filters the admin
// pages send. Pure: no DOM, and the clock is an argument.

export const DAY = 86400000; // milliseconds

const formatters = new Map();

// formatDate is a date (withTime: and its time) as the reader writes it;
// locale and timeZone default to the browser's.
export function formatDate(date, { withTime = false, locale, timeZone } = {}) {
  const key = `${withTime}|${locale}|${timeZone}`;
  let f = formatters.get(key);
  if (!f) {
    f = new Intl.DateTimeFormat(locale, { dateStyle: 'medium', ...(withTime ? { timeStyle: 'short' } : {}), ...(timeZone ? { timeZone } : {}) });
    formatters.set(key, f);
  }
  return f.format(new Date(date));
}

// count is a number with its noun: "1 token", "2 tokens", "0 days".
export function count(n, noun) {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}

// relativeDays says how far a moment is from now in whole days: "today",
// "in 3 days", "1 day ago".
export function relativeDays(iso, now = Date.now()) {
  const days = Math.round((new Date(iso) - now) / DAY);
  if (days === 0) return 'today';
  return days > 0 ? `in ${count(days, 'day')}` : `${count(-days, 'day')} ago`;
}

// dayStart turns a date input's value (2030-01-31) into the moment the API
// filters by (2030-01-31T00:00:00Z); dateOf is the way back.
export const dayStart = (d) => (d ? `${d}T00:00:00Z` : '');
export const dateOf = (iso) => (iso ? iso.slice(0, 10) : '');
