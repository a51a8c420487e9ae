// The token console: one ES module, no framework, no build step. It talks to
// the management API on the same origin. A new token's secret lives only in
// the reveal dialog's memory and DOM, and both are cleared when it closes;
// the OIDC tokens live in this module's memory only.

const BASE = '/console/';
const ACTIONS = ['create', 'read', 'update', 'delete']; // the scope grid's columns
const AUDIT_ACTIONS = ['token.created', 'token.updated', 'token.rotated', 'token.revoked', 'token.extended',
  'token.expired', 'token.deleted', 'token.locked', 'token.unlocked', 'user.updated', 'user.email_changed'];

const state = {
  cfg: null,
  me: null,
  session: null, // OIDC: {idToken, refreshToken, expiresAt}
  devUser: '', // local: the X-Dev-User header, '' for the development user
};

// ---------- DOM helpers: every text goes through textContent, never HTML.

function h(tag, attrs, ...children) {
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

function append(el, children) {
  for (const c of children.flat(Infinity)) {
    if (c === undefined || c === null || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

const $ = (sel, root = document) => root.querySelector(sel);
const main = () => $('#main');

// show replaces the page's content (null and false children are left out).
function show(...children) {
  main().replaceChildren();
  append(main(), children);
}

function link(href, text, attrs = {}) {
  return h('a', { href, ...attrs }, text);
}

let toastTimer;
function toast(text) {
  const t = $('#toast');
  t.textContent = text;
  t.classList.add('show');
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => t.classList.remove('show'), 3500);
}

const dateFmt = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium' });
const timeFmt = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });

function when(iso, withTime = false) {
  if (!iso) return null;
  const d = new Date(iso);
  return h('time', { datetime: iso, title: d.toISOString() }, (withTime ? timeFmt : dateFmt).format(d));
}

function relative(iso) {
  const days = Math.round((new Date(iso) - Date.now()) / 86400000);
  if (days === 0) return 'today';
  return days > 0 ? `in ${days} day${days === 1 ? '' : 's'}` : `${-days} day${days === -1 ? '' : 's'} ago`;
}

function badge(status) {
  return h('span', { class: `badge ${status}` }, status);
}

function chips(scopes) {
  return h('div', { class: 'chips' }, (scopes || []).map((s) => h('span', { class: 'chip' }, s)));
}

function lastUsed(t) {
  if (!t.lastUsedAt) return h('span', { class: 'muted' }, 'never');
  return h('div', {}, when(t.lastUsedAt, true),
    t.lastUsedIp ? h('div', { class: 'small muted mono' }, t.lastUsedIp) : null,
    t.lastUsedUserAgent ? h('span', { class: 'small muted ua', title: t.lastUsedUserAgent }, t.lastUsedUserAgent) : null);
}

function expires(t) {
  if (!t.expiresAt) return h('span', {}, 'never');
  return h('div', {}, when(t.expiresAt), h('div', { class: 'small muted' }, relative(t.expiresAt)));
}

// ---------- errors: RFC 9457 problems, in words.

class ApiError extends Error {
  constructor(status, problem) {
    super(problem?.detail || `HTTP ${status}`);
    this.status = status;
    this.problem = problem || {};
  }
  get code() { return this.problem.code || ''; }
}

function describe(err) {
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

function errorBox(err) {
  return h('div', { class: 'notice error', role: 'alert' }, describe(err));
}

// ---------- sign-in: OIDC authorization code with PKCE, or the local dev user.

const b64url = (bytes) => btoa(String.fromCharCode(...new Uint8Array(bytes))).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
const random = (n) => b64url(crypto.getRandomValues(new Uint8Array(n)));
const redirectURI = () => location.origin + BASE;
const PENDING = 'pat.oidc.pending'; // PKCE verifier, state and nonce across the redirect: no tokens

function jwtClaims(jwt) {
  const part = jwt.split('.')[1] || '';
  const bin = atob(part.replace(/-/g, '+').replace(/_/g, '/'));
  return JSON.parse(new TextDecoder().decode(Uint8Array.from(bin, (c) => c.charCodeAt(0))));
}

async function signIn() {
  const o = state.cfg.oidc;
  const verifier = random(32);
  const challenge = b64url(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier)));
  const pending = { state: random(16), nonce: random(16), verifier, returnTo: location.pathname + location.search };
  sessionStorage.setItem(PENDING, JSON.stringify(pending));
  const u = new URL(o.authorizeUrl);
  u.search = new URLSearchParams({
    response_type: 'code', client_id: o.clientId, redirect_uri: redirectURI(), scope: o.scopes,
    state: pending.state, nonce: pending.nonce, code_challenge: challenge, code_challenge_method: 'S256',
  }).toString();
  location.assign(u.toString());
  return new Promise(() => {}); // the page is leaving
}

async function tokenRequest(params) {
  const o = state.cfg.oidc;
  const resp = await fetch(o.tokenUrl, {
    method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ client_id: o.clientId, ...params }).toString(),
  });
  if (!resp.ok) throw new Error(`token endpoint answered ${resp.status}`);
  return resp.json();
}

function keepSession(tokens, nonce) {
  const claims = jwtClaims(tokens.id_token);
  if (nonce && claims.nonce !== nonce) throw new Error('the sign-in answer does not match this page (nonce)');
  state.session = {
    idToken: tokens.id_token,
    refreshToken: tokens.refresh_token || state.session?.refreshToken,
    expiresAt: claims.exp * 1000,
  };
}

// finishSignIn completes a redirect back from the identity provider.
async function finishSignIn() {
  const q = new URLSearchParams(location.search);
  const pending = JSON.parse(sessionStorage.getItem(PENDING) || 'null');
  sessionStorage.removeItem(PENDING);
  if (q.get('error')) throw new Error(`sign-in failed: ${q.get('error_description') || q.get('error')}`);
  if (!pending || q.get('state') !== pending.state) throw new Error('the sign-in answer does not match this page (state); reload to try again');
  const tokens = await tokenRequest({ grant_type: 'authorization_code', code: q.get('code'), redirect_uri: redirectURI(), code_verifier: pending.verifier });
  keepSession(tokens, pending.nonce);
  // The code leaves the address bar and the history.
  history.replaceState(null, '', pending.returnTo.startsWith(BASE) ? pending.returnTo : BASE);
}

async function idToken() {
  const s = state.session;
  if (s && s.expiresAt - 60000 > Date.now()) return s.idToken;
  if (s?.refreshToken) {
    try {
      keepSession(await tokenRequest({ grant_type: 'refresh_token', refresh_token: s.refreshToken }));
      return state.session.idToken;
    } catch { /* sign in again */ }
  }
  state.session = null;
  return signIn();
}

function signOut() {
  const logout = state.cfg.oidc?.logoutUrl;
  state.session = null;
  if (!logout) { location.assign(BASE); return; }
  const u = new URL(logout);
  u.searchParams.set('client_id', state.cfg.oidc.clientId);
  u.searchParams.set('logout_uri', redirectURI());
  location.assign(u.toString());
}

// ---------- the management API.

async function api(method, path, body) {
  const headers = { Accept: 'application/json' };
  if (state.cfg.auth === 'oidc') headers.Authorization = `Bearer ${await idToken()}`;
  else if (state.devUser) headers['X-Dev-User'] = state.devUser;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  let resp;
  try {
    resp = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), cache: 'no-store' });
  } catch {
    throw new ApiError(0, null);
  }
  if (resp.status === 401 && state.cfg.auth === 'oidc') {
    state.session = null;
    return signIn();
  }
  if (resp.status === 204) return null;
  const text = await resp.text();
  let data = null;
  try { data = text ? JSON.parse(text) : null; } catch { data = null; }
  if (!resp.ok) throw new ApiError(resp.status, data && typeof data === 'object' ? data : null);
  return data;
}

function qs(params) {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') p.set(k, v);
  const s = p.toString();
  return s ? `?${s}` : '';
}

// ---------- dialogs: native <dialog> (modal: focus stays inside, Escape closes).

function openDialog(title, build, { onClose } = {}) {
  const titleId = `d-${random(6)}`;
  const dlg = h('dialog', { 'aria-labelledby': titleId });
  const close = () => dlg.close();
  append(dlg, [build({ close, titleId, title: h('h2', { id: titleId }, title), dialog: dlg })]);
  dlg.addEventListener('close', () => {
    if (onClose) onClose();
    dlg.remove();
  });
  document.body.append(dlg);
  dlg.showModal();
  const first = dlg.querySelector('[autofocus]') || dlg.querySelector('input, select, textarea, button');
  if (first) first.focus();
  return dlg;
}

// formDialog: a form whose submit runs fn(form); errors stay in the dialog.
function formDialog(title, fields, submitText, fn, { danger = false, intro = null, valid = null } = {}) {
  return openDialog(title, ({ close, title: t }) => {
    const err = h('div', { 'aria-live': 'assertive' });
    const submit = h('button', { type: 'submit', class: danger ? 'danger' : 'primary' }, submitText);
    const form = h('form', { novalidate: true }, t, intro, err, fields,
      h('div', { class: 'buttons' }, h('button', { type: 'button', onclick: close }, 'Cancel'), submit));
    const check = () => { if (valid) submit.disabled = !valid(form); };
    form.addEventListener('input', check);
    check();
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      if (!form.reportValidity()) return;
      submit.disabled = true;
      err.replaceChildren();
      try {
        await fn(form, close);
      } catch (ex) {
        err.replaceChildren(errorBox(ex));
        submit.disabled = false;
        check();
      }
    });
    return form;
  });
}

function field(labelText, input, hint) {
  const id = input.id || `f-${random(6)}`;
  input.id = id;
  const hintEl = hint ? h('span', { class: 'hint', id: `${id}-hint` }, hint) : null;
  if (hintEl) input.setAttribute('aria-describedby', hintEl.id);
  return h('div', { class: 'field' }, h('label', { for: id }, labelText), input, hintEl);
}

function confirmDialog(title, text, action, fn) {
  return formDialog(title, [], action, async (_f, close) => { await fn(); close(); }, { danger: true, intro: h('p', {}, text) });
}

// typedCountDialog guards a mass revocation: it shows the count the server
// previewed and enables the button only when that number is typed.
function typedCountDialog(title, what, count, fn, { reason = false } = {}) {
  const input = h('input', { type: 'text', inputmode: 'numeric', autocomplete: 'off', required: true, name: 'count' });
  const reasonInput = reason ? h('input', { type: 'text', name: 'reason', maxlength: 500 }) : null;
  let expected = count;
  const intro = h('p', {}, `This revokes ${count} token${count === 1 ? '' : 's'} ${what}. Anything using them gets 401 at once. This cannot be undone.`);
  return formDialog(title, [
    field(`Type ${count} to confirm`, input),
    reasonInput ? field('Reason', reasonInput, 'Optional; recorded in the audit log and told to owners.') : null,
  ], `Revoke ${count} token${count === 1 ? '' : 's'}`, async (form, close) => {
    try {
      const res = await fn(expected, reasonInput?.value || '');
      close();
      toast(`Revoked ${res.revoked} token${res.revoked === 1 ? '' : 's'}${res.complete ? '' : ': not finished, repeat to revoke the rest'}.`);
    } catch (e) {
      if (e instanceof ApiError && e.code === 'confirmation_mismatch' && typeof e.problem.count === 'number') {
        expected = e.problem.count;
        intro.textContent = `The count changed: this now revokes ${expected} token${expected === 1 ? '' : 's'} ${what}.`;
        $('label', form).textContent = `Type ${expected} to confirm`;
        input.value = '';
      }
      throw e;
    }
  }, { danger: true, intro, valid: () => input.value.trim() === String(expected) && expected > 0 });
}

// ---------- the scope picker: resource groups × create/read/update/delete,
// offering only what the user holds.

function scopeGrid(catalog, held, checked = [], name = 'scope') {
  const holds = new Set(held);
  const on = new Set(checked);
  return h('table', { class: 'grid' },
    h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Resource'), ACTIONS.map((a) => h('th', { scope: 'col' }, a)))),
    h('tbody', {}, catalog.map((r) => h('tr', {},
      h('th', { scope: 'row' }, r.name, h('span', {}, r.description)),
      ACTIONS.map((a) => {
        const s = `${r.name}:${a}`;
        return h('td', {}, holds.has(s)
          ? h('input', { type: 'checkbox', name, value: s, checked: on.has(s), 'aria-label': s })
          : h('span', { class: 'na', title: `You do not hold ${s}` }, '—', h('span', { class: 'sr' }, `${s} not available`)));
      })))));
}

const checkedScopes = (form, name = 'scope') => [...form.querySelectorAll(`input[name="${name}"]:checked`)].map((i) => i.value);

function expirySelect(me, id) {
  const opts = new Set([7, 30, 90, me.defaultExpiryDays, me.maxExpiryDays].filter((d) => d <= me.maxExpiryDays));
  const sel = h('select', { id, name: 'expiry' },
    [...opts].sort((a, b) => a - b).map((d) => h('option', { value: d, selected: d === me.defaultExpiryDays },
      `${d} days${d === me.defaultExpiryDays ? ' (default)' : ''}${d === me.maxExpiryDays ? ' (maximum)' : ''}`)),
    h('option', { value: 'date' }, 'Custom date…'),
    me.allowNeverExpires ? h('option', { value: 'never' }, 'No expiry') : null);
  const max = new Date(Date.now() + me.maxExpiryDays * 86400000);
  const tomorrow = new Date(Date.now() + 86400000);
  const date = h('input', { type: 'date', name: 'expiresOn', min: tomorrow.toISOString().slice(0, 10), max: max.toISOString().slice(0, 10), hidden: true, 'aria-label': 'Expiry date' });
  const note = h('span', { class: 'hint' });
  const update = () => {
    date.hidden = sel.value !== 'date';
    date.required = sel.value === 'date';
    if (/^\d+$/.test(sel.value)) note.textContent = `Expires on ${dateFmt.format(new Date(Date.now() + sel.value * 86400000))}. The maximum is ${me.maxExpiryDays} days.`;
    else if (sel.value === 'never') note.textContent = 'The token never expires. It is still deleted after a long time unused.';
    else note.textContent = `Pick a date up to ${dateFmt.format(max)}.`;
  };
  sel.addEventListener('change', update);
  update();
  return {
    el: h('div', { class: 'field' }, h('label', { for: id }, 'Expiration'), sel, date, note),
    value() {
      if (sel.value === 'never') return { neverExpires: true };
      if (sel.value === 'date') {
        // The end of the chosen day (UTC), but never past the maximum lifetime.
        const end = new Date(`${date.value}T23:59:59Z`);
        const latest = new Date(Date.now() + me.maxExpiryDays * 86400000 - 60000);
        return { expiresAt: (end > latest ? latest : end).toISOString().replace(/\.\d{3}Z$/, 'Z') };
      }
      return { expiresInDays: Number(sel.value) };
    },
  };
}

// ---------- the reveal dialog: the only place a token's secret ever is.

function usage(me, scopes) {
  const demo = state.cfg.demoApiUrl || location.origin;
  const [first] = scopes.length ? scopes : ['crm:read'];
  const [resource] = first.split(':');
  const r = me.catalog.find((c) => c.name === resource);
  const url = `${demo}${r && r.paths[0] ? r.paths[0] : `/api/${resource}`}`;
  return {
    curl: `curl -H "Authorization: Bearer $PAT_TOKEN" ${url}`,
    python: `import os, requests\n\nresp = requests.get(\n    "${url}",\n    headers={"Authorization": f"Bearer {os.environ['PAT_TOKEN']}"},\n    timeout=10,\n)\nresp.raise_for_status()\nprint(resp.json())`,
    powershell: `$headers = @{ Authorization = "Bearer $env:PAT_TOKEN" }\nInvoke-RestMethod -Uri "${url}" -Headers $headers`,
  };
}

function revealDialog(created, me, heading) {
  let secret = created.token; // dropped when the dialog closes
  return new Promise((resolve) => {
    openDialog(heading, ({ close, title }) => {
      const input = h('input', { type: 'text', readonly: true, id: 'new-token', 'aria-label': 'Your new token', spellcheck: 'false', autocomplete: 'off' });
      input.value = secret;
      const copy = h('button', { type: 'button', class: 'primary', id: 'copy-token' }, 'Copy');
      copy.addEventListener('click', async () => {
        try {
          await navigator.clipboard.writeText(secret);
        } catch {
          input.select(); // the clipboard API needs a secure context; fall back to a selection
          document.execCommand('copy');
        }
        copy.textContent = 'Copied';
        toast('Token copied to the clipboard.');
      });
      const snippets = usage(me, created.scopes);
      const pre = h('pre', {}, h('code', {}, snippets.curl));
      const tabs = h('div', { class: 'tabs', role: 'group', 'aria-label': 'Example' }, Object.entries({ curl: 'curl', python: 'Python requests', powershell: 'PowerShell' })
        .map(([k, label]) => h('button', {
          type: 'button', 'aria-selected': k === 'curl' ? 'true' : 'false',
          onclick: (e) => {
            pre.firstChild.textContent = snippets[k];
            tabs.querySelectorAll('button').forEach((b) => b.setAttribute('aria-selected', String(b === e.currentTarget)));
          },
        }, label)));
      return h('div', { class: 'body' }, title,
        h('div', { class: 'notice warn', role: 'note' }, h('strong', {}, 'Copy your token now. '),
          'You won\'t be able to see it again: only a fingerprint of it is stored. If you lose it, rotate the token.'),
        h('p', {}, `“${created.name}” with ${created.scopes.join(', ')}, expires ${created.expiresAt ? dateFmt.format(new Date(created.expiresAt)) : 'never'}.`),
        h('div', { class: 'secret' }, input, copy),
        h('p', { class: 'small muted' }, 'Keep it in a secret store or an environment variable (PAT_TOKEN below), never in code. Send it as a bearer token:'),
        tabs, pre,
        h('div', { class: 'buttons' }, h('button', { type: 'button', onclick: close, id: 'reveal-done' }, 'Done, I copied it')));
    }, {
      onClose() {
        // Forget the secret: the input, the dialog (removed by openDialog) and this closure.
        const input = $('#new-token');
        if (input) { input.value = ''; input.removeAttribute('value'); }
        secret = null;
        created.token = null;
        resolve();
      },
    });
  });
}

// ---------- self-service pages.

async function loadMe() {
  state.me = await api('GET', '/me');
  const me = state.me;
  $('#admin-link').hidden = !me.isAdmin;
  $('#who').replaceChildren(...[me.email || me.id, me.isAdmin ? h('span', { class: 'badge admin' }, 'admin') : ''].filter(Boolean));
}

function noPermissionsPanel(me) {
  if (me.status === 'disabled') {
    return h('div', { class: 'notice error', role: 'alert', id: 'disabled' }, h('strong', {}, 'Your account is disabled. '),
      'An administrator disabled it: none of your tokens work and you cannot create new ones. Ask an administrator if this is a mistake.');
  }
  if (me.effectivePermissions.length === 0) {
    return h('div', { class: 'notice info', id: 'no-permissions' }, h('strong', {}, 'You may not create tokens. '),
      me.limited
        ? 'An administrator has limited your permissions to none. Ask an administrator if you need API access.'
        : 'Your account holds no permissions that a token could carry. Ask an administrator to add you to a group that grants access to an API.');
  }
  return null;
}

async function pageTokens() {
  const me = state.me;
  const blocked = noPermissionsPanel(me);
  const newBtn = h('button', { type: 'button', class: 'primary', id: 'new-token-button', disabled: !!blocked, onclick: () => createDialog() }, 'Generate new token');
  const allBtn = h('button', { type: 'button', class: 'danger-outline', id: 'revoke-all-mine', onclick: () => revokeAllMine() }, 'Revoke all…');
  const list = h('div', {}, h('p', { class: 'muted' }, 'Loading…'));
  show(
    h('div', { class: 'head' },
      h('div', {}, h('h1', {}, 'Personal access tokens'),
        h('p', { class: 'muted' }, 'Tokens let scripts and tools call the APIs as you, with the scopes you choose. A token can never do more than you can.')),
      h('div', { class: 'actions' }, allBtn, newBtn)),
    blocked, list);
  await tokenTable(list, (cursor) => api('GET', `/tokens${qs({ cursor, limit: 50 })}`), false);
}

// tokenTable fills el with a table of tokens and a "Load more" button.
async function tokenTable(el, fetchPage, admin, onChange) {
  const body = h('tbody');
  const cols = admin
    ? ['Owner', 'Token', 'Scopes', 'Status', 'Created', 'Expires', 'Last used', '']
    : ['Token', 'Scopes', 'Status', 'Created', 'Expires', 'Last used', ''];
  const table = h('table', { class: 'list', id: admin ? 'admin-tokens' : 'tokens' },
    h('thead', {}, h('tr', {}, cols.map((c) => h('th', { scope: 'col' }, c)))), body);
  const more = h('div', { class: 'more' });
  const load = async (cursor) => {
    more.replaceChildren();
    const page = await fetchPage(cursor);
    for (const t of page.items) body.append(tokenRow(t, admin, onChange));
    if (page.nextCursor) {
      more.append(h('button', { type: 'button', onclick: () => load(page.nextCursor).catch((e) => more.replaceChildren(errorBox(e))) }, 'Load more'));
    }
  };
  await firstPage(el, load, table, more, () => h('div', { class: 'card empty', id: 'no-tokens' },
    admin ? 'No tokens match these filters.' : 'You have no tokens yet. Generate one to call an API from a script or tool.'));
}

function tokenRow(t, admin, onChange) {
  // An administrator's link goes to the token's audit trail.
  const href = admin ? `${BASE}admin/audit${qs({ token: t.id })}` : `${BASE}tokens/${encodeURIComponent(t.id)}`;
  const nameCell = h('td', { 'data-label': 'Token' },
    link(href, t.name, { class: 'name', title: admin ? 'Audit trail of this token' : null }),
    t.description ? h('div', { class: 'desc' }, t.description) : null,
    h('div', { class: 'small muted mono' }, t.displayPrefix));
  const actions = h('div', { class: 'row-actions' });
  if (admin) {
    if (t.status === 'active') actions.append(h('button', { type: 'button', onclick: () => lockDialog(t, true, onChange) }, 'Lock'));
    if (t.status === 'locked') actions.append(h('button', { type: 'button', onclick: () => lockDialog(t, false, onChange) }, 'Unlock'));
    if (t.status === 'active' || t.status === 'locked') {
      actions.append(h('button', { type: 'button', class: 'danger-outline', onclick: () => adminRevokeDialog(t, onChange) }, 'Revoke'));
    }
  } else if (t.status === 'active' || t.status === 'locked') {
    actions.append(h('button', { type: 'button', class: 'danger-outline', 'aria-label': `Revoke ${t.name}`, onclick: () => revokeDialog(t) }, 'Revoke'));
  }
  return h('tr', { dataset: { id: t.id } },
    admin ? h('td', { 'data-label': 'Owner' }, link(`${BASE}admin/users/${encodeURIComponent(t.userId)}`, t.userId),
      t.ownerEmail ? h('div', { class: 'small muted' }, t.ownerEmail) : null) : null,
    nameCell,
    h('td', { 'data-label': 'Scopes' }, chips(t.scopes)),
    h('td', { 'data-label': 'Status' }, badge(t.status)),
    h('td', { 'data-label': 'Created' }, when(t.createdAt)),
    h('td', { 'data-label': 'Expires' }, expires(t)),
    h('td', { 'data-label': 'Last used' }, lastUsed(t)),
    h('td', {}, actions));
}

function createDialog() {
  const me = state.me;
  const name = h('input', { type: 'text', name: 'name', required: true, maxlength: 100, autocomplete: 'off', autofocus: true });
  const desc = h('textarea', { name: 'description', maxlength: 500 });
  const expiry = expirySelect(me, 'expiry');
  formDialog('Generate a new token', [
    field('Name', name, 'What the token is for, e.g. “CI deploy” or “my laptop”.'),
    field('Description', desc, 'Optional.'),
    h('fieldset', {}, h('legend', {}, 'Scopes'),
      h('p', { class: 'hint' }, 'Only the permissions you hold are offered.'),
      h('div', { class: 'scroll' }, scopeGrid(me.catalog, me.effectivePermissions))),
    expiry.el,
  ], 'Generate token', async (form, close) => {
    const scopes = checkedScopes(form);
    if (scopes.length === 0) throw new ApiError(400, { code: 'invalid_request', detail: 'choose at least one scope' });
    const created = await api('POST', '/tokens', { name: name.value.trim(), description: desc.value.trim(), scopes, ...expiry.value() });
    close();
    await revealDialog(created, me, 'Your new token');
    await route();
  });
}

function revokeDialog(t, after) {
  confirmDialog(`Revoke “${t.name}”?`, 'Anything using this token gets 401 Unauthorized from its next request. This cannot be undone.', 'Revoke token', async () => {
    await api('DELETE', `/tokens/${encodeURIComponent(t.id)}`);
    toast(`Revoked “${t.name}”.`);
    if (after) await after(); else await route();
  });
}

async function revokeAllMine() {
  try {
    const { count } = await api('POST', '/tokens/revoke-all', { preview: true });
    if (count === 0) { toast('You have no active tokens to revoke.'); return; }
    typedCountDialog('Revoke all your tokens?', 'of yours', count, async (n) => {
      const res = await api('POST', '/tokens/revoke-all', { confirm: n });
      await route();
      return res;
    });
  } catch (e) {
    toast(describe(e));
  }
}

async function pageToken(id) {
  const t = await api('GET', `/tokens/${encodeURIComponent(id)}`);
  const live = t.status === 'active' || t.status === 'locked';
  const reload = () => route();
  const buttons = h('div', { class: 'actions' },
    t.status !== 'revoked' ? h('button', { type: 'button', id: 'edit-token', onclick: () => editDialog(t) }, 'Rename') : null,
    t.status === 'active' ? h('button', { type: 'button', id: 'extend-token', onclick: () => extendDialog(t) }, 'Extend') : null,
    t.status === 'active' ? h('button', { type: 'button', id: 'rotate-token', onclick: () => rotateDialog(t) }, 'Rotate') : null,
    live ? h('button', { type: 'button', class: 'danger-outline', id: 'revoke-token', onclick: () => revokeDialog(t, reload) }, 'Revoke') : null);
  const events = h('div', {}, h('p', { class: 'muted' }, 'Loading…'));
  show(
    h('p', {}, link(BASE, '← My tokens')),
    h('div', { class: 'head' }, h('div', {}, h('h1', {}, t.name, ' ', badge(t.status)),
      t.description ? h('p', { class: 'muted' }, t.description) : null), buttons),
    t.status === 'locked' ? h('div', { class: 'notice warn' }, 'An administrator locked this token: it does not work until they unlock it. You can still revoke it.') : null,
    t.replacedBy ? h('div', { class: 'notice info' }, 'This token was rotated. ', link(`${BASE}tokens/${encodeURIComponent(t.replacedBy)}`, 'See its replacement.')) : null,
    h('div', { class: 'card' }, h('dl', { class: 'facts' },
      h('dt', {}, 'Token id'), h('dd', { class: 'mono' }, t.displayPrefix),
      h('dt', {}, 'Scopes'), h('dd', {}, chips(t.scopes)),
      h('dt', {}, 'Created'), h('dd', {}, when(t.createdAt, true)),
      h('dt', {}, 'Expires'), h('dd', {}, expires(t)),
      h('dt', {}, 'Last used'), h('dd', {}, lastUsed(t)),
      t.extendedAt ? [h('dt', {}, 'Extended'), h('dd', {}, when(t.extendedAt, true))] : null,
      t.revokedAt ? [h('dt', {}, 'Revoked'), h('dd', {}, when(t.revokedAt, true))] : null)),
    h('h2', {}, 'Activity'),
    events);
  await eventTable(events, (cursor) => api('GET', `/tokens/${encodeURIComponent(id)}/events${qs({ cursor })}`), false);
}

function eventDetails(ev) {
  return Object.entries(ev.details || {}).map(([k, v]) => h('div', { class: 'small' }, h('span', { class: 'muted' }, `${k}: `), v));
}

async function eventTable(el, fetchPage, admin) {
  const body = h('tbody');
  const cols = admin ? ['Time', 'Action', 'Actor', 'Owner', 'Token', 'Outcome', 'Source IP', 'Details'] : ['Time', 'Action', 'By', 'Outcome', 'Source IP', 'Details'];
  const more = h('div', { class: 'more' });
  const table = h('table', { class: 'list', id: 'events' }, h('thead', {}, h('tr', {}, cols.map((c) => h('th', { scope: 'col' }, c)))), body);
  const load = async (cursor) => {
    more.replaceChildren();
    const page = await fetchPage(cursor);
    for (const ev of page.items) {
      body.append(h('tr', {},
        h('td', { 'data-label': 'Time' }, when(ev.time, true)),
        h('td', { 'data-label': 'Action' }, h('code', {}, ev.action)),
        // An owner's view names no administrator: only the role comes.
        h('td', { 'data-label': admin ? 'Actor' : 'By' }, ev.actorId || (ev.actorRole === 'admin' ? 'an administrator' : ''), ev.actorId && ev.actorRole && ev.actorRole !== 'user' ? h('div', { class: 'small muted' }, ev.actorRole) : null),
        admin ? h('td', { 'data-label': 'Owner' }, ev.ownerId ? link(`${BASE}admin/users/${encodeURIComponent(ev.ownerId)}`, ev.ownerId) : '') : null,
        admin ? h('td', { 'data-label': 'Token', class: 'mono small' }, ev.tokenId || '') : null,
        h('td', { 'data-label': 'Outcome' }, ev.outcome),
        h('td', { 'data-label': 'Source IP', class: 'mono small' }, ev.sourceIp || ''),
        h('td', { 'data-label': 'Details' }, eventDetails(ev))));
    }
    if (page.nextCursor) more.append(h('button', { type: 'button', onclick: () => load(page.nextCursor).catch((e) => more.replaceChildren(errorBox(e))) }, 'Load more'));
  };
  await firstPage(el, load, table, more, () => h('div', { class: 'card empty', id: 'events' }, 'No events.'));
}

// firstPage loads a list's first page. A refusal for lack of the role
// becomes the whole page's answer; other errors stay in the list.
async function firstPage(el, load, table, more, empty) {
  try {
    await load('');
  } catch (e) {
    if (e instanceof ApiError && e.code === 'forbidden') throw e;
    el.replaceChildren(errorBox(e));
    return;
  }
  if (table.tBodies[0].rows.length === 0 && !more.firstChild) el.replaceChildren(empty());
  else el.replaceChildren(table, more);
}

function editDialog(t) {
  const name = h('input', { type: 'text', name: 'name', required: true, maxlength: 100, value: t.name, autofocus: true });
  name.value = t.name;
  const desc = h('textarea', { name: 'description', maxlength: 500 }, t.description);
  formDialog('Rename token', [field('Name', name), field('Description', desc, 'Optional.')], 'Save', async (_f, close) => {
    await api('PATCH', `/tokens/${encodeURIComponent(t.id)}`, { name: name.value.trim(), description: desc.value.trim() });
    close();
    toast('Saved.');
    await route();
  });
}

function extendDialog(t) {
  const me = state.me;
  const sel = h('select', { name: 'days' },
    h('option', { value: '' }, 'Keep the current expiry (only restart the inactivity period)'),
    [...new Set([30, 90, me.defaultExpiryDays, me.maxExpiryDays])].filter((d) => d <= me.maxExpiryDays).sort((a, b) => a - b)
      .map((d) => h('option', { value: d }, `Expire ${d} days from now${d === me.maxExpiryDays ? ' (maximum)' : ''}`)));
  formDialog(`Extend “${t.name}”`, [field('New expiry', sel, 'Extending counts as use: the token is not deleted for inactivity for another full period.')], 'Extend', async (_f, close) => {
    await api('POST', `/tokens/${encodeURIComponent(t.id)}/extend`, sel.value ? { expiresInDays: Number(sel.value) } : undefined);
    close();
    toast('Extended.');
    await route();
  });
}

function rotateDialog(t) {
  formDialog(`Rotate “${t.name}”?`, [], 'Rotate token', async (_f, close) => {
    const created = await api('POST', `/tokens/${encodeURIComponent(t.id)}/rotate`);
    close();
    await revealDialog(created, state.me, 'Your rotated token');
    navigate(`${BASE}tokens/${encodeURIComponent(created.id)}`);
  }, { intro: h('p', {}, 'You get a new token with the same name, scopes and lifetime; this one is revoked at once, so anything still using it gets 401 until you give it the new one.') });
}

// ---------- administration pages. The server checks the role on every
// call; a non-administrator who opens these URLs sees its 403 in words.

function adminNav(current) {
  const item = (href, text, key) => link(href, text, { 'aria-current': key === current ? 'page' : null });
  return h('nav', { class: 'subnav', 'aria-label': 'Administration' },
    item(`${BASE}admin/tokens`, 'All tokens', 'tokens'),
    item(`${BASE}admin/users`, 'Users', 'users'),
    item(`${BASE}admin/audit`, 'Audit log', 'audit'));
}

function filterForm(fields, values, onApply) {
  const form = h('form', { class: 'filters', role: 'search' }, fields.map(([name, label, input]) => {
    input.name = name;
    if (values[name] !== undefined) input.value = values[name];
    return field(label, input);
  }), h('button', { type: 'submit', class: 'primary' }, 'Apply'));
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const v = {};
    for (const [name] of fields) v[name] = form.elements[name].value.trim();
    onApply(v);
  });
  return form;
}

const dayStart = (d) => (d ? `${d}T00:00:00Z` : '');
const dateOf = (iso) => (iso ? iso.slice(0, 10) : '');

async function pageAdminTokens() {
  const q = Object.fromEntries(new URLSearchParams(location.search));
  const filters = { owner: q.owner || '', status: q.status || '', expiringBefore: dateOf(q.expiringBefore), lastUsedBefore: dateOf(q.lastUsedBefore) };
  const list = h('div', {}, h('p', { class: 'muted' }, 'Loading…'));
  const refresh = () => route();
  const ownerBtn = h('button', { type: 'button', class: 'danger-outline', id: 'revoke-owner', disabled: !filters.owner,
    title: filters.owner ? null : 'Filter by an owner first', onclick: () => adminRevokeAll({ owner: filters.owner }, `of ${filters.owner}`) },
  filters.owner ? `Revoke all of ${filters.owner}'s tokens…` : 'Revoke all of an owner\'s tokens…');
  const everyoneBtn = h('button', { type: 'button', class: 'danger-outline', id: 'revoke-everyone', onclick: () => adminRevokeAll({ everyone: true }, 'of every user') }, 'Revoke everyone\'s tokens…');
  show(
    h('div', { class: 'head' }, h('div', {}, h('h1', {}, 'Administration'), h('p', { class: 'muted' }, 'Every user\'s tokens. Owners are told by mail when you lock, unlock or revoke their tokens.')),
      h('div', { class: 'actions' }, ownerBtn, everyoneBtn)),
    adminNav('tokens'),
    filterForm([
      ['owner', 'Owner (user id)', h('input', { type: 'text', autocomplete: 'off' })],
      ['status', 'Status', h('select', {}, ['', 'active', 'locked', 'expired', 'revoked'].map((s) => h('option', { value: s }, s || 'any')))],
      ['expiringBefore', 'Expiring before', h('input', { type: 'date' })],
      ['lastUsedBefore', 'Not used since', h('input', { type: 'date' })],
    ], filters, (v) => navigate(`${BASE}admin/tokens${qs({ owner: v.owner, status: v.status, expiringBefore: dayStart(v.expiringBefore), lastUsedBefore: dayStart(v.lastUsedBefore) })}`)),
    list);
  await tokenTable(list, (cursor) => api('GET', `/admin/tokens${qs({ owner: filters.owner, status: filters.status, expiringBefore: dayStart(filters.expiringBefore), lastUsedBefore: dayStart(filters.lastUsedBefore), cursor, limit: 50 })}`), true, refresh);
}

function lockDialog(t, lock, after) {
  const reason = h('input', { type: 'text', name: 'reason', maxlength: 500, required: lock, autofocus: true });
  formDialog(lock ? `Lock “${t.name}” of ${t.userId}?` : `Unlock “${t.name}” of ${t.userId}?`,
    [field(lock ? 'Reason (required)' : 'Reason', reason, lock ? 'The owner gets a mail with this reason.' : 'Optional; the owner is told.')],
    lock ? 'Lock token' : 'Unlock token', async (_f, close) => {
      await api('POST', `/admin/tokens/${encodeURIComponent(t.id)}/${lock ? 'lock' : 'unlock'}`, { reason: reason.value.trim() });
      close();
      toast(lock ? 'Locked. The owner was told.' : 'Unlocked. The owner was told.');
      if (after) await after();
    }, {
      danger: lock,
      intro: h('p', {}, lock ? 'A locked token gets 401 at once, until an administrator unlocks it. It is not revoked.' : 'The token works again from its next request.'),
      valid: lock ? () => reason.value.trim() !== '' : null,
    });
}

function adminRevokeDialog(t, after) {
  const reason = h('input', { type: 'text', name: 'reason', maxlength: 500 });
  formDialog(`Revoke “${t.name}” of ${t.userId}?`, [field('Reason', reason, 'Optional; the owner gets a mail with it.')], 'Revoke token', async (_f, close) => {
    await api('DELETE', `/admin/tokens/${encodeURIComponent(t.id)}`, { reason: reason.value.trim() });
    close();
    toast('Revoked. The owner was told.');
    if (after) await after();
  }, { danger: true, intro: h('p', {}, 'Anything using it gets 401 at once. This cannot be undone.') });
}

async function adminRevokeAll(target, what) {
  try {
    const { count } = await api('POST', '/admin/tokens/revoke-all', { ...target, preview: true });
    if (count === 0) { toast('There are no active or locked tokens to revoke.'); return; }
    typedCountDialog(target.everyone ? 'Revoke every user\'s tokens?' : `Revoke all tokens of ${target.owner}?`, what, count, async (n, reason) => {
      const res = await api('POST', '/admin/tokens/revoke-all', { ...target, confirm: n, reason });
      await route();
      return res;
    }, { reason: true });
  } catch (e) {
    toast(describe(e));
  }
}

async function pageAdminUsers() {
  const input = h('input', { type: 'text', autocomplete: 'off', required: true });
  const form = h('form', { class: 'filters', role: 'search' }, field('User id', input), h('button', { type: 'submit', class: 'primary' }, 'Open'));
  form.addEventListener('submit', (e) => { e.preventDefault(); if (input.value.trim()) navigate(`${BASE}admin/users/${encodeURIComponent(input.value.trim())}`); });
  // Ask the server first, so a non-administrator sees its answer here too.
  await api('GET', `/admin/tokens${qs({ limit: 1 })}`);
  show(h('h1', {}, 'Administration'), adminNav('users'),
    h('p', { class: 'muted' }, 'Open a user by id to see their status and permissions, disable or enable them, or narrow what their tokens may do. Owners are linked from the token list and the audit log.'),
    form);
}

async function pageAdminUser(id) {
  let u;
  try {
    u = await api('GET', `/admin/users/${encodeURIComponent(id)}`);
  } catch (e) {
    if (!(e instanceof ApiError) || e.code !== 'not_found') throw e;
    u = null;
  }
  const me = state.me;
  const head = h('div', { class: 'head' }, h('div', {}, h('h1', {}, id, ' ', u ? badge(u.status) : null), u?.email ? h('p', { class: 'muted' }, u.email) : null),
    h('div', { class: 'actions' },
      link(`${BASE}admin/tokens${qs({ owner: id })}`, 'Tokens', { class: 'button' }),
      link(`${BASE}admin/audit${qs({ owner: id })}`, 'Audit log', { class: 'button' }),
      (!u || u.status === 'active')
        ? h('button', { type: 'button', class: 'danger', id: 'disable-user', onclick: () => userStatusDialog(id, 'disabled') }, 'Disable user')
        : h('button', { type: 'button', class: 'primary', id: 'enable-user', onclick: () => userStatusDialog(id, 'active') }, 'Enable user')));
  const limitForm = h('form', { id: 'limit-form' },
    h('fieldset', {}, h('legend', {}, 'Narrow permissions'),
      h('p', { class: 'hint' }, 'Tokens of this user may do at most what is ticked, whatever the identity provider grants later. Leave all unticked to allow nothing.'),
      h('div', { class: 'scroll' }, scopeGrid(me.catalog, me.catalog.flatMap((r) => ACTIONS.map((a) => `${r.name}:${a}`)), u ? (u.permissionLimit ?? u.permissions) : [], 'limit'))),
    field('Reason', h('input', { type: 'text', name: 'reason', maxlength: 500 }), 'Optional; recorded in the audit log.'),
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary' }, 'Save limit'),
      u?.permissionLimit ? h('button', { type: 'button', id: 'remove-limit', onclick: () => saveLimit(id, null, limitForm) }, 'Remove limit') : null));
  limitForm.addEventListener('submit', (e) => { e.preventDefault(); saveLimit(id, checkedScopes(limitForm, 'limit'), limitForm); });
  show(h('p', {}, link(`${BASE}admin/users`, '← Users')), adminNav('users'), head,
    u ? null : h('div', { class: 'notice info' }, 'This user has not signed in yet. You can disable them or limit their permissions in advance.'),
    u ? h('div', { class: 'card' }, h('dl', { class: 'facts' },
      h('dt', {}, 'Status'), h('dd', {}, badge(u.status)),
      h('dt', {}, 'From the identity provider'), h('dd', {}, u.permissions.length ? chips(u.permissions) : h('span', { class: 'muted' }, 'none')),
      h('dt', {}, 'Administrator\'s limit'), h('dd', {}, u.permissionLimit ? (u.permissionLimit.length ? chips(u.permissionLimit) : 'nothing') : h('span', { class: 'muted' }, 'no limit')),
      h('dt', {}, 'Effective permissions'), h('dd', { id: 'effective' }, u.effectivePermissions.length ? chips(u.effectivePermissions) : h('span', { class: 'muted' }, 'none')),
      h('dt', {}, 'Active tokens'), h('dd', {}, String(u.activeTokens)))) : null,
    h('h2', {}, 'Permissions'), limitForm);
}

async function saveLimit(id, permissions, form) {
  const reason = form.elements.reason.value.trim();
  try {
    await api('PATCH', `/admin/users/${encodeURIComponent(id)}`, { permissions, reason });
    toast(permissions === null ? 'Limit removed.' : 'Limit saved.');
    await route();
  } catch (e) {
    form.prepend(errorBox(e));
  }
}

function userStatusDialog(id, status) {
  const reason = h('input', { type: 'text', name: 'reason', maxlength: 500, autofocus: true });
  const disable = status === 'disabled';
  formDialog(disable ? `Disable ${id}?` : `Enable ${id}?`, [field('Reason', reason, 'Optional; recorded in the audit log.')], disable ? 'Disable user' : 'Enable user', async (_f, close) => {
    await api('PATCH', `/admin/users/${encodeURIComponent(id)}`, { status, reason: reason.value.trim() });
    close();
    toast(disable ? 'Disabled.' : 'Enabled.');
    await route();
  }, {
    danger: disable,
    intro: h('p', {}, disable ? 'Every token of this user gets 401 from its next request, and they cannot create tokens. Their tokens are kept: enabling restores them.' : 'Their tokens work again from the next request.'),
  });
}

async function pageAudit() {
  const q = Object.fromEntries(new URLSearchParams(location.search));
  const f = { actor: q.actor || '', owner: q.owner || '', token: q.token || '', action: q.action || '', from: dateOf(q.from), to: dateOf(q.to) };
  const list = h('div', {}, h('p', { class: 'muted' }, 'Loading…'));
  show(h('h1', {}, 'Administration'), adminNav('audit'),
    filterForm([
      ['actor', 'Actor', h('input', { type: 'text', autocomplete: 'off' })],
      ['owner', 'Owner', h('input', { type: 'text', autocomplete: 'off' })],
      ['token', 'Token id', h('input', { type: 'text', autocomplete: 'off' })],
      ['action', 'Action', h('select', {}, ['', ...AUDIT_ACTIONS].map((a) => h('option', { value: a }, a || 'any')))],
      ['from', 'From', h('input', { type: 'date' })],
      ['to', 'Before', h('input', { type: 'date' })],
    ], f, (v) => navigate(`${BASE}admin/audit${qs({ ...v, from: dayStart(v.from), to: dayStart(v.to) })}`)),
    list);
  await eventTable(list, (cursor) => api('GET', `/admin/audit${qs({ actor: f.actor, owner: f.owner, token: f.token, action: f.action, from: dayStart(f.from), to: dayStart(f.to), cursor, limit: 50 })}`), true);
}

// ---------- router.

const ROUTES = [
  [/^\/console\/(tokens\/?)?$/, pageTokens, 'tokens'], // mails link to <console>/tokens
  [/^\/console\/tokens\/([^/]+)$/, pageToken, 'tokens'],
  [/^\/console\/admin\/?$/, pageAdminTokens, 'admin'],
  [/^\/console\/admin\/tokens$/, pageAdminTokens, 'admin'],
  [/^\/console\/admin\/users$/, pageAdminUsers, 'admin'],
  [/^\/console\/admin\/users\/([^/]+)$/, pageAdminUser, 'admin'],
  [/^\/console\/admin\/audit$/, pageAudit, 'admin'],
];

function navigate(href) {
  history.pushState(null, '', href);
  route();
}

async function route() {
  const path = location.pathname;
  const found = ROUTES.find(([re]) => re.test(path));
  document.querySelectorAll('[data-nav]').forEach((a) => a.toggleAttribute('aria-current', false));
  if (!found) {
    show(h('h1', {}, 'Page not found'), h('p', {}, link(BASE, 'Go to your tokens')));
    return;
  }
  const [re, page, nav] = found;
  const current = document.querySelector(`[data-nav="${nav}"]`);
  if (current) current.setAttribute('aria-current', 'page');
  const args = path.match(re).slice(1).map(decodeURIComponent);
  try {
    await page(...args);
  } catch (e) {
    show(h('h1', {}, e instanceof ApiError && e.code === 'forbidden' ? 'Not allowed' : 'Something went wrong'), errorBox(e),
      h('p', {}, link(BASE, 'Go to your tokens')));
  }
  document.title = `${main().querySelector('h1')?.textContent || 'Console'} · Access tokens`;
}

document.addEventListener('click', (e) => {
  const a = e.target.closest('a[href]');
  if (!a || e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || a.target) return;
  const url = new URL(a.href, location.href);
  if (url.origin !== location.origin || !url.pathname.startsWith(BASE)) return;
  e.preventDefault();
  navigate(url.pathname + url.search);
  main().focus();
});
window.addEventListener('popstate', () => route());

async function start() {
  try {
    const resp = await fetch(`${BASE}config.json`, { cache: 'no-store' });
    state.cfg = await resp.json();
    if (state.cfg.auth === 'oidc') {
      if (new URLSearchParams(location.search).has('state')) await finishSignIn();
      else await idToken(); // no session in this page yet: sign in (silently, where the IdP session allows)
      const out = $('#sign-out');
      out.hidden = false;
      out.addEventListener('click', signOut);
    } else {
      devUserPicker();
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
function devUserPicker() {
  const sel = $('#dev-user');
  const users = state.cfg.devUsers || [];
  state.devUser = sessionStorage.getItem('pat.devUser') || '';
  if (state.devUser && !users.some((u) => u.header === state.devUser)) {
    users.push({ id: state.devUser, label: `${state.devUser} (user)`, header: state.devUser });
  }
  sel.replaceChildren(...users.map((u) => h('option', { value: u.header, selected: u.header === state.devUser }, u.label)));
  $('#dev-user-label').hidden = false;
  sel.addEventListener('change', async () => {
    state.devUser = sel.value;
    sessionStorage.setItem('pat.devUser', sel.value);
    await loadMe();
    await route();
  });
}

start();
