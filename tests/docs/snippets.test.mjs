// The guides' TypeScript and JavaScript blocks, each compiled as a user's module by tsc (strict,
// exactOptionalPropertyTypes) against the built package in pkg/, with only tests/docs/prelude.d.ts
// added (what the snippets leave to the reader).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { root } from './markdown.mjs';
import { byLang, packageDir, run } from './helpers.mjs';

describe('TypeScript and JavaScript blocks compile against the built package', () => {
  let project;
  before(() => {
    // Inside target/ so that the repository's node_modules (typescript, @types/*, express,
    // fastify) resolve; the package itself is pkg/, as installed.
    mkdirSync(join(root, 'target'), { recursive: true });
    project = mkdtempSync(join(root, 'target', 'docs-tsc-'));
    mkdirSync(join(project, 'node_modules'));
    symlinkSync(packageDir, join(project, 'node_modules', 'digivault-webhooks'));
  });
  after(() => rmSync(project, { recursive: true, force: true }));

  test('tsc --noEmit, strict, exactOptionalPropertyTypes', async () => {
    const snippets = byLang('ts', 'js');
    assert.ok(snippets.length >= 9, `only ${snippets.length} snippets`);
    const files = snippets.map((block, i) => {
      const name = `${block.doc.replace(/[/.]/g, '_')}_${block.line}.ts`;
      // `export {}`: each snippet is its own module, as in a user's file.
      writeFileSync(join(project, name), `${block.code}\nexport {};\n`);
      return [name, block];
    });
    writeFileSync(join(project, 'prelude.d.ts'), readFileSync(new URL('prelude.d.ts', import.meta.url)));
    writeFileSync(
      join(project, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          strict: true, exactOptionalPropertyTypes: true, noEmit: true, target: 'es2022', module: 'nodenext',
          moduleResolution: 'nodenext', lib: ['es2022', 'dom'], types: ['node'], skipLibCheck: true,
        },
        include: ['*.ts'],
      }),
    );
    const { code, stdout } = await run(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', project], { timeout: 300_000 });
    // Name the guide and line of each error instead of the scratch file.
    const report = files.reduce((text, [name, block]) => text.replaceAll(name, `${block.doc} (block at line ${block.line})`), stdout);
    assert.equal(code, 0, report);
  });
});

