import assert from 'node:assert/strict';
import { test } from 'node:test';

import { usage } from './reveal.mjs';

const catalog = [
  { name: 'crm', paths: ['/api/crm/contacts'] },
  { name: 'orders', paths: [] },
];

test('the usage examples call the first scope\'s API with the token from PAT_TOKEN', () => {
  const u = usage('https://demo.example.com/demo', catalog, ['orders:read', 'crm:read']);
  assert.equal(u.curl, 'curl -H "Authorization: Bearer $PAT_TOKEN" https://demo.example.com/demo/api/orders');
  assert.match(u.python, /requests\.get\(\n {4}"https:\/\/demo\.example\.com\/demo\/api\/orders",/);
  assert.match(u.python, /os\.environ\['PAT_TOKEN'\]/);
  assert.match(u.powershell, /-Uri "https:\/\/demo\.example\.com\/demo\/api\/orders"/);
  assert.equal(usage('http://127.0.0.1:8080', catalog, ['crm:update']).curl,
    'curl -H "Authorization: Bearer $PAT_TOKEN" http://127.0.0.1:8080/api/crm/contacts');
  // No scope: the CRM, as the demo API's first example.
  assert.equal(usage('https://demo.example.com', catalog, []).curl, 'curl -H "Authorization: Bearer $PAT_TOKEN" https://demo.example.com/api/crm/contacts');
  // tokens:self-rotate opens no API: the example calls the next scope's, else the CRM.
  assert.equal(usage('https://demo.example.com', catalog, ['orders:read', 'tokens:self-rotate']).curl, 'curl -H "Authorization: Bearer $PAT_TOKEN" https://demo.example.com/api/orders');
  assert.equal(usage('https://demo.example.com', catalog, ['tokens:self-rotate']).curl, 'curl -H "Authorization: Bearer $PAT_TOKEN" https://demo.example.com/api/crm/contacts');
});
