// Refused deliveries: what the Worker kept of each request it refused at verification or
// validation, newest first, and one of them opened in the debugger's own verdict view with
// the diagnosis the Worker computed with its secrets (which never reach this page), the
// request's headers and its body with the whitespace shown.
import { renderBytes } from '../body-view.js';
import { el, plural } from '../dom.js';
import { renderVerdict } from '../verdict.js';
import { ApiError, api } from './api.js';
import { relative, when } from './format.js';
import { empty, failure, loading, show } from './states.js';

/** Refused deliveries per page. */
export const PAGE_SIZE = 25;
const FEATURE = 'record of refused deliveries';

// The signature headers, canonical first (as src/headers.rs names them).
const SIGNATURE_HEADERS = ['x-digivault-signature', 'x-bitvault-signature'];

/** The HTTP status the Worker answered with each refusal code. */
function statusOf(record) {
  if (typeof record.status === 'number') return record.status;
  if (/SIGNATURE/.test(record.code)) return 401;
  if (/TOO_LARGE/.test(record.code)) return 413;
  return 400;
}

/** The verdict word: the signature's own (malformed, invalid) or, once it verified, `refused`. */
function verdictOf(code) {
  if (code === 'MALFORMED_SIGNATURE') return 'malformed';
  if (code === 'MISSING_SIGNATURE' || code === 'INVALID_SIGNATURE') return 'invalid';
  return 'refused';
}

// Code -> title, from the core's catalogue in the page's wasm (the debugger's): the list
// gives codes only. Without the wasm, the codes are shown.
let catalogue;
function titlesByCode() {
  catalogue ??= (async () => {
    const web = await import('../../pkg/web.js');
    await web.init();
    const { mistakeCatalogue } = await import('../../pkg/debugger.js');
    return new Map(mistakeCatalogue().map(({ code, title }) => [code, title]));
  })().catch(() => new Map());
  return catalogue;
}

/** The titles of a list entry's mistakes, most likely first. */
function mistakeTitles(record, titles) {
  const codes = Array.isArray(record.mistakes) ? record.mistakes : [];
  return codes.map((code) => titles.get(code) ?? code);
}

/** Why a refusal names no mistake: the signature was not the problem, or was not there. */
function noMistake(record) {
  if (record.code === 'MISSING_SIGNATURE') return 'No signature header was sent.';
  if (record.code === 'PAYLOAD_TOO_LARGE') return 'The body was over the size limit: it was not read.';
  if (statusOf(record) === 400) return 'The signature verified; the event itself was refused.';
  if (record.truncated) return 'Only the first 64 KiB were kept: a diagnosis would be a guess.';
  return 'No known mistake explains it: likely a wrong secret or a forged request.';
}

const failureHref = (id) => `#console/failure/${encodeURIComponent(id)}`;

/** The listing of refused deliveries. */
export async function refusedView(ctx) {
  const cursor = ctx.params.get('cursor') ?? '';
  const results = el('div', { class: 'results' }, loading('refused deliveries'));
  show(
    ctx.container,
    el('div', { class: 'view-head' }, el('h2', {}, 'Refused deliveries')),
    el('p', { class: 'hint' }, 'Requests to the webhook path that the Worker refused: a missing or wrong signature, a body that is not an event, too old, too large. ' +
      'Open one to see why, diagnosed by the Worker with its own secrets.'),
    results,
  );
  let page;
  try {
    page = await api('/admin/failures', { query: { limit: PAGE_SIZE, cursor } });
  } catch (error) {
    if (error instanceof ApiError && !['unauthorized', 'signed-out'].includes(error.kind)) {
      if (ctx.current()) show(results, failure(error, { feature: FEATURE, retry: ctx.rerender }));
      return;
    }
    throw error;
  }
  const titles = await titlesByCode();
  if (!ctx.current()) return;
  const records = Array.isArray(page.failures) ? page.failures : [];
  if (records.length === 0) {
    show(
    results,
      empty(cursor ? 'No older refused deliveries.' : 'No refused delivery kept.', cursor ? undefined : 'Every request to the webhook path verified, or none came (FAILURE_SAMPLES=0 keeps none).'),
    );
    return;
  }
  const now = Date.now();
  const rows = records.map((record) => {
    const named = mistakeTitles(record, titles);
    return el(
      'tr',
      { dataset: { id: record.id } },
      el('td', {}, el('a', { href: failureHref(record.id) }, when(record.received_at)), el('span', { class: 'hint block' }, relative(record.received_at, now))),
      el('td', { class: 'mono' }, record.address ?? '—'),
      el('td', {}, el('code', {}, record.code), el('span', { class: 'hint' }, ` ${statusOf(record)}`)),
      el('td', { 'data-testid': 'refused-diagnosis' }, named.length ? named.join('; ') : el('span', { class: 'hint' }, noMistake(record))),
    );
  });
  const pager = el('nav', { class: 'pager', 'aria-label': 'Pages' });
  if (cursor) pager.append(el('a', { href: '#console/refused' }, '← Newest'));
  if (page.cursor) pager.append(el('a', { href: `#console/refused?cursor=${encodeURIComponent(page.cursor)}`, 'data-testid': 'page-older' }, 'Older →'));
  show(
    results,
    el(
      'table',
      { class: 'list', 'data-testid': 'refused' },
      el('thead', {}, el('tr', {}, ...['Time', 'Address', 'Refused with', 'Diagnosis'].map((h) => el('th', { scope: 'col' }, h)))),
      el('tbody', {}, ...rows),
    ),
    pager,
  );
}

function bodyBytes(record) {
  if (typeof record.body !== 'string') return new Uint8Array();
  if (record.body_encoding === 'base64') return Uint8Array.from(atob(record.body), (c) => c.charCodeAt(0));
  return new TextEncoder().encode(record.body);
}

/** One refused delivery: the verdict view, the request, the body. */
export async function refusedDetailView(ctx) {
  const record = await api(`/admin/failures/${encodeURIComponent(ctx.id)}`).catch((error) => {
    if (error instanceof ApiError && (error.kind === 'not-found' || error.kind === 'off')) {
      show(ctx.container, el('h2', {}, 'Refused delivery'), failure(error, { feature: FEATURE }), el('p', {}, el('a', { href: '#console/refused' }, '← Refused deliveries')));
      return null;
    }
    throw error;
  });
  if (record === null || !ctx.current()) return;
  const headers = record.headers && typeof record.headers === 'object' ? Object.entries(record.headers) : [];
  const signature = headers.find(([name]) => SIGNATURE_HEADERS.includes(name.toLowerCase()))?.[1] ?? '';
  const mistakes = Array.isArray(record.diagnosis?.mistakes) ? record.diagnosis.mistakes : [];
  const status = statusOf(record);

  // The debugger's verdict view, drawn by the same code as the checker's.
  const view = {
    verdict: el('div', { class: 'verdict', 'data-testid': 'failure-verdict', role: 'status' }),
    signatures: el('div', { class: 'signatures' }),
    diagnosis: el('ul', { class: 'findings', 'data-testid': 'failure-diagnosis' }),
  };
  renderVerdict(
    {
      verdict: verdictOf(record.code),
      code: record.code,
      message: `refused with HTTP ${status}`,
      expected: [],
      findings: mistakes.map((mistake) => ({ code: mistake.code, title: mistake.title ?? mistake.code, note: false, message: mistake.explanation ?? '' })),
    },
    signature,
    [],
    false,
    {
      view,
      expectedNote: 'Not shown: a refused body may be an attacker’s, and a signature that would verify it would be a forgery handed out. The diagnosis below says what changed instead.',
      noFindings: noMistake(record),
    },
  );

  const visible = el('pre', { class: 'visible', 'data-testid': 'failure-body', tabindex: '0', 'aria-label': 'The refused body, invisible characters shown' });
  const summary = el('p', { class: 'summary', 'data-testid': 'failure-body-summary' });
  const bytes = bodyBytes(record);
  renderBytes(bytes, { visible, summary });
  const kept = record.truncated
    ? `The first ${plural(bytes.length, 'byte')} of ${plural(record.size, 'byte')} are kept.`
    : null;

  show(
    ctx.container,
    el('p', {}, el('a', { href: '#console/refused', 'data-testid': 'back' }, '← Refused deliveries')),
    el('div', { class: 'view-head' }, el('h2', {}, `Refused delivery, ${when(record.received_at)}`)),
    el(
      'dl',
      { class: 'facts' },
      el('dt', {}, 'From'), el('dd', { class: 'mono' }, record.address ?? '—'),
      el('dt', {}, 'Request'), el('dd', { class: 'mono' }, `${record.method ?? '?'} ${record.path ?? '?'}`),
      el('dt', {}, 'Answer'), el('dd', {}, `HTTP ${status} `, el('code', {}, record.code)),
      el('dt', {}, 'Body'), el('dd', {}, `${plural(record.size ?? bytes.length, 'byte')}`, record.body_sha256 ? el('span', { class: 'mono hash block' }, `SHA-256 ${record.body_sha256}`) : null),
    ),
    el('h3', {}, 'Verdict'),
    view.verdict,
    view.signatures,
    el('h3', {}, 'Diagnosis'),
    view.diagnosis,
    el('h3', {}, 'Headers'),
    headers.length === 0
      ? empty('No headers kept.')
      : el(
          'table',
          { class: 'list headers', 'data-testid': 'failure-headers' },
          el('tbody', {}, ...headers.map(([name, value]) => el('tr', {}, el('th', { scope: 'row', class: 'mono' }, name), el('td', { class: 'mono' }, String(value))))),
        ),
    el('h3', {}, 'Body, whitespace shown'),
    kept ? el('p', { class: 'hint notice' }, kept) : null,
    el('div', { class: 'bytes' }, summary, visible),
  );
}
