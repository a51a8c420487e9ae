// The page's configuration (/console/config.json): how to sign in and the
// demo API the usage examples call.

import { BASE } from './routes.mjs';

let cfg = null;

export async function loadConfig() {
  const resp = await fetch(`${BASE}config.json`, { cache: 'no-store' });
  cfg = await resp.json();
  return cfg;
}

export const config = () => cfg;
