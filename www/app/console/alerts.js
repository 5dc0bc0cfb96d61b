// Alerts the receiver sent (dead letters, verification failures, backlog, resolved),
// newest first, from GET /admin/alerts.
import { el } from '../dom.js';
import { ApiError, api } from './api.js';
import { count, relative, when } from './format.js';
import { empty, failure, loading, show } from './states.js';

/** Alerts per page. */
export const PAGE_SIZE = 50;

function delivery(alert) {
  const status = alert.status ?? alert.delivery ?? (alert.delivered === true ? 'sent' : alert.delivered === false ? 'failed' : undefined);
  if (status === undefined) return '—';
  return el('span', { class: `badge ${status === 'failed' ? 'state-dead' : 'state-delivered'}` }, String(status));
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
  show(results, 
    el(
      'table',
      { class: 'list', 'data-testid': 'alerts' },
      el('thead', {}, el('tr', {}, ...['Sent', 'Kind', 'Count', 'Message', 'Delivery'].map((h) => el('th', { scope: 'col' }, h)))),
      el(
        'tbody',
        {},
        ...alerts.map((alert) => {
          const at = alert.sent_at ?? alert.at ?? alert.created_at;
          return el(
            'tr',
            {},
            el('td', {}, when(at), el('span', { class: 'hint block' }, relative(at, now))),
            el('td', {}, el('code', {}, alert.kind ?? '—')),
            el('td', { class: 'num' }, count(alert.count)),
            el('td', {}, alert.text ?? ''),
            el('td', {}, delivery(alert)),
          );
        }),
      ),
    ),
    pager,
  );
}
