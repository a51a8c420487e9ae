// Sign-in with OIDC: authorization code with PKCE, or, on the local
// server, no sign-in at all (main.mjs). The session's tokens live in this
// module's memory only; across the redirect, sessionStorage holds the
// verifier, state and nonce, never a token.

import { authorizeURL, logoutURL, pkceChallenge, randomString, returnPath, session as sessionFrom } from './oidc.mjs';
import { BASE } from './routes.mjs';

const PENDING = 'pat.oidc.pending';

let oidc = null; // config.json's oidc
let session = null; // {idToken, refreshToken, expiresAt}

const redirectURI = () => location.origin + BASE;

// configure sets the identity provider to sign in with.
export function configure(cfg) {
  oidc = cfg;
}

// signIn leaves for the identity provider; it never resolves.
export async function signIn() {
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

// finishSignIn completes a redirect back from the identity provider.
export async function finishSignIn() {
  const q = new URLSearchParams(location.search);
  const pending = JSON.parse(sessionStorage.getItem(PENDING) || 'null');
  sessionStorage.removeItem(PENDING);
  if (q.get('error')) throw new Error(`sign-in failed: ${q.get('error_description') || q.get('error')}`);
  if (!pending || q.get('state') !== pending.state) throw new Error('the sign-in answer does not match this page (state); reload to try again');
  const tokens = await tokenRequest({ grant_type: 'authorization_code', code: q.get('code'), redirect_uri: redirectURI(), code_verifier: pending.verifier });
  session = sessionFrom(tokens, { nonce: pending.nonce, refreshToken: session?.refreshToken });
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

// signInAgain drops the session (the API refused it) and signs in.
export function signInAgain() {
  session = null;
  return signIn();
}

// signOut forgets the session and ends the provider's.
export function signOut() {
  const to = logoutURL(oidc, redirectURI());
  session = null;
  location.assign(to || BASE);
}
