// Alerts the receiver sent (dead letters, verification failures, backlog, resolved),
// newest first, from GET /admin/alerts.
import { el, plural } from '../dom.js';
import { ApiError, api } from './api.js';
import { count, relative, when } from './format.js';
import { empty, failure, loading, show } from './states.js';

/** Alerts per page. */
export const PAGE_SIZE = 50;

// `outcome`: sent (the alert URL answered 2xx) or failed (every attempt did not), with the
// last answer's `status` or `error` and the `attempts` made.
function delivery(alert) {
  const outcome = alert.outcome ?? '—';
  const last = typeof alert.status === 'number' ? `HTTP ${alert.status}` : alert.error;
  const detail = [last, typeof alert.attempts === 'number' ? plural(alert.attempts, 'attempt') : null].filter(Boolean).join(', ');
  return [
    el('span', { class: `badge ${outcome === 'failed' ? 'state-dead' : 'state-delivered'}` }, outcome),
    detail ? el('span', { class: 'hint block' }, detail) : null,
  ];
}

/** The listing of alerts. */
export async function alertsView(ctx) {
  const cursor = ctx.params.get('cursor') ?? '';
  const results = el('div', { class: 'results' }, loading('alerts'));
  show(ctx.container, el('div', { class: 'view-head' }, el('h2', {}, 'Alerts sent')), results);
  let page;
  try {
    page = await api('/admin/alerts', { query: { limit: PAGE_SIZE, cursor } });
  } catch (error) {
    if (error instanceof ApiError && !['unauthorized', 'signed-out'].includes(error.kind)) {
      if (ctx.current()) show(results, failure(error, { feature: 'record of alerts', retry: ctx.rerender }));
      return;
    }
    throw error;
  }
  if (!ctx.current()) return;
  const alerts = Array.isArray(page.alerts) ? page.alerts : [];
  if (alerts.length === 0) {
    show(results, empty('No alert sent.', 'Alerts go to ALERT_URL when events die, refused deliveries pile up or the backlog ages; with ALERT_URL unset none are sent.'));
    return;
  }
  const now = Date.now();
  const pager = el('nav', { class: 'pager', 'aria-label': 'Pages' });
  if (cursor) pager.append(el('a', { href: '#console/alerts' }, '← Newest'));
  if (page.cursor) pager.append(el('a', { href: `#console/alerts?cursor=${encodeURIComponent(page.cursor)}` }, 'Older →'));
  show(
    results,
    el(
      'table',
      { class: 'list', 'data-testid': 'alerts' },
      el('thead', {}, el('tr', {}, ...['Sent', 'Kind', 'Count', 'Message', 'Delivery'].map((h) => el('th', { scope: 'col' }, h)))),
      el(
        'tbody',
        {},
        ...alerts.map((alert) => {
          const { at } = alert;
          return el(
            'tr',
            {},
            el('td', {}, when(at), el('span', { class: 'hint block' }, relative(at, now))),
            el('td', {}, el('code', {}, alert.kind ?? '—')),
            el('td', { class: 'num' }, count(alert.count)),
            el('td', {}, alert.text ?? ''),
            el('td', { 'data-testid': 'alert-outcome' }, ...delivery(alert).filter(Boolean)),
          );
        }),
      ),
    ),
    pager,
  );
}
