// The debugger page. Every decision (verdict, expected signatures, diagnosis, validation,
// request parsing, samples) comes from the package's wasm core; this file reads the inputs
// and renders. It makes no network request: the wasm is the page's own asset.
import { diagnose, parseRawRequest } from './pkg/debugger.js';
import {
  init,
  parseEvent,
  sampleEvent,
  eventTypes,
  sign,
} from './pkg/web.js';

const $ = (id) => document.getElementById(id);
const encoder = new TextEncoder();
// ignoreBOM keeps a byte order mark in the text, so that it can be shown.
const decoder = new TextDecoder('utf-8', { ignoreBOM: true });
const strictDecoder = new TextDecoder('utf-8', { ignoreBOM: true, fatal: true });

const LEGACY_HEADER = 'X-BitVault-Signature';
const VISIBLE_LIMIT = 20000;

const TITLES = {
  RESERIALIZED: 'Body re-serialized',
  PRETTY_PRINTED: 'Body pretty-printed',
  TRAILING_NEWLINE_ADDED: 'Trailing newline added',
  TRAILING_NEWLINE_REMOVED: 'Trailing newline removed',
  LF_CHANGED_TO_CRLF: 'Line breaks changed from LF to CR LF',
  CRLF_CHANGED_TO_LF: 'Line breaks changed from CR LF to LF',
  BYTE_ORDER_MARK: 'Byte order mark added',
  SECRET_WHITESPACE: 'Whitespace around the secret',
  UPPERCASE_HEX: 'Upper-case hex',
  SCHEME_PREFIX: 'Scheme prefix',
  BASE64: 'Base64 instead of hex',
  TRUNCATED: 'Signature cut off',
  LEGACY_HEADER: 'Legacy header name',
  WRONG_SECRET: 'Wrong secret',
};

const state = {
  // The body's exact bytes when a text field cannot hold them (CR from a paste, a file or a
  // raw request); null when the payload field's text is the body.
  exactBody: null,
  exactRaw: null,
  // Whether the signature was taken from the legacy header of a pasted request.
  legacyHeader: false,
  known: new Map(),
};

// ---- Helpers --------------------------------------------------------------------------

function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (key === 'class') node.className = value;
    else if (key === 'dataset') Object.assign(node.dataset, value);
    else node.setAttribute(key, value);
  }
  node.append(...children.filter((child) => child !== null && child !== undefined));
  return node;
}

function plural(count, word) {
  return `${count} ${word}${count === 1 ? '' : 's'}`;
}

function secrets() {
  return [...document.querySelectorAll('[data-testid="secret"]')].map((input) => input.value).filter((s) => s !== '');
}

function bodyBytes() {
  return state.exactBody ?? encoder.encode($('payload').value);
}

/** Puts bytes in the payload field, keeping them exactly when the field would change them. */
function setBody(bytes, origin) {
  const text = decoder.decode(bytes);
  $('payload').value = text;
  const same = encoder.encode($('payload').value);
  const exact = same.length === bytes.length && same.every((b, i) => b === bytes[i]);
  state.exactBody = exact ? null : bytes;
  const notice = $('payload-exact');
  notice.hidden = exact;
  notice.textContent = exact
    ? ''
    : `The exact bytes from ${origin} are used (the text field cannot show a CR or invalid UTF-8). ` +
      'Typing in the field replaces them with what the field shows.';
}

/** Where position `index` of a text field's (LF-only) text falls in the exact text. */
function exactIndex(exact, index) {
  let field = 0;
  let i = 0;
  while (field < index && i < exact.length) {
    i += exact[i] === '\r' && exact[i + 1] === '\n' ? 2 : 1;
    field += 1;
  }
  return i;
}

/**
 * The text after a paste that holds CR characters (which a text field would turn into
 * LF), or null for a paste the field keeps exactly. `exact` is the current exact text.
 */
function pastedText(field, event, exact) {
  const text = event.clipboardData?.getData('text/plain');
  if (!text || !text.includes('\r')) return null;
  const base = exact ?? field.value;
  const start = exactIndex(base, field.selectionStart);
  const end = exactIndex(base, field.selectionEnd);
  const caret = field.selectionStart + text.replace(/\r\n?/g, '\n').length;
  return { text: base.slice(0, start) + text + base.slice(end), caret };
}

// ---- Inputs ---------------------------------------------------------------------------

function onPayloadPaste(event) {
  const current = state.exactBody === null ? null : decoder.decode(state.exactBody);
  const pasted = pastedText($('payload'), event, current);
  if (pasted === null) return;
  event.preventDefault();
  setBody(encoder.encode(pasted.text), 'the paste');
  $('payload').setSelectionRange(pasted.caret, pasted.caret);
  update();
}

function onRawPaste(event) {
  const pasted = pastedText($('raw-request'), event, state.exactRaw);
  if (pasted === null) return;
  event.preventDefault();
  $('raw-request').value = pasted.text;
  state.exactRaw = pasted.text;
  $('raw-request').setSelectionRange(pasted.caret, pasted.caret);
  readRawRequest();
}

function readRawRequest() {
  const status = $('raw-status');
  const raw = state.exactRaw ?? $('raw-request').value;
  if (raw.trim() === '') {
    status.textContent = '';
    return;
  }
  let request;
  try {
    request = parseRawRequest(raw);
  } catch (error) {
    status.textContent = `Not read: ${error.message}.`;
    status.classList.add('notice');
    return;
  }
  status.classList.remove('notice');
  setBody(request.body, 'the raw request');
  $('signature').value = request.signature ?? '';
  state.legacyHeader = request.signatureHeader === LEGACY_HEADER;
  const parts = [`Read ${request.method} ${request.target}: body ${plural(request.body.length, 'byte')}`];
  if (request.contentLength !== undefined && request.contentLength !== request.body.length) {
    parts.push(`but Content-Length says ${request.contentLength}: the paste may have added or lost bytes`);
  }
  parts.push(
    request.signatureHeader === undefined
      ? 'no X-DigiVault-Signature header'
      : `signature from ${request.signatureHeader}${state.legacyHeader ? ' (the legacy name)' : ''}`,
  );
  if (!request.crlf) parts.push('LF line breaks: if the request had CR LF, the body may have lost them too');
  status.textContent = parts.join('; ') + '.';
  $('signature-source').textContent = request.signatureHeader === undefined
    ? 'The pasted request has no signature header.'
    : `Taken from the ${request.signatureHeader} header of the pasted request.`;
  update();
}

async function loadFile() {
  const file = $('payload-file').files?.[0];
  if (!file) return;
  setBody(new Uint8Array(await file.arrayBuffer()), `the file ${file.name}`);
  update();
}

function addSecret() {
  const rows = $('secrets');
  const number = rows.children.length + 1;
  const id = `secret-${number}`;
  const input = el('input', {
    id,
    'data-testid': 'secret',
    type: 'text',
    autocomplete: 'off',
    spellcheck: 'false',
    autocapitalize: 'off',
  });
  input.addEventListener('input', update);
  rows.append(el('div', { class: 'secret-row' }, el('label', { for: id }, `Secret #${number}`), input));
  rows.querySelector('label').textContent = 'Secret #1';
  input.focus();
}

// ---- The body, its invisible characters shown ----------------------------------------

// Invisible characters, shown as small labels (fonts seldom have the control pictures).
const NAMED = {
  '\r': ['CR', 'carriage return'],
  '\t': ['TAB', 'tab'],
  '\u00a0': ['NBSP', 'non-breaking space'],
  '\ufeff': ['BOM', 'byte order mark (U+FEFF)'],
  '\u200b': ['ZWSP', 'zero-width space'],
  '\u2028': ['LS', 'line separator'],
  '\u2029': ['PS', 'paragraph separator'],
  '\ufffd': ['�', 'invalid UTF-8'],
};

function marker(symbol, title, bad = false) {
  return el('span', { class: bad ? 'ws bad' : 'ws', title }, symbol);
}

function renderBytes(bytes) {
  const view = $('payload-visible');
  const text = decoder.decode(bytes);
  const shown = text.length > VISIBLE_LIMIT ? text.slice(0, VISIBLE_LIMIT) : text;
  const out = document.createDocumentFragment();
  let run = '';
  const flush = () => {
    if (run !== '') out.append(run);
    run = '';
  };
  for (let i = 0; i < shown.length; i += 1) {
    const ch = shown[i];
    if (ch === '\n') {
      flush();
      out.append(marker('LF', 'line feed'), '\n');
    } else if (ch === ' ') {
      // Spaces at the end of a line are shown: they are easy to miss and they count.
      let end = i;
      while (shown[end] === ' ') end += 1;
      if (end === shown.length || shown[end] === '\r' || shown[end] === '\n') {
        flush();
        out.append(marker('·'.repeat(end - i), 'trailing spaces'));
      } else {
        run += shown.slice(i, end);
      }
      i = end - 1;
    } else if (NAMED[ch]) {
      flush();
      const [symbol, title] = NAMED[ch];
      out.append(marker(symbol, title, ch === '\ufeff' || ch === '\ufffd'));
    } else if (ch < ' ' || ch === '\u007f') {
      flush();
      const code = ch.charCodeAt(0);
      out.append(marker(`0x${code.toString(16).padStart(2, '0')}`, 'control character', true));
    } else {
      run += ch;
    }
  }
  flush();
  if (shown.length < text.length) out.append(el('span', { class: 'end' }, ` … ${text.length - shown.length} more characters`));
  else if (bytes.length > 0) out.append(el('span', { class: 'end' }, 'end of body'));
  view.replaceChildren(out);
  $('payload-summary').textContent = bytes.length === 0 ? 'The body is empty.' : summary(bytes, text);
}

function summary(bytes, text) {
  const crlf = (text.match(/\r\n/g) ?? []).length;
  const lf = (text.match(/\n/g) ?? []).length - crlf;
  const cr = (text.match(/\r/g) ?? []).length - crlf;
  const parts = [plural(bytes.length, 'byte')];
  if (lf + crlf + cr === 0) parts.push('one line');
  else {
    const breaks = [];
    if (lf) breaks.push(`LF ×${lf}`);
    if (crlf) breaks.push(`CR LF ×${crlf}`);
    if (cr) breaks.push(`lone CR ×${cr}`);
    parts.push(`line breaks: ${breaks.join(', ')}`);
  }
  parts.push(text.endsWith('\n') ? 'ends with a line break' : 'no final line break');
  if (text.startsWith('\ufeff')) parts.push('starts with a byte order mark');
  const tabs = (text.match(/\t/g) ?? []).length;
  if (tabs) parts.push(plural(tabs, 'tab'));
  const nbsp = (text.match(/\u00a0/g) ?? []).length;
  if (nbsp) parts.push(plural(nbsp, 'non-breaking space'));
  try {
    strictDecoder.decode(bytes);
  } catch {
    parts.push('not valid UTF-8');
  }
  return parts.join(' · ');
}

// ---- Verdict, expected signatures, diagnosis -----------------------------------------

/** The expected hex with the characters that differ from the received one marked. */
function diffed(text, other) {
  const node = el('code');
  const compare = other.toLowerCase();
  let run = '';
  let marking = false;
  const flush = () => {
    if (run !== '') node.append(marking ? el('mark', {}, run) : run);
    run = '';
  };
  for (let i = 0; i < text.length; i += 1) {
    const differs = text[i].toLowerCase() !== compare[i];
    if (differs !== marking) flush();
    marking = differs;
    run += text[i];
  }
  flush();
  return node;
}

function renderVerdict(result, signature, secretList, empty) {
  const verdict = $('verdict');
  if (empty) {
    verdict.className = 'verdict waiting';
    verdict.textContent = 'Enter a body, a secret and the received signature: the verdict follows as you type.';
  } else {
    verdict.className = `verdict ${result.verdict}`;
    const detail =
      result.verdict === 'valid'
        ? `verifies with secret #${result.matchedSecret + 1}${secretList.length > 1 ? ` of ${secretList.length}` : ''}`
        : result.message;
    verdict.replaceChildren(
      el('span', { class: 'word' }, result.verdict),
      result.code ? el('code', {}, result.code) : null,
      result.code ? ' ' : null,
      detail,
    );
  }

  const received = signature.trim();
  const list = el('dl');
  list.append(
    el('dt', {}, 'Received'),
    el('dd', {}, received === '' ? el('code', {}, '(none)') : diffed(received, result.expected[result.matchedSecret ?? 0] ?? received)),
  );
  result.expected.forEach((expected, index) => {
    const matched = result.matchedSecret === index;
    const code = diffed(expected, received);
    code.dataset.testid = 'expected-signature';
    code.title = 'HMAC-SHA256 of the body with this secret, lowercase hex';
    list.append(
      el('dt', {}, `Expected with secret #${index + 1}`, matched ? el('span', { class: 'matched' }, ' (matches)') : null),
      el('dd', {}, code),
    );
  });
  if (result.expected.length === 0) list.append(el('dt', {}, 'Expected'), el('dd', {}, 'Enter a secret to see it.'));
  $('signatures').replaceChildren(list);

  const findings = $('diagnosis');
  const items = result.findings.map((finding) =>
    el(
      'li',
      { class: finding.note ? 'note' : 'mistake', dataset: { code: finding.code } },
      el('strong', {}, `${finding.note ? 'Note: ' : ''}${TITLES[finding.code] ?? finding.code}` +
        (finding.secret !== undefined && secretList.length > 1 ? ` (secret #${finding.secret + 1})` : '')),
      finding.message,
    ),
  );
  if (items.length === 0) {
    let text = 'Nothing to report.';
    if (result.verdict === 'valid') text = 'Nothing to fix: this body, secret and signature agree.';
    else if (result.code === 'MISSING_SIGNATURE') text = 'Enter the received signature to diagnose it.';
    else if (result.code === 'NO_SECRET') text = 'Enter the secret from the DigiVault dashboard.';
    items.push(el('li', { class: 'none' }, text));
  }
  findings.replaceChildren(...items);
}

// ---- Event ----------------------------------------------------------------------------

function leaf(value, key) {
  if (value === null) return el('span', { class: 'null' }, 'null');
  if (typeof value === 'string') return el('span', { class: 'string' }, JSON.stringify(value));
  const node = el('span', { class: typeof value }, String(value));
  if (typeof value === 'number' && /_at$/.test(key) && Number.isInteger(value)) {
    const date = new Date(value * 1000);
    if (!Number.isNaN(date.getTime())) {
      return el('span', {}, node, el('span', { class: 'when' }, ` ${date.toISOString().replace('.000', '')}`));
    }
  }
  return node;
}

function tree(value, path, errorPath) {
  const list = el('ul', { class: 'tree' });
  const entries = Array.isArray(value) ? value.map((v, i) => [String(i), v]) : Object.entries(value);
  for (const [key, child] of entries) {
    const childPath = Array.isArray(value) ? `${path}[${key}]` : path === '' ? key : `${path}.${key}`;
    const item = el('li', { class: childPath === errorPath ? 'error-node' : '' }, el('span', { class: 'key' }, key), ': ');
    if (child !== null && typeof child === 'object') {
      item.append(Array.isArray(child) ? `[${child.length}]` : '{…}', tree(child, childPath, errorPath));
    } else {
      item.append(leaf(child, key));
    }
    list.append(item);
  }
  return list;
}

function renderEvent(bytes) {
  const type = $('event-type');
  const errors = $('event-errors');
  const box = $('event-tree');
  errors.replaceChildren();
  box.replaceChildren();
  if (bytes.length === 0) {
    type.textContent = 'Paste a body to see its event.';
    return;
  }
  let value;
  let error = null;
  try {
    value = parseEvent(bytes);
  } catch (failure) {
    error = failure;
    try {
      value = JSON.parse(decoder.decode(bytes).replace(/^\ufeff/, ''));
    } catch {
      value = undefined;
    }
  }
  const name = value !== null && typeof value === 'object' ? value.type : undefined;
  if (typeof name === 'string' && state.known.has(name)) {
    type.replaceChildren(el('code', {}, name), ` — ${state.known.get(name)}`);
  } else if (typeof name === 'string' && name !== '') {
    type.replaceChildren(
      'Unknown event type ',
      el('code', {}, name),
      ': not one of the sixteen in the guide. The package passes it through as an unknown event ' +
        '(isKnownEvent(event) is false) instead of rejecting it.',
    );
  } else {
    type.textContent = 'No event type.';
  }
  if (error !== null) {
    errors.append(
      el('li', {}, el('code', {}, error.code), error.path ? ' at ' : '', error.path ? el('code', {}, error.path) : null, `: ${error.message}`),
    );
  }
  if (value !== null && typeof value === 'object') box.append(tree(value, '', error?.path));
}

// ---- Generator ------------------------------------------------------------------------

function freshId() {
  const bytes = crypto.getRandomValues(new Uint8Array(10));
  return 'webhook_' + [...bytes].map((b) => b.toString(16).padStart(2, '0')).join('');
}

const shellQuote = (text) => `'${text.replaceAll("'", `'\\''`)}'`;

function generate() {
  const status = $('generate-status');
  const secret = secrets()[0];
  if (secret === undefined) {
    status.textContent = 'Enter a secret above first: the delivery is signed with it.';
    $('secret-1').focus();
    return;
  }
  const type = $('generate-type').value;
  const url = $('generate-url').value.trim() || 'http://127.0.0.1:8787/webhooks';
  const body = sampleEvent(type, { id: freshId(), createdAt: Math.floor(Date.now() / 1000) });
  const signature = sign(secret, body);
  $('curl').textContent = [
    `curl -sS -X POST ${shellQuote(url)}`,
    `  -H 'Content-Type: application/json'`,
    `  -H ${shellQuote(`X-DigiVault-Signature: ${signature}`)}`,
    `  --data-binary ${shellQuote(body)}`,
  ].join(' \\\n');
  $('node-snippet').textContent = [
    '// npm install digivault-webhooks; run with WEBHOOK_SECRET set to the secret above (Node 18+).',
    "import { sign } from 'digivault-webhooks';",
    '',
    `const body = ${JSON.stringify(body)};`,
    `const response = await fetch(${JSON.stringify(url)}, {`,
    "  method: 'POST',",
    '  headers: {',
    "    'Content-Type': 'application/json',",
    "    'X-DigiVault-Signature': sign(process.env.WEBHOOK_SECRET, body),",
    '  },',
    '  body,',
    '});',
    'console.log(response.status, await response.text());',
  ].join('\n');
  $('generated').hidden = false;
  $('generated').dataset.body = body;
  $('generated').dataset.signature = signature;
  status.textContent = `Generated ${type}, signed with secret #1.`;
}

function checkGenerated() {
  const { body, signature } = $('generated').dataset;
  setBody(encoder.encode(body), 'the generator');
  $('signature').value = signature;
  state.legacyHeader = false;
  $('signature-source').textContent = 'From the generator.';
  update();
  $('payload').focus();
}

async function copy(event) {
  const target = $(event.currentTarget.dataset.copy);
  try {
    await navigator.clipboard.writeText(target.textContent);
    event.currentTarget.textContent = 'Copied';
  } catch {
    getSelection().selectAllChildren(target);
  }
}

// ---- Wiring ---------------------------------------------------------------------------

function update() {
  const bytes = bodyBytes();
  const secretList = secrets();
  const signature = $('signature').value;
  renderBytes(bytes);
  const result = diagnose(secretList, bytes, signature, { legacyHeader: state.legacyHeader });
  renderVerdict(result, signature, secretList, bytes.length === 0 && secretList.length === 0 && signature === '');
  renderEvent(bytes);
}

async function main() {
  const status = $('load-status');
  try {
    await init();
  } catch (error) {
    status.textContent = `The WebAssembly core did not load (${error.message}). This page needs a browser with WebAssembly SIMD.`;
    status.classList.add('bad');
    return;
  }
  status.textContent = '';
  status.hidden = true;

  const select = $('generate-type');
  for (const { type, description } of eventTypes()) {
    state.known.set(type, description);
    select.append(el('option', { value: type }, `${type} — ${description}`));
  }

  $('payload').addEventListener('input', () => {
    state.exactBody = null;
    $('payload-exact').hidden = true;
    update();
  });
  $('payload').addEventListener('paste', onPayloadPaste);
  $('payload-file').addEventListener('change', loadFile);
  $('raw-request').addEventListener('input', () => {
    state.exactRaw = null;
    readRawRequest();
  });
  $('raw-request').addEventListener('paste', onRawPaste);
  $('secret-1').addEventListener('input', update);
  $('add-secret').addEventListener('click', addSecret);
  $('signature').addEventListener('input', () => {
    state.legacyHeader = false;
    $('signature-source').textContent = '';
    update();
  });
  $('generate').addEventListener('click', generate);
  $('check-generated').addEventListener('click', checkGenerated);
  for (const button of document.querySelectorAll('button.copy')) button.addEventListener('click', copy);
  update();
  document.body.dataset.ready = 'true';
}

main();
