// The packed tarball, installed into a fresh project, used by name from every runtime the
// package claims: Node 20, 22 and 24, Deno and Bun; plus the browser entry's init().
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, cpSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { packageDir } from './fixtures.mjs';

const root = new URL('../../', import.meta.url).pathname;
const bin = (path) => join(root, 'node_modules', path);
let project;

before(() => {
  project = mkdtempSync(join(tmpdir(), 'dvw-installed-'));
  const packed = JSON.parse(execFileSync('npm', ['pack', packageDir, '--json', '--pack-destination', project], { encoding: 'utf8' }));
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
  execFileSync('npm', ['install', '--offline', '--no-audit', '--no-fund', join(project, packed[0].filename)], { cwd: project, stdio: 'pipe' });
  cpSync(join(root, 'tests', 'js', 'check-installed.mjs'), join(project, 'check.mjs'));
});

after(() => rmSync(project, { recursive: true, force: true }));

const runtimes = {
  'node 20 (this machine)': [process.execPath, 'check.mjs'],
  'node 22': [bin('node22/bin/node'), 'check.mjs'],
  'node 24': [bin('node24/bin/node'), 'check.mjs'],
  deno: [bin('.bin/deno'), 'run', '--allow-read', 'check.mjs'], // reads the fixture files; the package needs nothing
  bun: [bin('.bin/bun'), 'check.mjs'],
};

for (const [name, [command, ...args]] of Object.entries(runtimes)) {
  test(`installed package passes every vector and fixture in ${name}`, () => {
    const output = execFileSync(command, [...args, join(root, 'tests', 'vectors.json'), join(root, 'tests', 'events.json')], {
      cwd: project,
      encoding: 'utf8',
      env: { ...process.env, DENO_NO_UPDATE_CHECK: '1', NO_COLOR: '1' },
    });
    const result = JSON.parse(output.trim().split('\n').at(-1));
    assert.deepEqual(result.failures, []);
    assert.ok(result.checked > 100, `only ${result.checked} checks ran`);
    assert.equal(result.sameInstance, true, 'import and require give one instance');
    assert.equal(result.fetchEvent, 'group.member_added');
  });
}

test('the tarball ships what package.json points at and nothing from the sources', () => {
  const installed = join(project, 'node_modules', 'digivault-webhooks');
  const manifest = JSON.parse(readFileSync(join(installed, 'package.json'), 'utf8'));
  // Every condition that leads to code names its types first, .d.cts for `require`.
  const targets = (value, conditions = []) =>
    typeof value === 'string' ? [[conditions, value]] : Object.entries(value).flatMap(([k, v]) => targets(v, [...conditions, k]));
  for (const [conditions, file] of targets(manifest.exports)) {
    readFileSync(join(installed, file));
    if (conditions.at(-1) === 'types') assert.match(file, conditions.includes('require') ? /\.d\.cts$/ : /\.d\.ts$/, conditions.join('.'));
  }
  const groups = (value) => (typeof value === 'string' ? [] : [value, ...Object.values(value).flatMap(groups)]);
  for (const group of groups(manifest.exports)) {
    if ('default' in group && typeof group.default === 'string' && !group.default.endsWith('.json')) {
      assert.equal(Object.keys(group)[0], 'types', `types first in ${JSON.stringify(group)}`);
    }
  }
  assert.deepEqual(manifest.sideEffects, ['./workerd.js', './node.cjs', './node.mjs'], 'only the entry points that instantiate wasm');
});

test('the browser entry needs init(), then works synchronously', async () => {
  const dir = join(project, 'node_modules', 'digivault-webhooks');
  const web = await import(join(dir, 'web.js'));
  assert.throws(() => web.sign('k', 'x'), (error) => error.code === 'NOT_INITIALIZED' && /await init\(\)/.test(error.message));
  await web.init(readFileSync(join(dir, 'wasm', 'digivault_webhooks_bg.wasm')));
  assert.equal(web.verify('k', 'x', web.sign('k', 'x')), true);
  assert.equal(web.parseEvent(web.sampleEvent('contact.created')).type, 'contact.created');
});
