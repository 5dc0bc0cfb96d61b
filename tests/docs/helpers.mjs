// Shared by the docs tests: the guides' code blocks, and a command runner.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { codeBlocks, guides, read, root } from './markdown.mjs';

export const packageDir = process.env.PKG_DIR ?? join(root, 'pkg');
export const docs = guides();
/** Every fenced block of every guide: { doc, lang, code, line }. */
export const blocks = docs.flatMap((doc) => codeBlocks(read(doc)).map((block) => ({ doc, ...block })));
/** `guide:line` of a block, or of a line inside it. */
export const where = (block, line = 0) => `${block.doc}:${block.line + line}`;
/** The blocks in one of these languages. */
export const byLang = (...langs) => blocks.filter((block) => langs.includes(block.lang));

/** Runs a command; resolves with { code, stdout, stderr }, never rejects on a non-zero exit. */
export function run(command, args, options = {}) {
  return new Promise((resolve) => {
    execFile(command, args, { encoding: 'utf8', timeout: 60_000, maxBuffer: 16 << 20, ...options }, (error, stdout, stderr) => {
      resolve({ code: error ? (error.code ?? error.signal) : 0, stdout, stderr });
    });
  });
}

