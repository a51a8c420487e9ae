import assert from 'node:assert/strict';
import { test } from 'node:test';

import { readFileSync } from 'node:fs';

import { ApiError, challengeReason, describe, qs } from './api.mjs';
import { setCatalog } from './i18n.mjs';

setCatalog('en', JSON.parse(readFileSync(new URL('../../i18n/locales/en/console.json', import.meta.url), 'utf8')));

test('qs keeps the parameters that have a value', () => {
  assert.equal(qs({}), '');
  assert.equal(qs({ cursor: '', limit: 50 }), '?limit=50');
  assert.equal(qs({ owner: 'a b&c', status: undefined, token: null, expiringBefore: '2030-01-01T00:00:00Z' }), '?owner=a+b%26c&expiringBefore=2030-01-01T00%3A00%3A00Z');
  assert.equal(qs({ limit: 0 }), '?limit=0');
});

test('a problem is told in words', () => {
  const cases = [
    [new Error('fetch failed'), 'The service could not be reached. Check your connection and try again.'],
    [new ApiError(0, null), 'The service could not be reached. Check your connection and try again.'], // not "HTTP 0"
    [new ApiError(401, { code: 'sign_in_refused', detail: 'the token\'s audience is not this service' }), 'The service refused your sign-in: the token\'s audience is not this service'],
    [new ApiError(403, { code: 'forbidden' }), 'You are not an administrator. These pages are for members of the administrators\' group; ask an administrator if you need access.'],
    [new ApiError(403, { code: 'scope_not_permitted', scopes: ['crm:delete', 'orders:read'] }), 'You do not hold these permissions, so a token cannot have them (crm:delete, orders:read).'],
    [new ApiError(400, { code: 'unknown_scope', scopes: [] }), 'These scopes do not exist.'],
    [new ApiError(409, { code: 'token_not_active', detail: 'the token is revoked' }), 'That cannot be done to this token now: the token is revoked.'],
    [new ApiError(409, { code: 'confirmation_mismatch', count: 3 }), 'The number of tokens changed meanwhile: it is now 3. Check and type the new number.'],
    [new ApiError(400, { code: 'invalid_request', detail: 'name is empty' }), 'Please check your input: name is empty.'],
    [new ApiError(500, { code: 'internal', detail: 'internal error' }), 'Something went wrong on the server. Try again in a moment.'],
    [new ApiError(502, null), 'Something went wrong on the server. Try again in a moment.'],
    [new ApiError(418, { code: 'teapot', detail: 'short and stout' }), 'The request was refused: short and stout.'],
    [new ApiError(404, null), 'The request was refused (HTTP 404).'],
  ];
  for (const [err, want] of cases) assert.equal(describe(err), want, err.message);
});

test('an ApiError carries the status and the problem\'s code', () => {
  const e = new ApiError(409, { code: 'conflict', detail: 'changed' });
  assert.equal(e.status, 409);
  assert.equal(e.code, 'conflict');
  assert.equal(e.message, 'changed');
  assert.equal(new ApiError(503, null).code, '');
  assert.equal(new ApiError(503, null).message, 'HTTP 503');
});

test('a challenge names why a token was refused', () => {
  assert.equal(challengeReason('Bearer scope="" error="invalid_token" error_description="the token has expired"'), 'the token has expired');
  assert.equal(challengeReason('Bearer error="invalid_token" error_description="say \\"hi\\""'), 'say "hi"');
  assert.equal(challengeReason(''), '');
});
