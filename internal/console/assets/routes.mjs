// The console's pages by path. Pure: router.mjs shows what match finds.

// BASE is the path the console is served under (console.Base in Go).
export const BASE = '/console/';

// ROUTES: a path pattern, the page that shows it (its arguments are the
// pattern's groups) and the main navigation entry it belongs to.
export const ROUTES = [
  [/^\/console\/(?:tokens\/?)?$/, 'tokens', 'tokens'], // mails link to <console>/tokens
  [/^\/console\/tokens\/([^/]+)$/, 'token', 'tokens'],
  [/^\/console\/admin\/?$/, 'adminTokens', 'admin'],
  [/^\/console\/admin\/tokens$/, 'adminTokens', 'admin'],
  [/^\/console\/admin\/tokens\/([^/]+)$/, 'adminToken', 'admin'],
  [/^\/console\/admin\/users$/, 'adminUsers', 'admin'],
  [/^\/console\/admin\/users\/([^/]+)$/, 'adminUser', 'admin'],
  [/^\/console\/admin\/audit$/, 'audit', 'admin'],
];

// match finds the page of a path: { page, nav, args } with the arguments
// decoded, or null for a path no page shows.
export function match(path) {
  for (const [re, page, nav] of ROUTES) {
    const m = path.match(re);
    if (m) return { page, nav, args: m.slice(1).map(decodeURIComponent) };
  }
  return null;
}

// Console-relative paths to the pages, as links and navigations use them.
export const tokenPath = (id) => `${BASE}tokens/${encodeURIComponent(id)}`;
export const userPath = (id) => `${BASE}admin/users/${encodeURIComponent(id)}`;
export const adminTokenPath = (id) => `${BASE}admin/tokens/${encodeURIComponent(id)}`;
