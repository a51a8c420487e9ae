// A token's allowed sources: the addresses and CIDR ranges it may be used
// from. The service checks and normalises them (and answers 400 naming the
// entry); the console only splits what the user typed and shows the list.

import { h } from './dom.mjs';
import { t } from './i18n.mjs';

export const MAX_SOURCES = 16;

// parseSources splits a textarea's text into entries: one per line, or
// separated by commas or spaces; empty means usable from anywhere.
export function parseSources(text) {
  return String(text || '').split(/[\s,]+/).map((s) => s.trim()).filter((s) => s !== '');
}

// sourcesInput is the textarea of the create and edit forms.
export function sourcesInput(current = []) {
  const el = h('textarea', { name: 'allowedSources', rows: 3, spellcheck: 'false', autocomplete: 'off', class: 'mono',
    placeholder: '203.0.113.0/24\n2001:db8::/32' }, current.join('\n'));
  el.value = current.join('\n');
  return el;
}

export const sourcesHint = () => t('sources.hint', { max: MAX_SOURCES });

// sourcesCell shows a token's limit: "anywhere", or its ranges.
export function sourcesCell(tk) {
  const list = tk.allowedSources || [];
  if (list.length === 0) return h('span', { class: 'muted' }, t('sources.anywhere'));
  return h('div', { class: 'chips sources' }, list.map((s) => h('span', { class: 'chip mono' }, s)));
}

// sourcesLine is the list's short form: nothing for an unlimited token.
export function sourcesLine(tk) {
  const list = tk.allowedSources || [];
  if (list.length === 0) return null;
  const shown = list.length > 3 ? t('sources.andMore', { list: list.slice(0, 3).join(', '), n: list.length - 3 }) : list.join(', ');
  return h('div', { class: 'small muted sources', title: list.join('\n') }, t('sources.onlyFrom', { list: shown }));
}
