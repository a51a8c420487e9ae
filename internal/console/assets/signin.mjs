// Sign-in with OIDC: authorization code with PKCE, or, on the local
// server, no sign-in at all (main.mjs). The session's tokens live in this
// module's memory only; across the redirect, sessionStorage holds the
// verifier, state and nonce, never a token, and whether the reader signed
// out (so that the page does not sign them straight back in).

import { ApiError, challengeReason } from './api.mjs';
import { h, show } from './dom.mjs';
import { t } from './i18n.mjs';
import { authorizeURL, discoveryURL, isCognito, logoutURL, pkceChallenge, randomString, returnPath, session as sessionFrom } from './oidc.mjs';
import { BASE } from './routes.mjs';

const PENDING = 'pat.oidc.pending';
const SIGNED_OUT = 'pat.signedOut';

let oidc = null; // config.json's oidc
let session = null; // {idToken, refreshToken, expiresAt}
// fresh: the session comes from a sign-in and the API has not accepted it
// yet. A 401 then is the service refusing the sign-in itself (audience,
// issuer, clock): signing in again would only loop.
let fresh = false;

const redirectURI = () => location.origin + BASE;

// configure sets the identity provider to sign in with.
export function configure(cfg) {
  oidc = cfg;
}

// signIn leaves for the identity provider; it never resolves.
export async function signIn() {
  sessionStorage.removeItem(SIGNED_OUT);
  const verifier = randomString(32);
  const challenge = await pkceChallenge(verifier);
  const pending = { state: randomString(16), nonce: randomString(16), verifier, returnTo: location.pathname + location.search };
  sessionStorage.setItem(PENDING, JSON.stringify(pending));
  location.assign(authorizeURL(oidc, { redirectURI: redirectURI(), state: pending.state, nonce: pending.nonce, challenge }));
  return new Promise(() => {}); // the page is leaving
}

async function tokenRequest(params) {
  const resp = await fetch(oidc.tokenUrl, {
    method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ client_id: oidc.clientId, ...params }).toString(),
  });
  if (!resp.ok) throw new Error(`token endpoint answered ${resp.status}`);
  return resp.json();
}

// isReturn tells whether the page is the provider's redirect back.
export const isReturn = () => new URLSearchParams(location.search).has('state');

// signedOut tells whether the reader signed out in this tab and has not
// asked to sign in since.
export const signedOut = () => sessionStorage.getItem(SIGNED_OUT) === '1';

// finishSignIn completes a redirect back from the identity provider.
export async function finishSignIn() {
  const q = new URLSearchParams(location.search);
  const pending = JSON.parse(sessionStorage.getItem(PENDING) || 'null');
  sessionStorage.removeItem(PENDING);
  if (q.get('error')) throw new Error(`sign-in failed: ${q.get('error_description') || q.get('error')}`);
  if (!pending || q.get('state') !== pending.state) throw new Error('the sign-in answer does not match this page (state); reload to try again');
  const tokens = await tokenRequest({ grant_type: 'authorization_code', code: q.get('code'), redirect_uri: redirectURI(), code_verifier: pending.verifier });
  session = sessionFrom(tokens, { nonce: pending.nonce, refreshToken: session?.refreshToken });
  fresh = true;
  // The code leaves the address bar and the history.
  history.replaceState(null, '', returnPath(pending.returnTo, BASE));
}

// idToken is a current ID token: the session's, refreshed when it expires
// within a minute, or none (signing in again).
export async function idToken() {
  const s = session;
  if (s && s.expiresAt - 60000 > Date.now()) return s.idToken;
  if (s?.refreshToken) {
    try {
      session = sessionFrom(await tokenRequest({ grant_type: 'refresh_token', refresh_token: s.refreshToken }), { refreshToken: s.refreshToken });
      return session.idToken;
    } catch { /* sign in again */ }
  }
  session = null;
  return signIn();
}

// accepted: the API took the session's token.
export function accepted() {
  fresh = false;
}

// unauthenticated answers the API's 401. After a fresh sign-in it is the
// service refusing it: an error naming the reason (the challenge's), which
// the page shows with a way out. Otherwise the session has gone stale:
// sign in again, once.
export function unauthenticated(challenge) {
  if (fresh) {
    throw new ApiError(401, { code: 'sign_in_refused', detail: challengeReason(challenge) });
  }
  session = null;
  return signIn();
}

// refusedPage is what the reader sees when the service refused a fresh
// sign-in: why, and a way out (try again, or sign out).
export function refusedPage(err) {
  show(h('h1', {}, t('signin.refusedTitle')),
    h('div', { class: 'notice error', role: 'alert', id: 'sign-in-refused' },
      t('signin.refusedText'), ' ', err.problem.detail ? t('signin.refusedReason', { reason: err.problem.detail }) : t('signin.refusedUnknown')),
    h('p', {}, t('signin.refusedHelp')),
    h('div', { class: 'actions' },
      h('button', { type: 'button', class: 'primary', id: 'sign-in-again', onclick: () => { session = null; signIn(); } }, t('signin.tryAgain')),
      h('button', { type: 'button', id: 'refused-sign-out', onclick: signOut }, t('signin.signOut'))));
}

// signedOutPage is where a signed-out reader stays until they ask to sign
// in again.
export function signedOutPage() {
  show(h('h1', {}, t('signin.signedOutTitle')),
    h('p', {}, t('signin.signedOutText')),
    h('p', {}, h('button', { type: 'button', class: 'primary', id: 'sign-in', onclick: signIn }, t('signin.signIn'))));
}

// endSessionEndpoint is where the provider ends its session: the
// configured logout URL, else a standard provider's end_session_endpoint
// from its discovery document, else none.
async function endSessionEndpoint() {
  if (oidc.logoutUrl) return oidc.logoutUrl;
  if (!oidc.issuer || isCognito(oidc)) return '';
  try {
    const resp = await fetch(discoveryURL(oidc.issuer));
    if (!resp.ok) return '';
    const d = await resp.json();
    return typeof d.end_session_endpoint === 'string' ? d.end_session_endpoint : '';
  } catch {
    return '';
  }
}

// signOut forgets the session and ends the provider's; back at the
// console, or without a provider to go to, the reader sees the signed-out
// page, never an automatic sign-in.
export async function signOut() {
  const idTokenHint = session?.idToken || '';
  session = null;
  fresh = false;
  sessionStorage.setItem(SIGNED_OUT, '1');
  const to = logoutURL(oidc, redirectURI(), { endpoint: await endSessionEndpoint(), idToken: idTokenHint });
  if (to) {
    location.assign(to);
    return;
  }
  document.querySelector('#sign-out').hidden = true;
  document.querySelector('#who').replaceChildren();
  document.querySelector('#admin-link').hidden = true;
  history.replaceState(null, '', BASE);
  signedOutPage();
}
