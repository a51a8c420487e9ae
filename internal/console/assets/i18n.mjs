// The console's words in German, Dutch and English: one catalogue per
// language (/console/i18n/<lang>.json, flat "key": "text" with {name}
// placeholders), the reader's choice of language, and numbers in its
// format. The catalogue is set before anything is drawn.

export const LANGUAGES = ['de', 'nl', 'en'];
// Each language by its own name, as the switch offers them.
export const NAMES = { de: 'Deutsch', nl: 'Nederlands', en: 'English' };
export const STORED = 'pat.lang'; // localStorage key of the reader's choice

let lang = 'en';
let catalog = {};

// pickLanguage is the reader's language: their stored choice, else the
// first of the browser's languages the console speaks (de-CH → de), else
// English.
export function pickLanguage(stored, browser = []) {
  if (LANGUAGES.includes(stored)) return stored;
  for (const l of browser) {
    const base = String(l).toLowerCase().split('-')[0];
    if (LANGUAGES.includes(base)) return base;
  }
  return 'en';
}

// setCatalog makes a language's catalogue the one t() reads.
export function setCatalog(language, entries) {
  lang = language;
  catalog = entries;
  numbers = new Intl.NumberFormat(language);
  plurals = new Intl.PluralRules(language);
}

// load fetches a language's catalogue and makes it current. The
// catalogues are served with the modules' set (i18n/<lang>.json beside
// this module), so they are cached and replaced together.
export async function load(language) {
  const resp = await fetch(new URL(`i18n/${language}.json`, import.meta.url));
  if (!resp.ok) throw new Error(`the ${language} texts: HTTP ${resp.status}`);
  setCatalog(language, await resp.json());
}

export const language = () => lang;

let numbers = new Intl.NumberFormat('en');
let plurals = new Intl.PluralRules('en');

// num is a number as the reader's language writes it (1,234 / 1.234).
export const num = (n) => numbers.format(n);

// t is a text of the catalogue with its placeholders filled; numbers are
// written in the language's format. A missing key shows as itself, which
// the tests forbid.
export function t(key, params = {}) {
  const text = catalog[key];
  if (typeof text !== 'string') return key;
  return text.replace(/\{(\w+)\}/g, (m, name) => {
    if (!(name in params)) return m;
    const v = params[name];
    return typeof v === 'number' ? num(v) : String(v);
  });
}

// tn is a text that depends on a count n: key.one or key.other, as the
// language's plural rules choose, with {n} filled.
export function tn(key, n, params = {}) {
  const form = plurals.select(n);
  const k = catalog[`${key}.${form}`] !== undefined ? `${key}.${form}` : `${key}.other`;
  return t(k, { n, ...params });
}
