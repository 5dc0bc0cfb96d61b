// make dev's watcher (scripts/lib/watch-tree.mjs) on a real temporary tree: every save is seen,
// however it is written. Node 20's recursive fs.watch lost a file after its first save by
// rename (sed -i, git checkout, editors' atomic saves): make dev then served a file's first
// change only.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { after, before, test } from 'node:test';

import { watchTree } from '../../scripts/lib/watch-tree.mjs';

let root;
let stop;
const seen = [];

/** Resolves once `path` (relative to the tree) was reported after `from` (an index in `seen`), else fails. */
async function reported(path, from, what) {
  const deadline = Date.now() + 5000;
  while (!seen.slice(from).includes(path)) {
    if (Date.now() > deadline) assert.fail(`${what}: ${path} not reported; reported: ${JSON.stringify(seen.slice(from))}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Saves `path` as editors with "atomic save" do: a temporary file beside it, renamed over it. */
function saveByRename(path, text) {
  const temporary = `${path}.tmp-${process.pid}`;
  writeFileSync(temporary, text);
  renameSync(temporary, path);
}

before(() => {
  root = mkdtempSync(join(tmpdir(), 'dv-watch-tree-'));
  mkdirSync(join(root, 'src', 'receiver'), { recursive: true });
  writeFileSync(join(root, 'src', 'receiver', 'reply.rs'), '// 0\n');
  writeFileSync(join(root, 'Cargo.toml'), '[package]\n');
  writeFileSync(join(root, 'other.txt'), '');
  const paths = ['src', 'Cargo.toml'].map((path) => join(root, path));
  stop = watchTree(paths, (path) => seen.push(relative(root, path)));
});

after(() => {
  stop?.();
  rmSync(root, { recursive: true, force: true });
});

test('every save of a file is seen, by rename or in place, in any order', async () => {
  const reply = join('src', 'receiver', 'reply.rs');
  for (const [n, save] of [[1, saveByRename], [2, saveByRename], [3, writeFileSync], [4, saveByRename], [5, writeFileSync]]) {
    const from = seen.length;
    save(join(root, reply), `// ${n}\n`);
    await reported(reply, from, `save ${n} (${save.name})`);
  }
});

test('a single file is watched through its directory, by name; its neighbours are not', async () => {
  for (const n of [1, 2]) {
    const from = seen.length;
    saveByRename(join(root, 'Cargo.toml'), `[package] # ${n}\n`);
    await reported('Cargo.toml', from, `Cargo.toml save ${n}`);
  }
  const from = seen.length;
  writeFileSync(join(root, 'other.txt'), 'changed');
  saveByRename(join(root, 'Cargo.toml'), '[package] # 3\n');
  await reported('Cargo.toml', from, 'Cargo.toml after other.txt');
  assert.ok(!seen.slice(from).includes('other.txt'), 'a file beside Cargo.toml that is not watched');
});

test('a directory created later is watched, and one removed and made again', async () => {
  const module = join('src', 'listen');
  let from = seen.length;
  mkdirSync(join(root, module));
  await reported(module, from, 'the new directory');
  from = seen.length;
  writeFileSync(join(root, module, 'hub.rs'), '// new\n');
  await reported(join(module, 'hub.rs'), from, 'a file in the new directory');

  rmSync(join(root, module), { recursive: true });
  mkdirSync(join(root, module));
  await new Promise((resolve) => setTimeout(resolve, 100));
  from = seen.length;
  saveByRename(join(root, module, 'hub.rs'), '// again\n');
  await reported(join(module, 'hub.rs'), from, 'a file in the directory made again');
});
