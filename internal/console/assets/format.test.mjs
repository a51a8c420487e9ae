import assert from 'node:assert/strict';
import { test } from 'node:test';

import { dateOf, DAY, dayStart, expiresSoon, formatDate, relativeDays } from './format.mjs';

test('formatDate writes a date, or a date and time, as the locale does', () => {
  const utc = { timeZone: 'UTC' };
  assert.equal(formatDate('2030-01-31T23:30:00Z', { locale: 'en-US', ...utc }), 'Jan 31, 2030');
  assert.equal(formatDate('2030-01-31T23:30:00Z', { locale: 'en-GB', ...utc }), '31 Jan 2030');
  assert.equal(formatDate('2030-01-31T23:30:00Z', { locale: 'de-DE', ...utc }), '31.01.2030');
  // A time always comes with its zone.
  assert.equal(formatDate('2030-01-31T23:30:00Z', { locale: 'en-GB', withTime: true, ...utc }), '31 Jan 2030, 23:30 UTC');
  assert.equal(formatDate('2030-01-31T23:30:00Z', { locale: 'de', withTime: true, timeZone: 'Europe/Berlin' }), '1. Feb. 2030, 00:30 MEZ');
  assert.equal(formatDate('2030-07-31T23:30:00Z', { locale: 'nl', withTime: true, timeZone: 'Europe/Amsterdam' }), '1 aug 2030, 01:30 CEST');
  // The reader's time zone decides the day.
  assert.equal(formatDate('2030-01-31T23:30:00Z', { locale: 'en-GB', timeZone: 'Europe/Berlin' }), '1 Feb 2030');
  // A Date or milliseconds work as well as ISO text.
  assert.equal(formatDate(Date.parse('2030-01-31T00:00:00Z'), { locale: 'en-GB', ...utc }), '31 Jan 2030');
  assert.equal(formatDate(new Date('2030-01-31T00:00:00Z'), { locale: 'en-GB', ...utc }), '31 Jan 2030');
});

test('relativeDays counts whole days from now', () => {
  const now = Date.parse('2030-01-10T12:00:00Z');
  const cases = [
    [now, 'today'],
    [now + 11 * 3600000, 'today'], // rounds to the nearest day
    [now - 11 * 3600000, 'today'],
    [now + 13 * 3600000, 'tomorrow'],
    [now + DAY, 'tomorrow'],
    [now + 2 * DAY, 'in 2 days'],
    [now + 365 * DAY, 'in 365 days'],
    [now - DAY, 'yesterday'],
    [now - 3 * DAY, '3 days ago'],
  ];
  for (const [at, want] of cases) {
    assert.equal(relativeDays(new Date(at).toISOString(), now, 'en'), want, new Date(at).toISOString());
  }
  assert.equal(relativeDays(new Date(now + 3 * DAY).toISOString(), now, 'de'), 'in 3 Tagen');
  assert.equal(relativeDays(new Date(now - DAY).toISOString(), now, 'nl'), 'gisteren');
});

test('a token expires soon within the first reminder\'s window', () => {
  const now = Date.parse('2030-01-10T12:00:00Z');
  const at = (days) => new Date(now + days * DAY).toISOString();
  assert.equal(expiresSoon(at(6.9), 7, now), true);
  assert.equal(expiresSoon(at(7), 7, now), true);
  assert.equal(expiresSoon(at(7.1), 7, now), false);
  assert.equal(expiresSoon(at(-1), 7, now), false); // already expired
  assert.equal(expiresSoon(null, 7, now), false); // never expires
  assert.equal(expiresSoon(at(1), undefined, now), false); // no window known
});

test('dayStart and dateOf turn a date input into a filter and back', () => {
  assert.equal(dayStart('2030-01-31'), '2030-01-31T00:00:00Z');
  assert.equal(dayStart(''), '');
  assert.equal(dateOf('2030-01-31T00:00:00Z'), '2030-01-31');
  assert.equal(dateOf(undefined), '');
  assert.equal(dateOf(dayStart('2030-01-31')), '2030-01-31');
});
