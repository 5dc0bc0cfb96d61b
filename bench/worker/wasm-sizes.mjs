#!/usr/bin/env node
// Where the bytes of a Worker .wasm go: code bytes per crate/module path, from the function
// bodies (code section) and their names (name section). Give it cargo's output, which still
// has names (build/index_bg.wasm is stripped):
//   node bench/worker/wasm-sizes.mjs target/wasm32-unknown-unknown/worker/digivault_webhooks.wasm [depth]
// depth (default 2): how many `::` segments of a demangled path to group by. The gzip share of
// a group is estimated by gzip -9 of its bodies concatenated (deflate finds less to share
// across groups, so the sum exceeds the whole file's gzip; the ranking is what counts).
import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';

const [file, depthArg = '2'] = process.argv.slice(2);
if (!file) {
  console.error('usage: node bench/worker/wasm-sizes.mjs FILE.wasm [depth]');
  process.exit(2);
}
const depth = Number(depthArg);
const bytes = readFileSync(file);

function leb(buf, pos) {
  let result = 0;
  let shift = 0;
  for (;;) {
    const byte = buf[pos++];
    result += (byte & 0x7f) * 2 ** shift;
    shift += 7;
    if (byte < 0x80) return [result, pos];
  }
}

// Sections, the imported function count, the bodies and the function names.
let pos = 8;
let importedFunctions = 0;
const bodies = [];
const names = new Map();
const sectionSizes = new Map();
while (pos < bytes.length) {
  const id = bytes[pos++];
  let size;
  [size, pos] = leb(bytes, pos);
  const end = pos + size;
  let label = `section ${id}`;
  if (id === 2) {
    let count;
    let p;
    [count, p] = leb(bytes, pos);
    for (let i = 0; i < count; i++) {
      for (let s = 0; s < 2; s++) {
        let len;
        [len, p] = leb(bytes, p);
        p += len;
      }
      const kind = bytes[p++];
      if (kind === 0) {
        [, p] = leb(bytes, p);
        importedFunctions++;
      } else if (kind === 1) {
        p += 1;
        const flags = bytes[p++];
        [, p] = leb(bytes, p);
        if (flags & 1) [, p] = leb(bytes, p);
      } else if (kind === 2) {
        const flags = bytes[p++];
        [, p] = leb(bytes, p);
        if (flags & 1) [, p] = leb(bytes, p);
      } else if (kind === 3) {
        p += 2;
      } else if (kind === 4) {
        p += 1;
        [, p] = leb(bytes, p);
      }
    }
    label = 'import';
  } else if (id === 10) {
    let count;
    let p;
    [count, p] = leb(bytes, pos);
    for (let i = 0; i < count; i++) {
      let len;
      [len, p] = leb(bytes, p);
      bodies.push(bytes.subarray(p, p + len));
      p += len;
    }
    label = 'code';
  } else if (id === 11) {
    label = 'data';
  } else if (id === 0) {
    let len;
    let p;
    [len, p] = leb(bytes, pos);
    const name = bytes.subarray(p, p + len).toString();
    label = `custom ${name}`;
    p += len;
    if (name === 'name') {
      while (p < end) {
        const sub = bytes[p++];
        let subSize;
        [subSize, p] = leb(bytes, p);
        const subEnd = p + subSize;
        if (sub === 1) {
          let count;
          [count, p] = leb(bytes, p);
          for (let i = 0; i < count; i++) {
            let index;
            let nameLen;
            [index, p] = leb(bytes, p);
            [nameLen, p] = leb(bytes, p);
            names.set(index, bytes.subarray(p, p + nameLen).toString());
            p += nameLen;
          }
        }
        p = subEnd;
      }
    }
  }
  sectionSizes.set(label, (sectionSizes.get(label) ?? 0) + size);
  pos = end;
}

/** A demangled-ish path: legacy `_ZN..E` mangling, or the name as rustc's wasm output gives it. */
function path(name) {
  if (!name) return ['(unnamed)'];
  let text = name;
  if (text.startsWith('_ZN')) {
    const parts = [];
    let p = 3;
    while (p < text.length && text[p] !== 'E') {
      const m = /^\d+/.exec(text.slice(p));
      if (!m) break;
      p += m[0].length;
      parts.push(text.slice(p, p + Number(m[0])));
      p += Number(m[0]);
    }
    text = parts.filter((part) => !/^h[0-9a-f]{16}$/.test(part)).join('::');
  }
  // rustc's legacy escapes ($LT$, $u20$, ..), then `<T as Trait>::f`: the type's path first.
  text = text
    .replace(/\$LT\$/g, '<').replace(/\$GT\$/g, '>').replace(/\$u20\$/g, ' ').replace(/\$RF\$/g, '&')
    .replace(/\$C\$/g, ',').replace(/\$u7b\$/g, '{').replace(/\$u7d\$/g, '}').replace(/\.\./g, '::').replace(/^_/, '');
  text = text.replace(/^<+/, '').replace(/^&(mut )?/, '').replace(/ as [^>]*>/g, '').replace(/<[^<>]*>/g, '');
  return text.split('::').map((part) => part.replace(/[<>{}&* ]/g, '')).filter(Boolean);
}

const groups = new Map();
bodies.forEach((body, i) => {
  const key = path(names.get(importedFunctions + i)).slice(0, depth).join('::') || '(unnamed)';
  const group = groups.get(key) ?? { size: 0, parts: [] };
  group.size += body.length;
  group.parts.push(body);
  groups.set(key, group);
});

const total = bytes.length;
console.log(`${file}: ${total} bytes, ${gzipSync(bytes, { level: 9 }).length} gzip; ${bodies.length} functions`);
console.log('sections:', [...sectionSizes].map(([k, v]) => `${k} ${v}`).join(', '));
console.log(`\n${'code bytes'.padStart(10)} ${'gzip est.'.padStart(9)}  group (depth ${depth})`);
for (const [key, group] of [...groups].sort((a, b) => b[1].size - a[1].size).slice(0, 40)) {
  const gz = gzipSync(Buffer.concat(group.parts), { level: 9 }).length;
  console.log(`${String(group.size).padStart(10)} ${String(gz).padStart(9)}  ${key}`);
}
