// Formatting for people: dates in the reader's locale and time zone (a
// time always with its zone), days counted from now, and the day filters
// the admin pages send. Pure: no DOM, and the clock is an argument.

export const DAY = 86400000; // milliseconds

const formatters = new Map();

// formatDate is a date (withTime: and its time, with the zone, since
// readers and servers sit in different ones) as the reader's language
// writes it; locale and timeZone default to the browser's.
export function formatDate(date, { withTime = false, locale, timeZone } = {}) {
  const key = `${withTime}|${locale}|${timeZone}`;
  let f = formatters.get(key);
  if (!f) {
    const parts = withTime
      ? { year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', timeZoneName: 'short' }
      : { dateStyle: 'medium' };
    f = new Intl.DateTimeFormat(locale, { ...parts, ...(timeZone ? { timeZone } : {}) });
    formatters.set(key, f);
  }
  return f.format(new Date(date));
}

// relativeDays says how far a moment is from now in whole days, in the
// reader's language: "today", "in 3 days", "vor 1 Tag".
export function relativeDays(iso, now = Date.now(), locale = undefined) {
  const days = Math.round((new Date(iso) - now) / DAY);
  return new Intl.RelativeTimeFormat(locale, { numeric: 'auto' }).format(days, 'day');
}

// expiresSoon tells whether a token's expiry falls within the window of
// the first expiry reminder (days before it), so the lists can mark it.
export function expiresSoon(iso, windowDays, now = Date.now()) {
  if (!iso || !(windowDays > 0)) return false;
  const left = new Date(iso) - now;
  return left > 0 && left <= windowDays * DAY;
}

// dayStart turns a date input's value (2030-01-31) into the moment the API
// filters by (2030-01-31T00:00:00Z); dateOf is the way back.
export const dayStart = (d) => (d ? `${d}T00:00:00Z` : '');
export const dateOf = (iso) => (iso ? iso.slice(0, 10) : '');
