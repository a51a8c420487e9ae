// The management API client: same origin, JSON in and out, RFC 9457
// problems as ApiError, and each problem in words for the reader.

import { t } from './i18n.mjs';

// ApiError is a refused or failed call; status 0: the service was not reached.
export class ApiError extends Error {
  constructor(status, problem) {
    super(problem?.detail || (status === 0 ? 'unreachable' : `HTTP ${status}`));
    this.status = status;
    this.problem = problem || {};
  }
  get code() { return this.problem.code || ''; }
}

// unreachable is the error of a request that never got an answer.
export const unreachable = () => new ApiError(0, null);

// describe says what went wrong and what the reader can do. The API's own
// detail is English; it is quoted only where no sentence of ours says it.
export function describe(err) {
  if (!(err instanceof ApiError) || err.status === 0) return t('error.unreachable');
  const p = err.problem;
  const detail = typeof p.detail === 'string' ? p.detail : '';
  const scopes = Array.isArray(p.scopes) && p.scopes.length ? ` (${p.scopes.join(', ')})` : '';
  switch (err.code) {
    case 'unauthenticated': return t('error.unauthenticated');
    case 'sign_in_refused': return t('error.signInRefused', { reason: detail || t('error.signInRefusedUnknown') });
    case 'forbidden': return t('error.forbidden');
    case 'user_disabled': return t('error.userDisabled');
    case 'no_permissions': return t('error.noPermissions');
    case 'own_account': return t('error.ownAccount');
    case 'scope_not_permitted': return t('error.scopeNotPermitted', { scopes });
    case 'unknown_scope': return t('error.unknownScope', { scopes });
    case 'not_found': return t('error.notFound');
    case 'token_locked': return t('error.tokenLocked');
    case 'token_not_active': return t('error.tokenNotActive', { detail });
    case 'token_limit_reached': return t('error.tokenLimit', { detail });
    case 'conflict': return t('error.conflict');
    case 'confirmation_mismatch': return t('error.confirmationMismatch', { count: p.count });
    case 'confirmation_required': return t('error.confirmationRequired', { count: p.count });
    case 'body_too_large': return t('error.bodyTooLarge');
    case 'invalid_request': return t('error.invalidRequest', { detail });
  }
  if (err.status >= 500) return t('error.server');
  return detail ? t('error.refusedDetail', { detail }) : t('error.refused', { status: err.status });
}

// qs is a query string of the parameters that have a value ('' for none).
export function qs(params) {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') p.set(k, v);
  const s = p.toString();
  return s ? `?${s}` : '';
}

// How calls authenticate, set once by main.mjs: headers() gives the
// credentials of a call; unauthenticated(challenge), when set, answers a
// 401 (challenge: the WWW-Authenticate header naming why); accepted(),
// when set, hears that the credentials were taken.
let auth = { headers: async () => ({}), unauthenticated: null };

export function authenticate(a) {
  auth = a;
}

// api calls the management API: the answer's JSON, null for 204.
export async function api(method, path, body) {
  const headers = { Accept: 'application/json', ...(await auth.headers()) };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  let resp;
  try {
    resp = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), cache: 'no-store' });
  } catch {
    throw unreachable();
  }
  if (resp.status === 401 && auth.unauthenticated) return auth.unauthenticated(resp.headers.get('WWW-Authenticate') || '');
  if (resp.status !== 401 && auth.accepted) auth.accepted();
  if (resp.status === 204) return null;
  const text = await resp.text();
  let data = null;
  try { data = text ? JSON.parse(text) : null; } catch { data = null; }
  if (!resp.ok) throw new ApiError(resp.status, data && typeof data === 'object' ? data : null);
  return data;
}

// challengeReason is the error_description of a WWW-Authenticate challenge
// (Bearer error="invalid_token" error_description="the token has expired").
export function challengeReason(challenge) {
  const m = /error_description="((?:[^"\\]|\\.)*)"/.exec(challenge || '');
  return m ? m[1].replace(/\\(.)/g, '$1') : '';
}
