// The history explorer: a few views over the history API, routed on the page's own paths so
// that /ui/sessions/{id} and /ui/users/{id} can be linked to.
import { credential, signedIn, signOut } from './api.js';
import { h } from './dom.js';
import { go } from './router.js';
import { signInView } from './signin.js';
import { overviewView } from './overview.js';
import { sessionsView } from './sessions.js';
import { sessionView } from './session.js';
import { userView } from './user.js';

const main = document.getElementById('main');
const nav = document.getElementById('nav');
const who = document.getElementById('who');
const whoLabel = document.getElementById('who-label');

const LABELS = {
  history: 'History token: every scope',
  admin: 'Admin token: overview only',
  client: 'Client key: its own scope',
};

/** The view for a path, or null when the path is not one of the page's. */
function route(path, params) {
  const session = path.match(/^\/ui\/sessions\/([^/]+)$/);
  if (session) {
    return () => sessionView(decodeURIComponent(session[1]), params);
  }
  const user = path.match(/^\/ui\/users\/([^/]+)$/);
  if (user) {
    return () => userView(decodeURIComponent(user[1]), params);
  }
  if (path === '/ui/overview') {
    return () => overviewView();
  }
  if (path === '/ui/sessions') {
    return () => sessionsView(params);
  }
  if (path === '/ui/' || path === '/ui') {
    return credential() === 'admin' ? () => overviewView() : () => sessionsView(params);
  }
  return null;
}

let rendering = 0;

async function render() {
  const turn = ++rendering;
  const path = location.pathname;
  const params = new URLSearchParams(location.search);
  chrome(path);
  if (!signedIn()) {
    show(signInView(() => render()));
    return;
  }
  const view = route(path, params);
  if (view === null) {
    show(h('section', {}, h('h1', { tabindex: '-1' }, 'Not a page of the explorer'),
      h('p', {}, h('a', { href: '/ui/' }, 'Back to the start'))));
    return;
  }
  const content = await view();
  if (turn === rendering) {
    show(content);
  }
}

function show(content) {
  main.replaceChildren(content);
  const heading = main.querySelector('h1');
  if (heading) {
    heading.setAttribute('tabindex', '-1');
    heading.focus({ preventScroll: true });
  }
}

function chrome(path) {
  const kind = signedIn() ? credential() : null;
  nav.hidden = kind === null;
  who.hidden = kind === null;
  whoLabel.textContent = kind ? LABELS[kind] || kind : '';
  for (const a of nav.querySelectorAll('a')) {
    const view = a.dataset.view;
    a.hidden = view === 'sessions' && kind === 'admin';
    const current = path.startsWith(`/ui/${view}`) || (path === '/ui/' && view === (kind === 'admin' ? 'overview' : 'sessions'));
    if (current) {
      a.setAttribute('aria-current', 'page');
    } else {
      a.removeAttribute('aria-current');
    }
  }
}


document.addEventListener('click', (event) => {
  const a = event.target.closest('a[href]');
  if (!a || event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) {
    return;
  }
  const url = new URL(a.href, location.href);
  if (url.origin === location.origin && url.pathname.startsWith('/ui/') && url.hash === '') {
    event.preventDefault();
    go(url.pathname + url.search);
  }
});

window.addEventListener('popstate', () => render());
window.addEventListener('strata:navigate', () => render());

document.getElementById('sign-out').addEventListener('click', () => {
  signOut();
  go('/ui/');
});

render();
