// The page's configuration (/console/config.json): how to sign in and the
// demo API the usage examples call.

import { unreachable } from './api.mjs';
import { BASE } from './routes.mjs';

let cfg = null;

export async function loadConfig() {
  let resp;
  try {
    resp = await fetch(`${BASE}config.json`, { cache: 'no-store' });
  } catch {
    throw unreachable();
  }
  if (!resp.ok) throw new Error(`config.json: HTTP ${resp.status}`);
  cfg = await resp.json();
  return cfg;
}

export const config = () => cfg;
