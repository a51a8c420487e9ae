// The token console: ES modules, no framework, no build step. It talks to
// the management API on the same origin. This module wires the others:
// the language, configuration, sign-in, the API's credentials, the pages
// and the router.
//
//   i18n.mjs     the words in German, Dutch and English (/console/i18n/<lang>.json)
//   api.mjs      the management API client and its errors in words
//   signin.mjs   OIDC sign-in (oidc.mjs: its pure parts, PKCE and claims)
//   router.mjs   which page shows an address (routes.mjs: the table)
//   tokens.mjs   the self-service pages; admin.mjs: the administration's; directory.mjs: its users
//   dom.mjs, dialogs.mjs, widgets.mjs, lists.mjs, reveal.mjs: what pages are built of
//   format.mjs, expiry.mjs: dates and counts

import { api, ApiError, authenticate, describe } from './api.mjs';
import { pageAdminTokens, pageAdminUser, pageAudit } from './admin.mjs';
import { pageAdminToken } from './adminToken.mjs';
import { pageDirectory } from './directory.mjs';
import { loadConfig } from './config.mjs';
import { $, $$, h, show, toast } from './dom.mjs';
import { LANGUAGES, load, NAMES, pickLanguage, STORED, t } from './i18n.mjs';
import { listen, route } from './router.mjs';
import { BASE } from './routes.mjs';
import * as signin from './signin.mjs';
import { pageToken, pageTokens } from './tokens.mjs';
import { header, loadMe, me } from './user.mjs';

listen({
  tokens: pageTokens,
  token: pageToken,
  adminTokens: pageAdminTokens,
  adminToken: pageAdminToken,
  adminUsers: pageDirectory,
  adminUser: pageAdminUser,
  audit: pageAudit,
});

// storedLanguage is the reader's choice, if the browser lets us keep one.
function storedLanguage() {
  try { return localStorage.getItem(STORED); } catch { return null; }
}

// translateStatic puts the page's own words (index.html: data-i18n for the
// text, data-i18n-label for an aria-label) in the current language.
function translateStatic(lang) {
  document.documentElement.lang = lang;
  for (const el of $$('[data-i18n]')) el.textContent = t(el.dataset.i18n);
  for (const el of $$('[data-i18n-label]')) el.setAttribute('aria-label', t(el.dataset.i18nLabel));
}

// languageSwitch offers the three languages by their own names. A choice
// is kept in this browser and, when signed in, saved as the language of
// the reader's mails.
function languageSwitch(current) {
  const sel = $('#lang');
  sel.replaceChildren(...LANGUAGES.map((l) => h('option', { value: l, lang: l, selected: l === current }, NAMES[l])));
  sel.addEventListener('change', async () => {
    const lang = sel.value;
    try { localStorage.setItem(STORED, lang); } catch { /* kept for this page only */ }
    try {
      await load(lang);
    } catch (e) {
      toast(describe(e));
      return;
    }
    translateStatic(lang);
    header();
    await route();
    if (!me()) return;
    try {
      await api('PATCH', '/me', { language: lang });
      toast(t('lang.saved', { language: NAMES[lang] }));
    } catch (e) {
      toast(t('lang.notSaved', { reason: describe(e) }));
    }
  });
}

async function start() {
  const lang = pickLanguage(storedLanguage(), navigator.languages || [navigator.language]);
  try {
    await load(lang);
  } catch {
    // Without the texts the page can only say so in the language of the
    // markup, English.
    show(h('h1', {}, 'Cannot load the console'), h('div', { class: 'notice error', role: 'alert' }, 'The service could not be reached. Check your connection and try again.'));
    return;
  }
  translateStatic(lang);
  languageSwitch(lang);
  try {
    const cfg = await loadConfig();
    if (cfg.auth === 'oidc') {
      signin.configure(cfg.oidc);
      authenticate({
        headers: async () => ({ Authorization: `Bearer ${await signin.idToken()}` }),
        unauthenticated: signin.unauthenticated,
        accepted: signin.accepted,
      });
      if (signin.isReturn()) {
        await signin.finishSignIn();
      } else if (signin.signedOut()) {
        signin.signedOutPage();
        return;
      } else {
        await signin.idToken(); // no session in this page yet: sign in (silently, where the IdP session allows)
      }
      const out = $('#sign-out');
      out.hidden = false;
      out.addEventListener('click', signin.signOut);
    } else {
      devUserPicker(cfg.devUsers || []);
    }
    await loadMe();
  } catch (e) {
    if (e instanceof ApiError && e.code === 'sign_in_refused') {
      signin.refusedPage(e);
      return;
    }
    show(h('h1', {}, t('signin.cannotSignIn')), h('div', { class: 'notice error', role: 'alert' }, e instanceof ApiError ? describe(e) : String(e.message || e)),
      h('p', {}, h('a', { href: BASE }, t('signin.tryAgain'))));
    return;
  }
  await route();
}

// devUserPicker: locally, act as the development user (an administrator) or
// another user, as the X-Dev-User header does. Not a secret: kept for the tab.
function devUserPicker(users) {
  const sel = $('#dev-user');
  let devUser = sessionStorage.getItem('pat.devUser') || '';
  authenticate({ headers: async () => (devUser ? { 'X-Dev-User': devUser } : {}), unauthenticated: null });
  if (devUser && !users.some((u) => u.header === devUser)) {
    users.push({ id: devUser, label: devUser, header: devUser });
  }
  sel.replaceChildren(...users.map((u) => h('option', { value: u.header, selected: u.header === devUser }, u.label)));
  $('#dev-user-label').hidden = false;
  sel.addEventListener('change', async () => {
    devUser = sel.value;
    sessionStorage.setItem('pat.devUser', sel.value);
    await loadMe();
    await route();
  });
}

start();
