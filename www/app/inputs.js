// The checker's inputs: the body (typed, pasted with its CR kept, loaded from a file or
// taken from a pasted raw request), the secrets and the received signature.
import { parseRawRequest } from '../pkg/debugger.js';
import { $, decoder, el, encoder, plural } from './dom.js';
import { state } from './state.js';

export function secrets() {
  return [...document.querySelectorAll('[data-testid="secret"]')].map((input) => input.value).filter((s) => s !== '');
}

export function bodyBytes() {
  return state.exactBody ?? encoder.encode($('payload').value);
}

/** Puts bytes in the payload field, keeping them exactly when the field would change them. */
export function setBody(bytes, origin) {
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

function onPayloadPaste(event, update) {
  const current = state.exactBody === null ? null : decoder.decode(state.exactBody);
  const pasted = pastedText($('payload'), event, current);
  if (pasted === null) return;
  event.preventDefault();
  setBody(encoder.encode(pasted.text), 'the paste');
  $('payload').setSelectionRange(pasted.caret, pasted.caret);
  update();
}

function onRawPaste(event, update) {
  const pasted = pastedText($('raw-request'), event, state.exactRaw);
  if (pasted === null) return;
  event.preventDefault();
  $('raw-request').value = pasted.text;
  state.exactRaw = pasted.text;
  $('raw-request').setSelectionRange(pasted.caret, pasted.caret);
  readRawRequest(update);
}

function readRawRequest(update) {
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
  state.legacyHeader = request.legacyHeader;
  const parts = [`Read ${request.method} ${request.target}: body ${plural(request.body.length, 'byte')}`];
  if (request.contentLength !== undefined && request.contentLength !== request.body.length) {
    parts.push(`but Content-Length says ${request.contentLength}: the paste may have added or lost bytes`);
  }
  parts.push(
    request.signatureHeader === undefined
      ? `no ${state.headers[0]} header`
      : `signature from ${request.signatureHeader}${request.legacyHeader ? ' (the legacy name)' : ''}`,
  );
  if (!request.crlf) parts.push('LF line breaks: if the request had CR LF, the body may have lost them too');
  status.textContent = parts.join('; ') + '.';
  $('signature-source').textContent = request.signatureHeader === undefined
    ? 'The pasted request has no signature header.'
    : `Taken from the ${request.signatureHeader} header of the pasted request.`;
  update();
}

async function loadFile(update) {
  const file = $('payload-file').files?.[0];
  if (!file) return;
  setBody(new Uint8Array(await file.arrayBuffer()), `the file ${file.name}`);
  update();
}

function addSecret(update) {
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

/** Listens to every input; `update` re-renders the page from them. */
export function bindInputs(update) {
  $('payload').addEventListener('input', () => {
    state.exactBody = null;
    $('payload-exact').hidden = true;
    update();
  });
  $('payload').addEventListener('paste', (event) => onPayloadPaste(event, update));
  $('payload-file').addEventListener('change', () => loadFile(update));
  $('raw-request').addEventListener('input', () => {
    state.exactRaw = null;
    readRawRequest(update);
  });
  $('raw-request').addEventListener('paste', (event) => onRawPaste(event, update));
  $('secret-1').addEventListener('input', update);
  $('add-secret').addEventListener('click', () => addSecret(update));
  $('signature').addEventListener('input', () => {
    state.legacyHeader = false;
    $('signature-source').textContent = '';
    update();
  });
}
