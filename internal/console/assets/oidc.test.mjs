import assert from 'node:assert/strict';
import { test } from 'node:test';

import { authorizeURL, b64url, discoveryURL, isCognito, jwtClaims, logoutURL, pkceChallenge, randomString, returnPath, session } from './oidc.mjs';

const jwt = (claims) => `eyJhbGciOiJSUzI1NiJ9.${b64url(new TextEncoder().encode(JSON.stringify(claims)))}.c2lnbmF0dXJl`;

test('b64url is base64url without padding', () => {
  assert.equal(b64url(new Uint8Array([])), '');
  assert.equal(b64url(new Uint8Array([0xfb, 0xff])), '-_8'); // "+/8=" in base64
  assert.equal(b64url(new TextEncoder().encode('any carnal pleas')), 'YW55IGNhcm5hbCBwbGVhcw');
});

test('the PKCE challenge is the S256 of the verifier (RFC 7636, appendix B)', async () => {
  assert.equal(await pkceChallenge('dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk'), 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM');
});

test('a verifier is 43 unreserved characters and never the same twice', () => {
  const seen = new Set();
  for (let i = 0; i < 100; i++) {
    const v = randomString(32);
    assert.match(v, /^[A-Za-z0-9_-]{43}$/); // RFC 7636 §4.1: 43 to 128 characters
    seen.add(v);
  }
  assert.equal(seen.size, 100);
  assert.match(randomString(16), /^[A-Za-z0-9_-]{22}$/);
});

test('jwtClaims reads the payload, base64url and UTF-8', () => {
  const claims = { sub: 'alice', nonce: 'n-1', exp: 1900000000, name: 'Zoë Ångström ✓', groups: ['pat-admins'] };
  assert.deepEqual(jwtClaims(jwt(claims)), claims);
  // Characters that base64url writes as - and _.
  const odd = { sub: '>>>???', x: '\u00ff\u00fe' };
  assert.match(jwt(odd), /[-_]/);
  assert.deepEqual(jwtClaims(jwt(odd)), odd);
  assert.throws(() => jwtClaims('not-a-jwt'));
});

const oidc = {
  clientId: 'client123', scopes: 'openid email profile',
  authorizeUrl: 'https://idp.example.com/oauth2/authorize?tenant=t1', logoutUrl: 'https://idp.example.com/logout',
};

test('the authorization request carries the client, state, nonce and S256 challenge', () => {
  const u = new URL(authorizeURL(oidc, { redirectURI: 'https://pat.example.com/console/', state: 's1', nonce: 'n1', challenge: 'c1' }));
  assert.equal(u.origin + u.pathname, 'https://idp.example.com/oauth2/authorize');
  assert.deepEqual(Object.fromEntries(u.searchParams), {
    response_type: 'code', client_id: 'client123', redirect_uri: 'https://pat.example.com/console/', scope: 'openid email profile',
    state: 's1', nonce: 'n1', code_challenge: 'c1', code_challenge_method: 'S256',
  });
});

test('signing out of a standard provider sends the ID token and where to come back (RP-Initiated Logout)', () => {
  const u = new URL(logoutURL({ ...oidc, issuer: 'https://idp.example.com' }, 'https://pat.example.com/console/', { idToken: 'id.tok.en' }));
  assert.equal(u.origin + u.pathname, 'https://idp.example.com/logout');
  assert.deepEqual(Object.fromEntries(u.searchParams), {
    client_id: 'client123', id_token_hint: 'id.tok.en', post_logout_redirect_uri: 'https://pat.example.com/console/',
  });
  // The discovery document's endpoint, when none is configured.
  const d = new URL(logoutURL({ ...oidc, logoutUrl: '' }, 'https://pat.example.com/console/', { endpoint: 'https://login.example.org/end', idToken: 'x' }));
  assert.equal(d.origin + d.pathname, 'https://login.example.org/end');
  assert.equal(discoveryURL('https://login.example.org/realms/a/'), 'https://login.example.org/realms/a/.well-known/openid-configuration');
  assert.equal(logoutURL({ ...oidc, logoutUrl: '' }, 'https://pat.example.com/console/'), '');
  assert.equal(logoutURL(undefined, 'https://pat.example.com/console/'), '');
});

test('signing out of Cognito keeps its own parameters', () => {
  const cognito = { clientId: 'client123', issuer: 'https://cognito-idp.eu-central-1.amazonaws.com/eu-central-1_abc', logoutUrl: 'https://pat.auth.eu-central-1.amazoncognito.com/logout' };
  assert.ok(isCognito(cognito));
  assert.ok(isCognito({ issuer: 'https://sso.example.com', logoutUrl: 'https://x.auth.eu-west-1.amazoncognito.com/logout' }));
  assert.ok(!isCognito({ issuer: 'https://cognito-idp.example.com/x', logoutUrl: 'https://idp.example.com/logout' }));
  const u = new URL(logoutURL(cognito, 'https://pat.example.com/console/', { idToken: 'id.tok.en' }));
  assert.deepEqual(Object.fromEntries(u.searchParams), { client_id: 'client123', logout_uri: 'https://pat.example.com/console/' });
});

test('a session keeps the ID token, its expiry and the refresh token', () => {
  const id = jwt({ sub: 'alice', nonce: 'n1', exp: 1900000000 });
  assert.deepEqual(session({ id_token: id, refresh_token: 'r1' }, { nonce: 'n1' }), { idToken: id, refreshToken: 'r1', expiresAt: 1900000000000 });
  // A refresh answers no new refresh token: the old one stays.
  assert.equal(session({ id_token: id }, { refreshToken: 'r0' }).refreshToken, 'r0');
  assert.equal(session({ id_token: id, refresh_token: 'r2' }, { refreshToken: 'r0' }).refreshToken, 'r2');
});

test('an ID token for another sign-in (nonce) is refused', () => {
  const id = jwt({ sub: 'alice', nonce: 'other', exp: 1900000000 });
  assert.throws(() => session({ id_token: id }, { nonce: 'n1' }), /nonce/);
  assert.throws(() => session({ id_token: jwt({ sub: 'alice', exp: 1900000000 }) }, { nonce: 'n1' }), /nonce/);
});

test('a finished sign-in returns to a console page only', () => {
  assert.equal(returnPath('/console/tokens/abc?x=1', '/console/'), '/console/tokens/abc?x=1');
  assert.equal(returnPath('/elsewhere', '/console/'), '/console/');
  assert.equal(returnPath('https://evil.example.com/console/', '/console/'), '/console/');
  assert.equal(returnPath(undefined, '/console/'), '/console/');
});
