// The router: shows the page of the address bar (routes.mjs says which)
// and keeps links inside the console without reloading it.

import { ApiError } from './api.mjs';
import { errorBox, h, link, main, show } from './dom.mjs';
import { t } from './i18n.mjs';
import { BASE, match } from './routes.mjs';
import { refusedPage } from './signin.mjs';

let pages = {}; // page name → async function(...args) that shows it

// route shows the page of the current address.
export async function route() {
  const path = location.pathname;
  const found = match(path);
  document.querySelectorAll('[data-nav]').forEach((a) => a.toggleAttribute('aria-current', false));
  if (!found) {
    show(h('h1', {}, t('page.notFound')), h('p', {}, link(BASE, t('page.toTokens'))));
    return;
  }
  const current = document.querySelector(`[data-nav="${found.nav}"]`);
  if (current) current.setAttribute('aria-current', 'page');
  try {
    await pages[found.page](...found.args);
  } catch (e) {
    if (e instanceof ApiError && e.code === 'sign_in_refused') {
      refusedPage(e);
      return;
    }
    show(h('h1', {}, e instanceof ApiError && e.code === 'forbidden' ? t('page.notAllowed') : t('page.error')), errorBox(e),
      h('p', {}, link(BASE, t('page.toTokens'))));
  }
  document.title = `${main().querySelector('h1')?.textContent || t('app.console')} · ${t('app.name')}`;
}

// navigate goes to a console page, in the history.
export function navigate(href) {
  history.pushState(null, '', href);
  route();
}

// listen takes over the console's links and the back button; pages names
// the function that shows each page of routes.mjs.
export function listen(p) {
  pages = p;
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
}
