// The receiver console: the same page as the debugger, shown at #console. It signs in with
// the Worker's ADMIN_TOKEN (kept in this tab's sessionStorage only), then draws one view at
// a time from the admin API of this page's origin. Views live in app/console/; this module
// routes between them and handles the states every view shares (signed out, token refused).
import { $ } from './app/dom.js';
import { ApiError, api, token } from './app/console/api.js';
import { failure, loading } from './app/console/states.js';
import { alertsView } from './app/console/alerts.js';
import { eventView, eventsView } from './app/console/events.js';
import { overviewView, noteMode } from './app/console/overview.js';
import { refusedView, refusedDetailView } from './app/console/refused.js';

// `#console/<view>[/<id>]`: the view drawn for each route.
const VIEWS = {
  '': overviewView,
  events: eventsView,
  event: eventView,
  refused: refusedView,
  failure: refusedDetailView,
  alerts: alertsView,
};
// The tab lit for each route.
const TABS = { '': 'overview', events: 'events', event: 'events', refused: 'refused', failure: 'refused', alerts: 'alerts' };

// Each render gets a number; a render whose number is no longer current draws nothing.
let generation = 0;

function route() {
  const [hash, query = ''] = location.hash.replace(/^#/, '').split('?');
  if (hash !== 'console' && !hash.startsWith('console/')) return null;
  const [, view = '', ...rest] = hash.split('/');
  let id = rest.join('/');
  try {
    id = decodeURIComponent(id);
  } catch {
    // Left as typed: the API says it does not know it.
  }
  return { view, id, params: new URLSearchParams(query) };
}

/** Goes to a console route (`events`, `event/<id>`...); '' is the overview. */
export function go(path) {
  location.hash = path === '' ? 'console' : `console/${path}`;
}

function showSignIn(message = '') {
  $('console-main').hidden = true;
  $('signin').hidden = false;
  $('signin-status').textContent = message;
  $('signin-status').classList.toggle('bad', message !== '');
  $('admin-token').focus();
}

/** What every view does with a failed call: a refused token signs out, the rest is shown. */
function handleFailure(error, container, options) {
  if (!(error instanceof ApiError)) {
    container.replaceChildren(failure(new ApiError('failed', error.message), options));
    return;
  }
  if (error.kind === 'unauthorized' || error.kind === 'signed-out') {
    token.clear();
    showSignIn(
      error.kind === 'unauthorized'
        ? 'The receiver refused the token (401): it is wrong, or ADMIN_TOKEN has changed. Sign in again.'
        : '',
    );
    return;
  }
  container.replaceChildren(failure(error, options));
}

async function render() {
  const current = route();
  $('debugger-view').hidden = current !== null;
  $('console-view').hidden = current === null;
  $('nav-debugger').toggleAttribute('aria-current', current === null);
  $('nav-console').toggleAttribute('aria-current', current !== null);
  document.title = current === null ? 'DigiVault webhook debugger' : 'DigiVault webhooks console';
  if (current === null) return;
  if (!token.get()) {
    showSignIn();
    return;
  }
  $('signin').hidden = true;
  $('console-main').hidden = false;
  const tab = TABS[current.view];
  for (const link of document.querySelectorAll('.tabs a')) {
    link.toggleAttribute('aria-current', link.dataset.view === tab);
  }
  const view = VIEWS[current.view];
  const container = $('console-content');
  const mine = ++generation;
  if (view === undefined) {
    go('');
    return;
  }
  const ctx = {
    container,
    id: current.id,
    params: current.params,
    go,
    /** Whether this render is still the page's (the person may have moved on). */
    current: () => mine === generation,
    /** Draws a failed call (or signs out on a refused token); `options`: feature, retry. */
    fail: (error, options = {}) => {
      if (mine === generation) handleFailure(error, container, { retry: render, ...options });
    },
    rerender: render,
  };
  container.replaceChildren(loading('…'));
  container.dataset.view = current.view || 'overview';
  try {
    await view(ctx);
  } catch (error) {
    ctx.fail(error);
  }
}

async function signIn(event) {
  event.preventDefault();
  const field = $('admin-token');
  const value = field.value.trim();
  if (value === '') return;
  const status = $('signin-status');
  status.classList.remove('bad');
  status.textContent = 'Checking the token…';
  token.set(value);
  try {
    const stats = await api('/admin/stats');
    noteMode(stats);
  } catch (error) {
    token.clear();
    status.classList.add('bad');
    if (error.kind === 'unauthorized') status.textContent = 'The receiver refused this token (401): check ADMIN_TOKEN and try again.';
    else if (error.kind === 'off') status.textContent = 'The admin API is off on this receiver: it answers 404 under /admin/. Set the ADMIN_TOKEN secret (32 characters or more) and bind LEDGER, then deploy again.';
    else if (error.kind === 'network') status.textContent = `The receiver could not be reached (${error.message}): check the connection and try again.`;
    else status.textContent = `The token could not be checked: HTTP ${error.status ?? '?'} ${error.code ?? ''} ${error.message}`;
    return;
  }
  field.value = '';
  status.textContent = '';
  render();
}

function signOut() {
  token.clear();
  generation += 1;
  $('console-content').replaceChildren();
  $('console-notice').hidden = true;
  showSignIn('Signed out: the token is gone from this tab.');
}

$('signin-form').addEventListener('submit', signIn);
$('signout').addEventListener('click', signOut);
window.addEventListener('hashchange', render);
render();
document.body.dataset.console = 'ready';
