import { test } from 'node:test';
import assert from 'node:assert/strict';
import { overlapChoices, rotateBody } from './tokens.mjs';

test('the rotate dialog offers overlaps within the API bound, at once first', () => {
  assert.equal(overlapChoices[0], 0);
  for (const s of overlapChoices) assert.ok(Number.isInteger(s) && s >= 0 && s <= 604800, `overlap ${s}`);
});

test('a rotation with the defaults sends no body; any choice sends both fields', () => {
  assert.equal(rotateBody(0, false), undefined);
  assert.deepEqual(rotateBody(3600, false), { overlapSeconds: 3600, revokeReplacementOnReuse: false });
  assert.deepEqual(rotateBody(0, true), { overlapSeconds: 0, revokeReplacementOnReuse: true });
});
