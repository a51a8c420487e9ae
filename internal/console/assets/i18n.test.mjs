import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { test } from 'node:test';

import { AUDIT_ACTIONS } from './lists.mjs';
import { num, pickLanguage, setCatalog, t, tn } from './i18n.mjs';

const here = new URL('.', import.meta.url);
const catalog = (lang) => JSON.parse(readFileSync(new URL(`../../i18n/locales/${lang}/console.json`, here), 'utf8'));
const en = catalog('en');

// Every text the modules and the page ask for: t('key'), tn('key', n)
// (key.one and key.other), data-i18n="key" and data-i18n-label="key".
function usedKeys() {
  const keys = new Set();
  const plural = new Set();
  for (const f of readdirSync(here).filter((n) => n.endsWith('.mjs') && !n.endsWith('.test.mjs'))) {
    const src = readFileSync(new URL(f, here), 'utf8');
    for (const m of src.matchAll(/(?<![\w.$])(tn?)\(\s*'([^']+)'/g)) (m[1] === 'tn' ? plural : keys).add(m[2]);
  }
  const html = readFileSync(new URL('index.html', here), 'utf8');
  for (const m of html.matchAll(/data-i18n(?:-label)?="([^"]+)"/g)) keys.add(m[1]);
  return { keys, plural };
}

test('every text the console asks for exists in English', () => {
  const { keys, plural } = usedKeys();
  assert.ok(keys.size > 150, `only ${keys.size} keys found: the scan is broken`);
  const missing = [...keys].filter((k) => typeof en[k] !== 'string');
  for (const k of plural) for (const form of ['one', 'other']) if (typeof en[`${k}.${form}`] !== 'string') missing.push(`${k}.${form}`);
  assert.deepEqual(missing, []);
});

test('every audit action has its words', () => {
  setCatalog('en', en);
  for (const [action, text] of Object.entries(AUDIT_ACTIONS)) assert.notEqual(text(), `audit.${action}`, action);
  assert.equal(AUDIT_ACTIONS['token.revoked'](), 'Token revoked');
  setCatalog('de', catalog('de'));
  assert.equal(AUDIT_ACTIONS['token.revoked'](), 'Token widerrufen');
  setCatalog('nl', catalog('nl'));
  assert.equal(AUDIT_ACTIONS['token.revoked'](), 'Token ingetrokken');
});

test('the language: the stored choice, else the browser\'s first the console speaks, else English', () => {
  assert.equal(pickLanguage('nl', ['de-DE']), 'nl');
  assert.equal(pickLanguage(null, ['de-CH', 'en']), 'de');
  assert.equal(pickLanguage(null, ['fr-FR', 'nl-BE']), 'nl');
  assert.equal(pickLanguage('fr', ['fr-FR', 'it']), 'en');
  assert.equal(pickLanguage(undefined, []), 'en');
});

test('texts fill their placeholders, numbers and plurals in the language\'s way', () => {
  setCatalog('de', catalog('de'));
  assert.equal(tn('revokeAll.button', 1), '1 Token widerrufen');
  assert.equal(tn('revokeAll.button', 1234), '1.234 Tokens widerrufen');
  assert.equal(num(1234.5), '1.234,5');
  assert.equal(t('revoke.title', { name: 'CI' }), '„CI“ widerrufen?');
  setCatalog('en', en);
  assert.equal(tn('revokeAll.button', 7), 'Revoke 7 tokens');
  assert.equal(t('revoke.title', {}), 'Revoke “{name}”?'); // a missing value stays visible
  assert.equal(t('no.such.key'), 'no.such.key');
});
