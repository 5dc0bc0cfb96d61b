// The docs are tested: a README or guide that lies is a bug. Every fenced block a user would copy
// is run or checked against the real thing (`make test-docs`, after build-pkg):
// - links between the guides resolve inside the repository, to a file and a heading;
// - TypeScript and JavaScript blocks compile with tsc (strict) against the built pkg/
//   (snippets.test.mjs);
// - Rust blocks live only in README.md, which src/lib.rs includes as its doc (cargo test runs them);
// - JSON blocks parse, and an event among them is one the package accepts;
// - wrangler.toml blocks parse and say what wrangler.toml says; [vars] are settings the receiver reads;
// - the settings table is the receiver's list of settings (VARS) and bindings, and the response
//   codes it documents exist in the source;
// - shell blocks (commands.test.mjs): the package's CLI is run as written against a local server that verifies what
//   `send` signs and answers only the admin API requests operations.md documents; `make` targets
//   exist; wrangler commands and options exist (`wrangler ... --help`); scripts run by `node` exist.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, normalize, relative } from 'node:path';
import { ARRIVING, ARRIVING_SETTINGS, anchors, links, read, root, table } from './markdown.mjs';
import { blocks, byLang, docs, packageDir, run, where } from './helpers.mjs';

const pkg = await import(join(packageDir, 'node.mjs'));

test('every code block is in a language this test checks, and says it', () => {
  const checked = new Set(['sh', 'ts', 'js', 'rust', 'json', 'toml', 'text']);
  const unchecked = blocks.filter((block) => !checked.has(block.lang)).map((block) => `${where(block)} \`\`\`${block.lang}`);
  assert.deepEqual(unchecked, [], 'a block without a language is Rust to rustdoc (README is the crate doc); name one of ' + [...checked]);
});

test('links between the guides resolve inside the repository, to a file and a heading', () => {
  const broken = [];
  const waiting = [];
  for (const doc of docs) {
    for (const { target, line } of links(read(doc))) {
      if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue; // https:, mailto: ... (no network here)
      const [path, anchor] = target.split('#');
      const file = path === '' ? doc : normalize(join(dirname(doc), decodeURIComponent(path)));
      const at = `${doc}:${line} -> ${target}`;
      if (file.startsWith('..') || relative(root, join(root, file)).startsWith('..')) broken.push(`${at}: outside the repository`);
      else if (!existsSync(join(root, file))) (ARRIVING.has(file) ? waiting : broken).push(`${at}: no such file`);
      else if (anchor !== undefined && file.endsWith('.md') && !anchors(read(file)).has(anchor)) broken.push(`${at}: no heading #${anchor} in ${file}`);
    }
  }
  if (waiting.length > 0) console.log(`links to guides arriving with other branches (checked once they exist):\n  ${waiting.join('\n  ')}`);
  assert.deepEqual(broken, []);
});

test('README.md is a front door: at most 250 lines, the two commands, a link to every guide in docs/', () => {
  const readme = read('README.md');
  assert.ok(readme.split('\n').length <= 250, `README.md is ${readme.split('\n').length} lines`);
  assert.match(readme, /\| `make test` \|/);
  assert.match(readme, /\| `make dev` \|/);
  const linked = new Set(links(readme).map(({ target }) => target.split('#')[0]));
  const unlinked = docs.filter((doc) => doc.startsWith('docs/') && !linked.has(doc));
  assert.deepEqual(unlinked, [], 'guides README does not lead to');
});

test('Rust blocks are only in README.md, which src/lib.rs includes as the crate doc (cargo test compiles and runs them)', () => {
  assert.deepEqual(byLang('rust').filter((block) => block.doc !== 'README.md').map((block) => where(block)), []);
  assert.ok(byLang('rust').length >= 1);
  assert.match(readFileSync(join(root, 'src/lib.rs'), 'utf8'), /^#!\[doc = include_str!\("\.\.\/README\.md"\)\]/m);
});

test('JSON blocks parse, and the events among them are events the package accepts', () => {
  for (const block of byLang('json')) {
    const value = JSON.parse(block.code);
    if (value && typeof value === 'object' && 'type' in value && 'data' in value) {
      assert.equal(pkg.parseEvent(block.code).id, value.id, where(block));
      assert.ok(pkg.isKnownEvent(pkg.parseEvent(block.code)), `${where(block)}: not one of the sixteen types`);
    }
  }
});

/** The receiver's settings (src/receiver/config.rs VARS): name -> is secret. */
function receiverVars() {
  const source = readFileSync(join(root, 'src/receiver/config.rs'), 'utf8');
  const list = /pub const VARS: \[\(&str, bool, &str\); \d+\] = \[([\s\S]*?)\n\];/.exec(source);
  assert.ok(list, 'VARS not found in src/receiver/config.rs');
  return new Map([...list[1].matchAll(/\(\s*"([A-Z0-9_]+)",\s*(true|false),/g)].map((m) => [m[1], m[2] === 'true']));
}

/** wrangler's own TOML reader, on a file. */
async function readToml(text) {
  const { experimental_readRawConfig } = await import('wrangler');
  const dir = mkdtempSync(join(tmpdir(), 'dvw-docs-toml-'));
  try {
    writeFileSync(join(dir, 'wrangler.toml'), text);
    return experimental_readRawConfig({ config: join(dir, 'wrangler.toml') }).rawConfig;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('settings and wrangler.toml', () => {
  const settings = new Map(table(read('docs/receiver.md'), 'setting').map(([name, kind]) => [name.replace(/`/g, ''), kind]));

  test("the settings table is the receiver's settings (VARS) and bindings, with their kind", () => {
    const vars = receiverVars();
    const arriving = [...settings.keys()].filter((name) => ARRIVING_SETTINGS.has(name) && !vars.has(name));
    if (arriving.length > 0) console.log(`settings arriving with other branches (checked once VARS has them): ${arriving.join(', ')}`);
    const documented = [...settings].filter(([name, kind]) => (kind === 'var' || kind === 'secret') && !arriving.includes(name));
    assert.deepEqual(documented.map(([name]) => name).sort(), [...vars.keys()].sort(), 'settings table (var/secret rows) vs VARS');
    for (const [name, kind] of documented) assert.equal(kind === 'secret', vars.get(name), `${name} is documented as a ${kind}`);
  });

  test("wrangler.toml's [vars] and bindings are settings in the table", async () => {
    const config = await readToml(read('wrangler.toml'));
    for (const name of Object.keys(config.vars ?? {})) assert.equal(settings.get(name), 'var', `[vars] ${name}`);
    const bindings = [
      ...(config.durable_objects?.bindings ?? []).map((b) => b.name),
      ...(config.kv_namespaces ?? []).map((b) => b.binding),
      ...(config.ratelimits ?? []).map((b) => b.name),
      ...(config.services ?? []).map((b) => b.binding),
      ...(config.assets?.binding ? [config.assets.binding] : []),
    ];
    for (const name of bindings) assert.match(settings.get(name) ?? 'undocumented', /binding/, `binding ${name}`);
  });

  test('wrangler.toml blocks parse (wrangler reads them) and say what wrangler.toml says', async () => {
    const config = await readToml(read('wrangler.toml'));
    const vars = receiverVars();
    const toml = byLang('toml');
    assert.ok(toml.length >= 1);
    for (const block of toml) {
      const fragment = await readToml(block.code);
      assert.ok(Object.keys(fragment).length > 0, `${where(block)}: empty`);
      for (const [key, value] of Object.entries(fragment)) {
        if (key === 'vars') {
          for (const name of Object.keys(value)) assert.equal(vars.get(name), false, `${where(block)}: [vars] ${name} is not a variable the receiver reads`);
        } else {
          assert.deepEqual(value, config[key], `${where(block)}: ${key} differs from wrangler.toml's`);
        }
      }
    }
  });

  test('every code in the responses table is a code the source answers with', () => {
    const source = ['src/error.rs', 'src/receiver', 'src/worker'].map((path) => run('grep', ['-rhoE', '"[A-Z][A-Z_]+"', join(root, path)]));
    return Promise.all(source).then((outputs) => {
      const known = new Set(outputs.flatMap(({ stdout }) => stdout.split('\n').map((s) => s.slice(1, -1))));
      const codes = table(read('docs/receiver.md'), 'status').flatMap(([, code]) => [...code.matchAll(/`([A-Z][A-Z_]+)`/g)].map((m) => m[1]));
      assert.ok(codes.length >= 15, `only ${codes.length} codes in the table`);
      assert.deepEqual(codes.filter((code) => !known.has(code)), []);
    });
  });
});

