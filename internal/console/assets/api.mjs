// The management API client: same origin, JSON in and out, RFC 9457
// problems as ApiError, and each problem in words for the reader.

// ApiError is a refused or failed call; status 0: the service was not reached.
export class ApiError extends Error {
  constructor(status, problem) {
    super(problem?.detail || `HTTP ${status}`);
    this.status = status;
    this.problem = problem || {};
  }
  get code() { return this.problem.code || ''; }
}

// describe says what went wrong and what the reader can do.
export function describe(err) {
  if (!(err instanceof ApiError)) return 'The service could not be reached. Check your connection and try again.';
  const p = err.problem;
  const detail = typeof p.detail === 'string' ? p.detail : '';
  const scopes = Array.isArray(p.scopes) && p.scopes.length ? ` (${p.scopes.join(', ')})` : '';
  switch (err.code) {
    case 'unauthenticated': return 'You are signed out. Reload the page to sign in again.';
    case 'forbidden': return 'You are not an administrator. These pages are for members of the administrators\' group; ask an administrator if you need access.';
    case 'user_disabled': return 'Your account is disabled, so you cannot create or change tokens. Ask an administrator.';
    case 'scope_not_permitted': return `You do not hold these permissions, so a token cannot have them${scopes}.`;
    case 'unknown_scope': return `These scopes do not exist${scopes}.`;
    case 'not_found': return 'There is no such token, or it is not yours.';
    case 'token_not_active': return `That cannot be done to this token now: ${detail}.`;
    case 'token_limit_reached': return `You hold the most tokens allowed. Revoke one you no longer need first. (${detail})`;
    case 'conflict': return 'Someone changed this at the same moment. Reload and try again.';
    case 'confirmation_mismatch': return `The number of tokens changed meanwhile: it is now ${p.count}. Check and type the new number.`;
    case 'confirmation_required': return `Confirm with the number of tokens (${p.count}).`;
    case 'body_too_large': return 'That is too much text.';
    case 'invalid_request': return `Please check your input: ${detail}.`;
  }
  if (err.status >= 500) return 'Something went wrong on the server. Try again in a moment.';
  return detail ? `The request was refused: ${detail}.` : `The request was refused (HTTP ${err.status}).`;
}

// qs is a query string of the parameters that have a value ('' for none).
export function qs(params) {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') p.set(k, v);
  const s = p.toString();
  return s ? `?${s}` : '';
}

// How calls authenticate, set once by main.mjs: headers() gives the
// credentials of a call; unauthenticated(), when set, answers a 401.
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
    throw new ApiError(0, null);
  }
  if (resp.status === 401 && auth.unauthenticated) return auth.unauthenticated();
  if (resp.status === 204) return null;
  const text = await resp.text();
  let data = null;
  try { data = text ? JSON.parse(text) : null; } catch { data = null; }
  if (!resp.ok) throw new ApiError(resp.status, data && typeof data === 'object' ? data : null);
  return data;
}
