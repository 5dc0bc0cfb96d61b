// Events: a listing filtered by state, type and id (newest first, paged by the API's
// cursor), "Replay all dead" with its progress, and one event's detail: its timeline, its
// body (pretty and raw, whitespace shown) and Replay.
import { renderBytes } from '../body-view.js';
import { el, encoder, plural } from '../dom.js';
import { ApiError, api } from './api.js';
import { count, relative, span, when } from './format.js';
import { STATES, knownMode } from './overview.js';
import { empty, failure, loading, show } from './states.js';

/** Events per page. */
export const PAGE_SIZE = 25;

const eventHref = (id) => `#console/event/${encodeURIComponent(id)}`;

function listHref(filter, cursor) {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries({ ...filter, cursor })) if (value) params.set(key, value);
  return `#console/events?${params}`;
}

// The cursors of the pages shown before the current one, for "Newer" (per filter).
const previous = { key: '', cursors: [] };

function filterForm(filter, ctx) {
  const state = el(
    'select',
    { id: 'filter-state', 'data-testid': 'filter-state' },
    ...STATES.map((name) => el('option', { value: name }, name)),
  );
  state.value = filter.state;
  const type = el('input', { id: 'filter-type', 'data-testid': 'filter-type', type: 'text', value: filter.type, placeholder: 'contact.created', autocomplete: 'off', spellcheck: 'false' });
  const id = el('input', { id: 'filter-id', 'data-testid': 'filter-id', type: 'text', value: filter.id, placeholder: 'webhook_…', autocomplete: 'off', spellcheck: 'false' });
  const form = el(
    'form',
    { class: 'filters', 'data-testid': 'filters' },
    el('div', { class: 'field' }, el('label', { for: 'filter-state' }, 'State'), state),
    el('div', { class: 'field' }, el('label', { for: 'filter-type' }, 'Type'), type),
    el('div', { class: 'field' }, el('label', { for: 'filter-id' }, 'Id'), id),
    el('button', { type: 'submit', 'data-testid': 'filter-apply' }, 'Show'),
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    location.hash = listHref({ state: state.value, type: type.value.trim(), id: id.value.trim() }).slice(1);
  });
  state.addEventListener('change', () => form.requestSubmit());
  return form;
}

function eventRow(event, now) {
  return el(
    'tr',
    { dataset: { id: event.id } },
    el('td', {}, when(event.received_at)),
    el('td', { class: 'mono' }, el('a', { href: eventHref(event.id) }, event.id)),
    // Forward mode records no attempts (its one forward ran while DigiVault waited), and rows
    // claimed before it recorded types have none: a dash, not an empty cell or "0".
    el('td', { class: 'mono' }, event.type || '—'),
    el('td', {}, el('span', { class: `badge state-${event.state}` }, event.state)),
    el('td', { class: 'num' }, event.attempt_count || event.state === 'pending' ? count(event.attempt_count ?? 0) : '—'),
    el('td', {}, event.next_attempt_at ? `${relative(event.next_attempt_at, now)}` : '—'),
  );
}

function table(events) {
  const now = Date.now();
  return el(
    'table',
    { class: 'list', 'data-testid': 'events' },
    el('thead', {}, el('tr', {}, ...['Received', 'Id', 'Type', 'State', 'Attempts', 'Next attempt'].map((h) => el('th', { scope: 'col' }, h)))),
    el('tbody', {}, ...events.map((event) => eventRow(event, now))),
  );
}

/**
 * "Replay all dead": a confirmation, then one call after another until none is left;
 * `reload` redraws the listing once done.
 */
function replayAllDead(ctx, reload) {
  const box = el('div', { class: 'replay-all', 'data-testid': 'replay-all' });
  const start = el('button', { type: 'button', class: 'secondary', 'data-testid': 'replay-dead' }, 'Replay all dead…');
  box.append(start);
  start.addEventListener('click', () => {
    const confirm = el('button', { type: 'button', class: 'danger', 'data-testid': 'replay-dead-confirm' }, 'Yes, replay every dead event');
    const cancel = el('button', { type: 'button', class: 'secondary', 'data-testid': 'replay-dead-cancel' }, 'Cancel');
    box.classList.add('active');
    box.replaceChildren(
      el('p', {}, 'Every dead event goes back to pending and is delivered to the origin again, on a fresh retry schedule. ' +
        'Check that the origin is up first.'),
      confirm,
      cancel,
    );
    confirm.focus();
    cancel.addEventListener('click', () => box.replaceWith(replayAllDead(ctx, reload)));
    confirm.addEventListener('click', () => runReplayAll(box, ctx, reload));
  });
  return box;
}

async function runReplayAll(box, ctx, reload) {
  const bar = el('progress', { 'data-testid': 'replay-progress', max: '1', value: '0' });
  const status = el('p', { role: 'status', 'data-testid': 'replay-status' }, 'Replaying…');
  box.replaceChildren(bar, status);
  let replayed = 0;
  for (;;) {
    let part;
    try {
      part = await api('/admin/events/replay', { method: 'POST', query: { state: 'dead' } });
    } catch (error) {
      if (error instanceof ApiError && error.kind === 'unauthorized') return ctx.fail(error);
      box.append(failure(error));
      status.textContent = `Stopped after ${plural(replayed, 'event')} replayed.`;
      return undefined;
    }
    replayed += part.replayed ?? 0;
    const total = replayed + (part.remaining ?? 0);
    bar.max = Math.max(total, 1);
    bar.value = replayed;
    status.textContent = `${count(replayed)} of ${count(total)} replayed${part.remaining ? ', continuing…' : '.'}`;
    // Nothing more moved: stop rather than call forever.
    if (!part.remaining || !part.replayed) break;
  }
  status.textContent = `Done: ${plural(replayed, 'event')} back to pending; they are being delivered.`;
  if (ctx.current()) await reload();
  return undefined;
}

/** The events listing. */
export async function eventsView(ctx) {
  const filter = {
    // Forward mode keeps no dead events: its listing opens on what it does keep.
    state: STATES.includes(ctx.params.get('state')) ? ctx.params.get('state') : knownMode() === 'forward' ? 'delivered' : 'dead',
    type: ctx.params.get('type') ?? '',
    id: ctx.params.get('id') ?? '',
  };
  const cursor = ctx.params.get('cursor') ?? '';
  const key = JSON.stringify(filter);
  if (previous.key !== key || cursor === '') {
    previous.key = key;
    previous.cursors = [];
  }
  const results = el('div', { class: 'results' }, loading('events'));
  const reload = () => showEvents(ctx, filter, cursor, results);
  show(
    ctx.container,
    el('div', { class: 'view-head' }, el('h2', {}, 'Events'), replayAllDead(ctx, reload)),
    filterForm(filter, ctx),
    results,
  );
  await reload();
}

/** Fetches one page of the listing into `results`. */
async function showEvents(ctx, filter, cursor, results) {
  let page;
  try {
    // With an id, any state: the API asks the one shard that would hold it.
    const state = filter.id ? '' : filter.state;
    page = await api('/admin/events', { query: { state, type: filter.type, id: filter.id, limit: PAGE_SIZE, cursor } });
  } catch (error) {
    if (error instanceof ApiError && !['unauthorized', 'signed-out'].includes(error.kind)) {
      if (ctx.current()) show(results, failure(error, { retry: ctx.rerender }));
      return;
    }
    throw error;
  }
  if (!ctx.current()) return;
  const events = Array.isArray(page.events) ? page.events : [];
  const pager = el('nav', { class: 'pager', 'aria-label': 'Pages' });
  if (cursor !== '') {
    const back = previous.cursors.at(-1) ?? '';
    const newer = el('a', { href: listHref(filter, back), 'data-testid': 'page-newer' }, '← Newer');
    newer.addEventListener('click', () => previous.cursors.pop());
    pager.append(newer);
  }
  if (page.cursor) {
    const older = el('a', { href: listHref(filter, page.cursor), 'data-testid': 'page-older' }, 'Older →');
    older.addEventListener('click', () => previous.cursors.push(cursor));
    pager.append(older);
  }
  const what = filter.id
    ? `event with id ${filter.id}${filter.type ? ` and type ${filter.type}` : ''}`
    : [filter.state, filter.type && `events of type ${filter.type}`].filter(Boolean).join(' ') + (filter.type ? '' : ' events');
  show(
    results,
    events.length === 0
      ? empty(cursor ? 'No older events.' : `No ${what}.`, filter.state === 'dead' && !filter.type && !filter.id ? 'Nothing has failed for good: no event waits for a replay.' : undefined)
      : table(events),
    pager,
  );
}

function timeline(view, now) {
  if (view.attempts.length === 0) {
    return empty(
      view.state === 'pending' ? 'No attempt yet.' : 'No attempts recorded.',
      view.size === null || view.size === undefined ? 'Forward mode keeps no timeline: the Worker forwarded it while DigiVault waited.' : undefined,
    );
  }
  const rows = view.attempts.map((attempt, i) =>
    el(
      'tr',
      { class: attempt.status >= 200 && attempt.status < 300 ? 'ok' : 'failed' },
      el('td', { class: 'num' }, String(i + 1)),
      el('td', {}, when(attempt.at)),
      el('td', { class: 'num' }, span(attempt.duration_ms)),
      el('td', {}, typeof attempt.status === 'number' ? `HTTP ${attempt.status}` : `no answer: ${attempt.error ?? 'unknown'}`),
    ),
  );
  if (view.state === 'dead') {
    rows.push(el('tr', { class: 'next' }, el('td', {}, ''), el('td', {}, ''), el('td', {}, ''), el('td', {}, 'dead: no attempt left; Replay sends it again')));
  } else if (view.next_attempt_at) {
    rows.push(
      el('tr', { class: 'next' }, el('td', {}, ''), el('td', {}, when(view.next_attempt_at)), el('td', {}, ''), el('td', {}, `next attempt, ${relative(view.next_attempt_at, now)}`)),
    );
  }
  return el(
    'table',
    { class: 'list timeline', 'data-testid': 'timeline' },
    el('thead', {}, el('tr', {}, ...['#', 'Started', 'Took', 'Result'].map((h) => el('th', { scope: 'col' }, h)))),
    el('tbody', {}, ...rows),
  );
}

function bodyViews(body) {
  if (typeof body !== 'string') {
    return [el('h3', {}, 'Body'), empty('The body is not kept for this event.', 'Only durable mode stores bodies.')];
  }
  let pretty;
  try {
    pretty = JSON.stringify(JSON.parse(body), null, 2);
  } catch {
    pretty = null;
  }
  const visible = el('pre', { class: 'visible', 'data-testid': 'body-raw', tabindex: '0', 'aria-label': 'The body as received, invisible characters shown' });
  const summary = el('p', { class: 'summary', 'data-testid': 'body-summary' });
  renderBytes(encoder.encode(body), { visible, summary });
  return [
    el('h3', {}, 'Body'),
    pretty === null
      ? el('p', { class: 'hint' }, 'Not JSON: shown as received only.')
      : el('pre', { 'data-testid': 'body-pretty', tabindex: '0', 'aria-label': 'The body, pretty-printed' }, pretty),
    el('h3', {}, 'As received, whitespace shown'),
    el('div', { class: 'bytes' }, summary, visible),
  ];
}

function replayButton(view, ctx) {
  // Forward mode stores no body (size null): nothing to deliver again.
  if ((view.state !== 'dead' && view.state !== 'delivered') || view.size === null || view.size === undefined) return null;
  const button = el('button', { type: 'button', 'data-testid': 'replay' }, view.state === 'dead' ? 'Replay' : 'Deliver again');
  const status = el('p', { role: 'status', class: 'hint', 'data-testid': 'replay-result' });
  button.addEventListener('click', async () => {
    button.disabled = true;
    status.textContent = 'Replaying…';
    try {
      await api(`/admin/events/${encodeURIComponent(view.id)}/replay`, { method: 'POST' });
      status.textContent = 'Replayed: back to pending, delivered again now.';
      setTimeout(() => ctx.current() && ctx.rerender(), 1500);
    } catch (error) {
      if (error instanceof ApiError && error.kind === 'unauthorized') return ctx.fail(error);
      button.disabled = false;
      status.textContent = '';
      status.append(failure(error));
    }
    return undefined;
  });
  return el('div', { class: 'replay-one' }, button, status);
}

/** One event: facts, timeline, body, Replay. */
export async function eventView(ctx) {
  const view = await api(`/admin/events/${encodeURIComponent(ctx.id)}`, { query: { body: 1 } }).catch((error) => {
    if (error instanceof ApiError && error.kind === 'not-found') {
      show(ctx.container, el('h2', {}, 'Event'), failure(error), el('p', {}, el('a', { href: '#console/events' }, '← Events')));
      return null;
    }
    throw error;
  });
  if (view === null || !ctx.current()) return;
  const now = Date.now();
  const attempts = Array.isArray(view.attempts) ? view.attempts : [];
  show(
    ctx.container,
    el('p', {}, el('a', { href: listHref({ state: view.state }), 'data-testid': 'back' }, '← Events')),
    el('div', { class: 'view-head' }, el('h2', { class: 'mono' }, view.id), el('span', { class: `badge state-${view.state}`, 'data-testid': 'event-state' }, view.state)),
    el(
      'dl',
      { class: 'facts' },
      el('dt', {}, 'Type'), el('dd', { class: 'mono' }, view.type || '—'),
      el('dt', {}, 'Received'), el('dd', {}, `${when(view.received_at)} (${relative(view.received_at, now)})`),
      el('dt', {}, 'Size'), el('dd', {}, view.size === null || view.size === undefined ? 'not stored (forward mode)' : plural(view.size, 'byte')),
      el('dt', {}, 'SHA-256'), el('dd', { class: 'mono hash' }, view.body_sha256 ?? '—'),
    ),
    replayButton(view, ctx),
    el('h3', {}, 'Timeline'),
    timeline({ ...view, attempts }, now),
    ...bodyViews(view.body),
  );
}
