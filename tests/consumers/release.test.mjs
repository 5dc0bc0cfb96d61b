// Release readiness: both manifests carry the changelog's version, the license texts ship,
// and `npm publish --dry-run` (on the generated pkg/) and `cargo publish --dry-run` pass with
// a small crate package.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { NPM_GUIDE, packageReadme } from '../../scripts/package-readme.mjs';

const root = new URL('../../', import.meta.url).pathname;
const packageDir = process.env.PKG_DIR ?? join(root, 'pkg');
const exec = promisify(execFile);
const read = (path) => readFileSync(join(root, path), 'utf8');

test("CHANGELOG.md's newest entry is the version of Cargo.toml and of the npm package", () => {
  const changelog = read('CHANGELOG.md').match(/^## \[?(\d+\.\d+\.\d+[^\]\s]*)/m)?.[1];
  const crate = read('Cargo.toml').match(/^version = "([^"]+)"/m)[1];
  const npm = JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8')).version;
  assert.ok(changelog, 'CHANGELOG.md has no version entry');
  assert.deepEqual({ crate, npm }, { crate: changelog, npm: changelog });
});

test('the license texts are in the repository and the package, and match the declared license', () => {
  for (const file of ['LICENSE-MIT', 'LICENSE-APACHE']) assert.equal(readFileSync(join(packageDir, file), 'utf8'), read(file));
  assert.match(read('LICENSE-MIT'), /^MIT License/);
  assert.match(read('LICENSE-APACHE'), /Apache License\s+Version 2\.0, January 2004/);
  assert.equal(JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8')).license, 'MIT OR Apache-2.0');
  assert.match(read('Cargo.toml'), /^license = "MIT OR Apache-2\.0"$/m);
});

test("the package README is the npm guide's package section (one source), with the Fastify recipe and no relative link", () => {
  const shipped = readFileSync(join(packageDir, 'README.md'), 'utf8');
  assert.equal(shipped, packageReadme(read(NPM_GUIDE)));
  assert.match(shipped, /parseAs: 'buffer'/);
  assert.match(shipped, /digivault-webhooks\/wasm/);
  assert.doesNotMatch(shipped, /\]\((?!https?:\/\/|#)/);
});

test('npm publish --dry-run accepts pkg/, which ships its README, licenses and changelog and no invented repository', async () => {
  const { stdout } = await exec('npm', ['publish', '--dry-run', '--json', '--offline', packageDir], { encoding: 'utf8' });
  const [report] = [JSON.parse(stdout)].flatMap((value) => (value.files ? [value] : Object.values(value)));
  const files = report.files.map((file) => file.path);
  for (const file of ['README.md', 'LICENSE-MIT', 'LICENSE-APACHE', 'CHANGELOG.md', 'index.d.ts', 'index.d.cts', 'wasm.d.ts']) {
    assert.ok(files.includes(file), `${file} is not in the tarball`);
  }
  assert.equal(files.filter((file) => file.endsWith('.wasm')).length, 1, 'one .wasm in the tarball');
  const manifest = JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8'));
  assert.equal(manifest.repository, undefined);
  assert.equal(manifest.homepage, undefined);
  assert.ok(readFileSync(join(packageDir, 'README.md'), 'utf8').length > 5000, 'the package README is the real one');
});

test('cargo publish --dry-run packages and builds the crate; the package holds only what a Rust user needs', { timeout: 600_000 }, async () => {
  const cargo = (args) =>
    exec('cargo', args, { cwd: root, encoding: 'utf8', maxBuffer: 16 << 20, env: { ...process.env, CARGO_TERM_COLOR: 'never' } });
  const { stdout } = await cargo(['package', '--list', '--allow-dirty']);
  const files = stdout.trim().split('\n');
  for (const file of ['Cargo.toml', 'README.md', 'CHANGELOG.md', 'LICENSE-MIT', 'LICENSE-APACHE', 'src/lib.rs']) {
    assert.ok(files.includes(file), `${file} is not in the crate`);
  }
  const stray = files.filter((file) => !/^(src\/.*\.rs|Cargo\.toml(\.orig)?|Cargo\.lock|README\.md|CHANGELOG\.md|LICENSE-(MIT|APACHE)|\.cargo_vcs_info\.json)$/.test(file));
  assert.deepEqual(stray, [], 'the crate ships only sources, manifest, readme, changelog and licenses');
  await cargo(['publish', '--dry-run', '--allow-dirty']);
});
