import assert from 'node:assert/strict';
import { test } from 'node:test';

import { lang, STRINGS, t } from './strings-directory.mjs';

test('every directory string exists in every language', () => {
  const keys = (l) => Object.keys(STRINGS[l]).sort();
  for (const l of Object.keys(STRINGS)) assert.deepEqual(keys(l), keys('en'), `${l} differs from en`);
  for (const l of Object.keys(STRINGS)) {
    for (const [k, v] of Object.entries(STRINGS[l])) assert.ok(v.trim() !== '', `${l} ${k} is empty`);
  }
});

test('the language comes from the browser, English otherwise', () => {
  assert.equal(lang(['de-DE', 'en']), 'de');
  assert.equal(lang(['fr-FR', 'nl-BE']), 'nl');
  assert.equal(lang(['fr']), 'en');
  assert.equal(t('directory.title', 'de'), 'Benutzer');
  assert.equal(t('no.such.key', 'nl'), 'no.such.key');
});
