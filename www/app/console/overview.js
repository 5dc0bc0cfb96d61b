// Overview: events per state, the oldest pending event's age, the last 24 hours as a chart,
// and the origin's last answer, from GET /admin/stats.
import { $, el } from '../dom.js';
import { api } from './api.js';
import { chart } from './chart.js';
import { count, relative, span, when } from './format.js';
import { empty, show } from './states.js';

/** The delivery states, in the order an event goes through them. */
export const STATES = ['pending', 'delivering', 'delivered', 'dead'];

const num = (value) => (typeof value === 'number' && Number.isFinite(value) ? value : undefined);

/**
 * What the console reads of GET /admin/stats: `counts` per state, `mode` (`durable`,
 * `forward` or undefined when not said), `oldestPendingAt`, `hours` (oldest first, or null
 * when not reported) and `lastAnswer` ({ at, status?, error?, duration_ms? } or null).
 */
export function readStats(stats) {
  const hourly = Array.isArray(stats.hours) ? stats.hours : null;
  return {
    counts: Object.fromEntries(STATES.map((state) => [state, num(stats[state]) ?? 0])),
    mode: stats.mode,
    oldestPendingAt: num(stats.oldest_pending_at),
    hours:
      hourly?.map((hour) => ({
        start: num(hour.start),
        accepted: num(hour.accepted) ?? 0,
        delivered: num(hour.delivered) ?? 0,
        failed: num(hour.failed_attempts) ?? 0,
        refused: num(hour.refused) ?? 0,
      })) ?? null,
    lastAnswer: stats.last_attempt ?? null,
  };
}

/** Shows (or hides) the forward-mode notice from what the stats say of the delivery mode. */
export function noteMode(stats) {
  const { mode } = readStats(stats);
  const notice = $('console-notice');
  notice.hidden = mode !== 'forward';
  notice.dataset.mode = mode ?? '';
  if (mode === 'forward') {
    notice.replaceChildren(
      el('strong', {}, 'This receiver is in forward mode. '),
      'It forwards each delivery while DigiVault waits and stores no event: the ledger remembers ids only ' +
        'to answer duplicates, so events show no attempts, no body, and cannot be replayed. ' +
        'Set DELIVERY_MODE=durable to keep every event, retry it and replay it from here.',
    );
  }
}

/** The delivery mode the stats last said (`forward`, `durable`), or undefined before any. */
export function knownMode() {
  return $('console-notice').dataset.mode || undefined;
}

function tile(state, value) {
  return el(
    'a',
    {
      class: `tile state-${state}${state === 'dead' && value > 0 ? ' alarm' : ''}${value === 0 ? ' zero' : ''}`,
      href: `#console/events?state=${state}`,
      'data-testid': `count-${state}`,
    },
    el('span', { class: 'value' }, count(value)),
    el('span', { class: 'label' }, state),
  );
}

function lastAnswer(answer, now, mode) {
  if (answer === null || typeof answer !== 'object') {
    return mode === 'forward'
      ? 'Not recorded in forward mode: the Worker hands the origin’s answer to DigiVault.'
      : 'None recorded yet: no delivery attempt so far.';
  }
  const result =
    typeof answer.status === 'number'
      ? `HTTP ${answer.status}`
      : answer.error
        ? `no answer (${answer.error})`
        : 'no answer';
  const took = num(answer.duration_ms) !== undefined ? ` in ${span(answer.duration_ms)}` : '';
  const at = num(answer.at) !== undefined ? `, ${relative(answer.at, now)} (${when(answer.at)})` : '';
  return `${result}${took}${at}`;
}

/** Draws the overview into `ctx.container`. */
export async function overviewView(ctx) {
  const raw = await api('/admin/stats');
  if (!ctx.current()) return;
  noteMode(raw);
  const stats = readStats(raw);
  const now = Date.now();
  const refresh = el('button', { type: 'button', class: 'secondary', 'data-testid': 'refresh' }, 'Refresh');
  refresh.addEventListener('click', ctx.rerender);
  const oldest =
    stats.oldestPendingAt !== undefined
      ? `${span(now - stats.oldestPendingAt)} (received ${when(stats.oldestPendingAt)})`
      : stats.counts.pending > 0
        ? 'not reported by this receiver'
        : 'none: nothing is waiting';
  const facts = el(
    'dl',
    { class: 'facts' },
    el('dt', {}, 'Oldest pending event'),
    el('dd', { 'data-testid': 'oldest-pending' }, oldest),
    el('dt', {}, "The origin's last answer"),
    el('dd', { 'data-testid': 'last-answer' }, lastAnswer(stats.lastAnswer, now, stats.mode)),
  );
  const total = STATES.reduce((sum, state) => sum + stats.counts[state], 0);
  let last24;
  if (stats.hours === null) {
    last24 = empty('This receiver does not report hourly counts (a Worker older than the console).');
  } else {
    const quiet = stats.hours.every((h) => h.accepted + h.delivered + h.failed + h.refused === 0);
    last24 = quiet ? empty('Nothing happened in the last 24 hours: no event accepted, delivered or refused.') : chart(stats.hours);
  }
  show(
    ctx.container,
    el('div', { class: 'view-head' }, el('h2', {}, 'Overview'), el('span', { class: 'hint' }, `as of ${when(now)}`), refresh),
    el('div', { class: 'tiles', 'data-testid': 'counts' }, ...STATES.map((state) => tile(state, stats.counts[state]))),
    total === 0 ? empty('No events kept yet.', 'Events appear here once DigiVault delivers to this receiver.') : null,
    facts,
    el('h3', {}, 'The last 24 hours'),
    last24,
  );
}
