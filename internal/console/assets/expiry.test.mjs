import assert from 'node:assert/strict';
import { test } from 'node:test';

import { createChoices, customExpiresAt, dateRange, extendChoices } from './expiry.mjs';

test('the lifetimes offered are the usual ones and the settings, sorted, none past the maximum', () => {
  const cases = [
    [{ defaultExpiryDays: 30, maxExpiryDays: 365 }, [7, 30, 90, 365], [30, 90, 365]],
    [{ defaultExpiryDays: 14, maxExpiryDays: 60 }, [7, 14, 30, 60], [14, 30, 60]],
    [{ defaultExpiryDays: 7, maxExpiryDays: 7 }, [7], [7]],
    [{ defaultExpiryDays: 90, maxExpiryDays: 90 }, [7, 30, 90], [30, 90]],
  ];
  for (const [me, create, extend] of cases) {
    assert.deepEqual(createChoices(me), create, JSON.stringify(me));
    assert.deepEqual(extendChoices(me), extend, JSON.stringify(me));
  }
});

test('a custom date may be from tomorrow to the maximum lifetime', () => {
  const now = Date.parse('2030-01-31T22:00:00Z');
  assert.deepEqual(dateRange(30, now), { min: '2030-02-01', max: '2030-03-02' });
});

test('a custom date expires at the end of that day, but never past the maximum lifetime', () => {
  const now = Date.parse('2030-01-01T10:00:00Z');
  assert.equal(customExpiresAt('2030-01-15', 30, now), '2030-01-15T23:59:59Z');
  // The last day allowed ends after the maximum: a minute before it instead.
  assert.equal(customExpiresAt('2030-01-31', 30, now), '2030-01-31T09:59:00Z');
  assert.equal(customExpiresAt('2030-06-01', 30, now), '2030-01-31T09:59:00Z');
});
