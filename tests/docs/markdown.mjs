// What the docs test reads from Markdown: the guides, their fenced code blocks, links and
// heading anchors (GitHub's rules), without a Markdown library: the docs are plain CommonMark.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export const root = new URL('../../', import.meta.url).pathname;

/**
 * Guides written by other branches of this round, linked before they are merged. A link to one
 * is checked (file and anchor) as soon as it exists; until then it is reported, not failed.
 */
export const ARRIVING = new Set(['docs/console.md', 'docs/console-page.md', 'docs/listen.md', 'docs/performance.md']);

/**
 * Settings of the receiver that other branches of this round add to VARS (listen: LISTEN_*;
 * console: FAILURE_*, ALERT_*), documented in receiver.md's settings table ahead of the merge. A
 * row for one is reported while VARS lacks it, and checked like any other once VARS has it.
 */
export const ARRIVING_SETTINGS = new Set([
  'LISTEN_TOKEN', 'LISTEN_RETENTION_SECONDS', 'LISTEN_MAX_BACKLOG',
  'FAILURE_SAMPLES', 'FAILURE_SAMPLES_PER_MINUTE', 'FAILURE_TTL_SECONDS',
  'ALERT_URL', 'ALERT_SECRET', 'ALERT_INTERVAL_SECONDS', 'ALERT_FAILURE_THRESHOLD', 'ALERT_BACKLOG_SECONDS',
]);

/** Every guide a user reads, relative to the repository: README, SECURITY, CHANGELOG, docs/. */
export function guides() {
  const docs = readdirSync(join(root, 'docs'))
    .filter((name) => name.endsWith('.md'))
    .map((name) => `docs/${name}`)
    .sort();
  return ['README.md', 'SECURITY.md', 'CHANGELOG.md', ...docs].filter((path) => existsSync(join(root, path)));
}

/** Reads a guide relative to the repository root. */
export const read = (path) => readFileSync(join(root, path), 'utf8');

/** Fenced code blocks at column 0: { lang, code, line } (line of the opening fence, 1-based). */
export function codeBlocks(text) {
  const blocks = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const open = /^(```+|~~~+)\s*([^\s`]*)/.exec(lines[i]);
    if (!open) continue;
    const fence = open[1];
    const start = i;
    const body = [];
    for (i++; i < lines.length && !lines[i].startsWith(fence); i++) body.push(lines[i]);
    if (i === lines.length) throw new Error(`unclosed code fence at line ${start + 1}`);
    blocks.push({ lang: open[2], code: body.join('\n') + '\n', line: start + 1 });
  }
  return blocks;
}

/** The text with its code blocks and inline code blanked (links inside them are not links). */
function prose(text) {
  return text
    .replace(/^(```+|~~~+)[^\n]*\n[\s\S]*?^\1[^\n]*$/gm, (block) => block.replace(/[^\n]/g, ' '))
    .replace(/`[^`\n]*`/g, (code) => ' '.repeat(code.length));
}

/** Markdown links and images in the prose: { target, line }. Autolinks and bare URLs are not links to check. */
export function links(text) {
  const found = [];
  const clean = prose(text);
  const pattern = /!?\[(?:[^\]\n]|\][^(])*?\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g;
  for (const match of clean.matchAll(pattern)) {
    found.push({ target: match[1], line: clean.slice(0, match.index).split('\n').length });
  }
  for (const match of clean.matchAll(/^\s*\[[^\]]+\]:\s*(\S+)/gm)) {
    found.push({ target: match[1], line: clean.slice(0, match.index).split('\n').length });
  }
  return found;
}

/** GitHub's anchor of a heading's text: lower case, punctuation dropped, spaces to hyphens. */
export function slug(heading) {
  return heading
    .replace(/<[^>]+>/g, '')
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1')
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\p{M}\- _]/gu, '')
    .replace(/ /g, '-');
}

/** Every anchor a guide defines: its headings' slugs (repeats numbered as GitHub does) and `<a id>`s. */
export function anchors(text) {
  const seen = new Map();
  const result = new Set();
  for (const match of prose(text).matchAll(/^#{1,6}[ \t]+(.+?)[ \t#]*$/gm)) {
    // The heading's own text (inline code included), read from the original, not the blanked copy.
    const line = text.slice(match.index, match.index + match[0].length);
    const base = slug(line.replace(/^#{1,6}[ \t]+/, '').replace(/[ \t#]*$/, ''));
    const count = seen.get(base) ?? 0;
    seen.set(base, count + 1);
    result.add(count === 0 ? base : `${base}-${count}`);
  }
  for (const match of text.matchAll(/<a\s+(?:id|name)="([^"]+)"/g)) result.add(match[1]);
  return result;
}

/** The rows of the first Markdown table whose header row starts with `firstColumn`: arrays of cells. */
export function table(text, firstColumn) {
  const lines = text.split('\n');
  const header = lines.findIndex((line) => line.startsWith(`| ${firstColumn} |`));
  if (header < 0) throw new Error(`no table whose first column is "${firstColumn}"`);
  const rows = [];
  for (let i = header + 2; i < lines.length && lines[i].startsWith('|'); i++) {
    rows.push(lines[i].slice(1, -1).split(/(?<!\\)\|/).map((cell) => cell.trim()));
  }
  return rows;
}
