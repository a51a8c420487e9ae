// DOM helpers: every text goes through textContent, never HTML.

import { describe } from './api.mjs';
import { formatDate } from './format.mjs';
import { language } from './i18n.mjs';

// h makes an element: attributes (on* are listeners; null, undefined and
// false are left out, true is an empty attribute) and children.
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k === 'class') el.className = v;
    else if (k === 'dataset') Object.assign(el.dataset, v);
    else if (v === true) el.setAttribute(k, '');
    else el.setAttribute(k, String(v));
  }
  append(el, children);
  return el;
}

// append adds children (nested arrays flattened; null, undefined and false
// left out; anything not a node as text).
export function append(el, children) {
  for (const c of children.flat(Infinity)) {
    if (c === undefined || c === null || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

export const $ = (sel, root = document) => root.querySelector(sel);
export const $$ = (sel, root = document) => [...root.querySelectorAll(sel)];
export const main = () => $('#main');

// show replaces the page's content. Focus inside it stays where it was
// (a page drawn again after a dialog's change): on the control of the
// same id, else on the page, never on <body>.
export function show(...children) {
  const focused = main().contains(document.activeElement) ? document.activeElement.id : null;
  main().replaceChildren();
  append(main(), children);
  if (focused !== null) {
    const again = focused && document.getElementById(focused);
    (again && main().contains(again) ? again : main()).focus();
  }
}

export function link(href, text, attrs = {}) {
  return h('a', { href, ...attrs }, text);
}

let toastTimer;
// toast says something briefly, to screen readers too.
export function toast(text) {
  const t = $('#toast');
  t.textContent = text;
  t.classList.add('show');
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => t.classList.remove('show'), 3500);
}

// when is a <time> for a moment in the reader's language (a time with its
// zone), or null for none.
export function when(iso, withTime = false) {
  if (!iso) return null;
  const d = new Date(iso);
  return h('time', { datetime: iso, title: d.toISOString() }, formatDate(d, { withTime, locale: language() }));
}

// errorBox shows an error in words.
export function errorBox(err) {
  return h('div', { class: 'notice error', role: 'alert' }, describe(err));
}
