// The body as bytes, its invisible characters shown, and a one-line summary of it.
import { $, decoder, el, plural } from './dom.js';

const strictDecoder = new TextDecoder('utf-8', { ignoreBOM: true, fatal: true });

// Characters beyond this many are counted, not shown: the view stays fast on huge bodies.
const VISIBLE_LIMIT = 20000;

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

/** The checker's body view: the body with its invisible characters shown, and its summary. */
export function checkerBytesView() {
  return { visible: $('payload-visible'), summary: $('payload-summary') };
}

/** Draws `bytes` into `target` (default: the checker's body view). */
export function renderBytes(bytes, target = checkerBytesView()) {
  const view = target.visible;
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
  target.summary.textContent = bytes.length === 0 ? 'The body is empty.' : summary(bytes, text);
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

/** What the body view shows when it could not be drawn. */
export function renderBytesFailure(error) {
  $('payload-visible').replaceChildren(el('span', { class: 'end' }, 'The body could not be shown.'));
  $('payload-summary').textContent = `The body view failed: ${error.message}`;
}
