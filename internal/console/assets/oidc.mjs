// The pure parts of OIDC sign-in (authorization code with PKCE, RFC 7636):
// random strings, the code challenge, the ID token's claims and the URLs
// the page leaves for. signin.mjs does the redirects and keeps the session.

// b64url is base64url without padding (RFC 4648 §5), as PKCE and JWTs use.
export const b64url = (bytes) => btoa(String.fromCharCode(...new Uint8Array(bytes))).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');

// randomString is n random bytes in base64url: a PKCE verifier (32 bytes:
// 43 characters), a state, a nonce or an element id.
export const randomString = (n) => b64url(crypto.getRandomValues(new Uint8Array(n)));

// pkceChallenge is the S256 code challenge of a verifier.
export async function pkceChallenge(verifier) {
  return b64url(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier)));
}

// jwtClaims reads a JWT's payload. It checks no signature: the page only
// reads its own ID token's expiry and nonce; the API checks the token.
export function jwtClaims(jwt) {
  const part = jwt.split('.')[1] || '';
  const bin = atob(part.replace(/-/g, '+').replace(/_/g, '/'));
  return JSON.parse(new TextDecoder().decode(Uint8Array.from(bin, (c) => c.charCodeAt(0))));
}

// authorizeURL is where sign-in starts: the provider's authorization
// endpoint with this page's client, state, nonce and code challenge.
export function authorizeURL(oidc, { redirectURI, state, nonce, challenge }) {
  const u = new URL(oidc.authorizeUrl);
  u.search = new URLSearchParams({
    response_type: 'code', client_id: oidc.clientId, redirect_uri: redirectURI, scope: oidc.scopes,
    state, nonce, code_challenge: challenge, code_challenge_method: 'S256',
  }).toString();
  return u.toString();
}

// isCognito tells Cognito's user pools (issuer
// https://cognito-idp.<region>.amazonaws.com/<pool>, hosted UI on
// *.amazoncognito.com) from standard OpenID providers: their logout
// endpoints take different parameters.
export function isCognito(oidc) {
  const host = (u) => { try { return new URL(u).hostname; } catch { return ''; } };
  return /^cognito-idp\.[a-z0-9-]+\.amazonaws\.com$/.test(host(oidc?.issuer)) || host(oidc?.logoutUrl).endsWith('.amazoncognito.com');
}

// logoutURL is the provider's logout endpoint (endpoint: the configured
// one or the discovery document's end_session_endpoint) coming back to the
// page, or '' when the provider has none. Cognito takes client_id and
// logout_uri; a standard provider (OpenID Connect RP-Initiated Logout)
// the ID token as id_token_hint and post_logout_redirect_uri.
export function logoutURL(oidc, redirectURI, { endpoint = oidc?.logoutUrl, idToken = '' } = {}) {
  if (!endpoint) return '';
  const u = new URL(endpoint);
  u.searchParams.set('client_id', oidc.clientId);
  if (isCognito(oidc)) {
    u.searchParams.set('logout_uri', redirectURI);
  } else {
    if (idToken) u.searchParams.set('id_token_hint', idToken);
    u.searchParams.set('post_logout_redirect_uri', redirectURI);
  }
  return u.toString();
}

// discoveryURL is where a standard provider describes itself.
export const discoveryURL = (issuer) => `${issuer.replace(/\/+$/, '')}/.well-known/openid-configuration`;

// session is what the page keeps of a token endpoint's answer: the ID
// token, the refresh token (a refresh may not return a new one) and when
// the ID token expires (ms). With a nonce, the ID token must carry it.
export function session(tokens, { nonce, refreshToken } = {}) {
  const claims = jwtClaims(tokens.id_token);
  if (nonce && claims.nonce !== nonce) throw new Error('the sign-in answer does not match this page (nonce)');
  return { idToken: tokens.id_token, refreshToken: tokens.refresh_token || refreshToken, expiresAt: claims.exp * 1000 };
}

// returnPath is where a finished sign-in goes: back to the console page it
// started on, never elsewhere.
export function returnPath(returnTo, base) {
  return typeof returnTo === 'string' && returnTo.startsWith(base) ? returnTo : base;
}
