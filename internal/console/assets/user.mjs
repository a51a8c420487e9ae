// The signed-in user, as /me describes them, and the header that names them.

import { api } from './api.mjs';
import { $, h } from './dom.mjs';
import { t } from './i18n.mjs';

let current = null;

// me is the signed-in user: their permissions, lifetime settings and the
// scope catalogue (and the service's release, which the footer shows).
export const me = () => current;

export async function loadMe() {
  current = await api('GET', '/me');
  header();
}

// header names the user in the header and the release in the footer.
export function header() {
  if (!current) return;
  $('#admin-link').hidden = !current.isAdmin;
  $('#version').textContent = t('app.version', { version: current.version });
  $('#who').replaceChildren(...[current.email || current.id, current.isAdmin ? h('span', { class: 'badge admin' }, t('app.admin')) : ''].filter(Boolean));
}
