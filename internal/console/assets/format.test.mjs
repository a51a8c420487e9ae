import assert from 'node:assert/strict';
import { test } from 'node:test';

import { count, dateOf, DAY, dayStart, formatDate, relativeDays } from './format.mjs';

test('formatDate writes a date, or a date and time, as the locale does', () => {
  const utc = { timeZone: 'UTC' };
  assert.equal(formatDate('2030-01-31T23:30:00Z', { locale: 'en-US', ...utc }), 'Jan 31, 2030');
  assert.equal(formatDate('2030-01-31T23:30:00Z', { locale: 'en-GB', ...utc }), '31 Jan 2030');
  assert.equal(formatDate('2030-01-31T23:30:00Z', { locale: 'de-DE', ...utc }), '31.01.2030');
  assert.equal(formatDate('2030-01-31T23:30:00Z', { locale: 'en-GB', withTime: true, ...utc }), '31 Jan 2030, 23:30');
  // The reader's time zone decides the day.
  assert.equal(formatDate('2030-01-31T23:30:00Z', { locale: 'en-GB', timeZone: 'Europe/Berlin' }), '1 Feb 2030');
  // A Date or milliseconds work as well as ISO text.
  assert.equal(formatDate(Date.parse('2030-01-31T00:00:00Z'), { locale: 'en-GB', ...utc }), '31 Jan 2030');
  assert.equal(formatDate(new Date('2030-01-31T00:00:00Z'), { locale: 'en-GB', ...utc }), '31 Jan 2030');
});

test('count names a count with its noun, singular only for one', () => {
  for (const [n, want] of [[0, '0 tokens'], [1, '1 token'], [2, '2 tokens'], [97, '97 tokens']]) {
    assert.equal(count(n, 'token'), want);
  }
});

test('relativeDays counts whole days from now', () => {
  const now = Date.parse('2030-01-10T12:00:00Z');
  const cases = [
    [now, 'today'],
    [now + 11 * 3600000, 'today'], // rounds to the nearest day
    [now - 11 * 3600000, 'today'],
    [now + 13 * 3600000, 'in 1 day'],
    [now + DAY, 'in 1 day'],
    [now + 2 * DAY, 'in 2 days'],
    [now + 365 * DAY, 'in 365 days'],
    [now - DAY, '1 day ago'],
    [now - 3 * DAY, '3 days ago'],
  ];
  for (const [at, want] of cases) {
    assert.equal(relativeDays(new Date(at).toISOString(), now), want, new Date(at).toISOString());
  }
});

test('dayStart and dateOf turn a date input into a filter and back', () => {
  assert.equal(dayStart('2030-01-31'), '2030-01-31T00:00:00Z');
  assert.equal(dayStart(''), '');
  assert.equal(dateOf('2030-01-31T00:00:00Z'), '2030-01-31');
  assert.equal(dateOf(undefined), '');
  assert.equal(dateOf(dayStart('2030-01-31')), '2030-01-31');
});
