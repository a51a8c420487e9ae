// The token console: ES modules, no framework, no build step. It talks to
// the management API on the same origin. This module wires the others:
// configuration, sign-in, the API's credentials, the pages and the router.
//
//   api.mjs      the management API client and its errors in words
//   signin.mjs   OIDC sign-in (oidc.mjs: its pure parts, PKCE and claims)
//   router.mjs   which page shows an address (routes.mjs: the table)
//   tokens.mjs   the self-service pages; admin.mjs: the administration's; directory.mjs: its users
//   dom.mjs, dialogs.mjs, widgets.mjs, lists.mjs, reveal.mjs: what pages are built of
//   format.mjs, expiry.mjs: dates and counts

import { ApiError, authenticate, describe } from './api.mjs';
import { pageAdminTokens, pageAdminUser, pageAudit } from './admin.mjs';
import { loadConfig } from './config.mjs';
import { pageAdminToken } from './adminToken.mjs';
import { pageDirectory } from './directory.mjs';
import { $, h, show } from './dom.mjs';
import { listen, route } from './router.mjs';
import { BASE } from './routes.mjs';
import * as signin from './signin.mjs';
import { pageToken, pageTokens } from './tokens.mjs';
import { loadMe } from './user.mjs';

listen({
  tokens: pageTokens,
  token: pageToken,
  adminTokens: pageAdminTokens,
  adminToken: pageAdminToken,
  adminUsers: pageDirectory,
  adminUser: pageAdminUser,
  audit: pageAudit,
});

async function start() {
  try {
    const cfg = await loadConfig();
    if (cfg.auth === 'oidc') {
      signin.configure(cfg.oidc);
      authenticate({
        headers: async () => ({ Authorization: `Bearer ${await signin.idToken()}` }),
        unauthenticated: signin.signInAgain,
      });
      if (signin.isReturn()) await signin.finishSignIn();
      else await signin.idToken(); // no session in this page yet: sign in (silently, where the IdP session allows)
      const out = $('#sign-out');
      out.hidden = false;
      out.addEventListener('click', signin.signOut);
    } else {
      devUserPicker(cfg.devUsers || []);
    }
    await loadMe();
  } catch (e) {
    show(h('h1', {}, 'Cannot sign in'), h('div', { class: 'notice error', role: 'alert' }, e instanceof ApiError ? describe(e) : String(e.message || e)),
      h('p', {}, h('a', { href: BASE }, 'Try again')));
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
    users.push({ id: devUser, label: `${devUser} (user)`, header: devUser });
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
