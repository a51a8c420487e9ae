import assert from 'node:assert/strict';
import { test } from 'node:test';

import { parseSources } from './sources.mjs';

test('parseSources splits lines, commas and spaces, and drops empty entries', () => {
  assert.deepEqual(parseSources(''), []);
  assert.deepEqual(parseSources('  \n '), []);
  assert.deepEqual(parseSources('203.0.113.0/24\n2001:db8::/32'), ['203.0.113.0/24', '2001:db8::/32']);
  assert.deepEqual(parseSources('10.0.0.1, 10.0.0.2 10.0.0.3\r\n\n10.0.0.4,'), ['10.0.0.1', '10.0.0.2', '10.0.0.3', '10.0.0.4']);
  assert.deepEqual(parseSources(undefined), []);
});

test('parseSources leaves checking to the service', () => {
  assert.deepEqual(parseSources('not-an-address'), ['not-an-address']);
});
