import assert from 'node:assert/strict';
import { test } from 'node:test';

import { match, tokenPath, userPath } from './routes.mjs';

test('each console path shows its page with its arguments', () => {
  const cases = [
    ['/console/', { page: 'tokens', nav: 'tokens', args: [] }],
    ['/console/tokens', { page: 'tokens', nav: 'tokens', args: [] }], // mails link here
    ['/console/tokens/', { page: 'tokens', nav: 'tokens', args: [] }],
    ['/console/tokens/patAbc123', { page: 'token', nav: 'tokens', args: ['patAbc123'] }],
    ['/console/tokens/a%2Fb%20c', { page: 'token', nav: 'tokens', args: ['a/b c'] }],
    ['/console/admin', { page: 'adminTokens', nav: 'admin', args: [] }],
    ['/console/admin/', { page: 'adminTokens', nav: 'admin', args: [] }],
    ['/console/admin/tokens', { page: 'adminTokens', nav: 'admin', args: [] }],
    ['/console/admin/tokens/patAbc123', { page: 'adminToken', nav: 'admin', args: ['patAbc123'] }],
    ['/console/admin/users', { page: 'adminUsers', nav: 'admin', args: [] }],
    ['/console/admin/users/alice%40example.com', { page: 'adminUser', nav: 'admin', args: ['alice@example.com'] }],
    ['/console/admin/audit', { page: 'audit', nav: 'admin', args: [] }],
  ];
  for (const [path, want] of cases) assert.deepEqual(match(path), want, path);
});

test('other paths show no page', () => {
  for (const path of ['/', '/console', '/console/nope', '/console/tokens/a/b', '/console/admin/users/', '/console/admin/tokens/x/y', '/other/console/']) {
    assert.equal(match(path), null, path);
  }
});

test('page paths encode their ids so that match gets them back', () => {
  for (const id of ['patAbc123', 'a/b c', 'alice@example.com', 'ü?#&']) {
    assert.deepEqual(match(tokenPath(id)).args, [id]);
    assert.deepEqual(match(userPath(id)).args, [id]);
  }
});
