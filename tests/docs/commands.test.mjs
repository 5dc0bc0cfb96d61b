// The guides' shell blocks, each command run or checked: the package's CLI as written against a
// local server (it verifies what `send` signs with the package, and answers only the admin API
// requests docs/operations.md documents); curl the same; make targets exist (make's database);
// wrangler commands and their options exist (`wrangler ... --help`); scripts run by node exist.
// A command no rule covers fails the test.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { read, root, table } from './markdown.mjs';
import { commands, optionNames } from './shell.mjs';
import { byLang, packageDir, run, where } from './helpers.mjs';

const pkg = await import(join(packageDir, 'node.mjs'));

describe('shell blocks', () => {
  const secret = 'whsec_docs_test_secret';
  const adminToken = 'docs-test-admin-token-0123456789abcdef';
  const adminRoutes = table(read('docs/operations.md'), 'request').map(([request]) => {
    const [method, path] = request.replace(/`/g, '').split(' ');
    const pattern = path.replace(/\[.*?\]/g, '').replace(/\?.*$/, '').replace(/\{[a-z]+\}/g, '[^/]+');
    return { method, pattern: new RegExp(`^${pattern}$`), request };
  });
  const webhook = new pkg.Webhook(secret);
  let server;
  let base;
  let received = [];
  let envFile;

  before(async () => {
    assert.ok(adminRoutes.length >= 5, 'the admin API table of docs/operations.md');
    server = createServer((req, res) => {
      const chunks = [];
      req.on('data', (chunk) => chunks.push(chunk));
      req.on('end', () => {
        const url = new URL(req.url, 'http://x');
        const reply = (status, body) => {
          received.push({ method: req.method, path: url.pathname, status });
          res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
        };
        if (url.pathname === '/health' && req.method === 'GET') return reply(200, { status: 'ok' });
        if (url.pathname === '/webhooks' && req.method === 'POST') {
          try {
            return reply(200, { status: 'forwarded', id: webhook.constructEvent(Buffer.concat(chunks), req.headers).id });
          } catch (error) {
            return reply(error.status ?? 500, { status: 'error', code: error.code });
          }
        }
        if (url.pathname.startsWith('/admin/')) {
          if (req.headers.authorization !== `Bearer ${adminToken}`) return reply(401, { status: 'error', code: 'UNAUTHORIZED' });
          const route = adminRoutes.find((r) => r.method === req.method && r.pattern.test(url.pathname));
          if (route) return reply(req.method === 'POST' ? 202 : 200, {});
        }
        reply(404, { status: 'error', code: 'NOT_FOUND' });
      });
    });
    await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${server.address().port}`;
    envFile = join(mkdtempSync(join(tmpdir(), 'dvw-docs-env-')), '.dev.vars');
    writeFileSync(envFile, `WEBHOOK_SECRET=${secret}\n`);
  });
  after(() => {
    server?.close();
    if (envFile) rmSync(dirname(envFile), { recursive: true, force: true });
  });

  /** The Worker the docs address (make dev's, or a deployed one): this test's local server. */
  const local = (word) => word.replace(/^https?:\/\/(127\.0\.0\.1:8787|localhost:8787|[a-z0-9.-]+\.workers\.dev)(?=\/|$)/, base);

  const makeTargets = (async () => {
    const { stdout } = await run('make', ['-pRrq', '-f', 'Makefile', '.docs-no-such-target'], { cwd: root, maxBuffer: 64 << 20 });
    return new Set([...stdout.matchAll(/^([A-Za-z0-9][A-Za-z0-9_.-]*):(?!=)/gm)].map((m) => m[1]));
  })();
  const cliHelp = run(process.execPath, [join(packageDir, 'cli.js'), '--help']);
  const wranglerHelp = new Map();
  const wrangler = (words) => {
    const key = words.join(' ');
    if (!wranglerHelp.has(key)) {
      wranglerHelp.set(key, run(join(root, 'node_modules/.bin/wrangler'), [...words, '--help'], {
        cwd: root, env: { ...process.env, CLOUDFLARE_CF_FETCH_ENABLED: 'false', WRANGLER_SEND_METRICS: 'false', NO_COLOR: '1', FORCE_COLOR: '0', WRANGLER_LOG_PATH: join(tmpdir(), 'dvw-docs-wrangler-logs') },
      }));
    }
    return wranglerHelp.get(key);
  };

  /** Checks one command of a guide; returns what was checked, for the log. */
  async function check(command, block) {
    const at = where(block, command.line);
    const words = command.words.map(local);
    const [program, ...args] = words;
    if (program === undefined) return 'assignment';
    if (program === 'npm' && args[0] === 'install') {
      assert.deepEqual(args.slice(1), [JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8')).name], at);
      return 'npm install: the package name';
    }
    const cli = program === 'npx' && args[0] === 'digivault-webhooks' ? args.slice(1)
      : program === 'node' && args.includes('pkg/cli.js') ? args.slice(args.indexOf('pkg/cli.js') + 1) : null;
    if (cli !== null) {
      const subcommand = cli[0];
      if (!(await cliHelp).stdout.includes(`digivault-webhooks ${subcommand}`)) {
        assert.equal(subcommand, 'listen', `${at}: the CLI has no ${subcommand}`);
        console.log(`${at}: \`listen\` arrives with the listen branch; checked against its --help once the CLI has it`);
        return 'cli listen (arriving)';
      }
      if (subcommand === 'listen') {
        const help = await run(process.execPath, [join(packageDir, 'cli.js'), 'listen', '--help']);
        assert.equal(help.code, 0, `${at}: listen --help`);
        for (const option of optionNames(cli)) assert.ok(help.stdout.includes(option), `${at}: listen has no ${option}`);
        return 'cli listen: options in its --help';
      }
      received = [];
      // A command that sets its own DIGIVAULT_WEBHOOK_SECRET shows a refused delivery (a wrong
      // secret): every delivery must then be refused, 401, and the CLI say so by its exit status.
      const wrongSecret = command.assignments.DIGIVAULT_WEBHOOK_SECRET;
      const env = { ...process.env, ...command.env, WEBHOOK_SECRET: secret, DIGIVAULT_WEBHOOK_SECRET: secret, ADMIN_TOKEN: adminToken, ...command.assignments };
      const nodeArgs = (program === 'node' ? args.slice(0, args.indexOf('pkg/cli.js')) : []).map((a) => a.replace(/^--env-file=.*$/, `--env-file=${envFile}`));
      const result = await run(process.execPath, [...nodeArgs, join(packageDir, 'cli.js'), ...cli], { cwd: root, env });
      if (wrongSecret !== undefined) {
        assert.notEqual(wrongSecret, secret, at);
        assert.equal(result.code, 1, `${at}: a wrong secret must be given up\n${result.stdout}\n${result.stderr}`);
        assert.ok(received.length > 0 && received.every((r) => r.status === 401), `${at}: every delivery refused 401`);
        return `cli ${subcommand}: run with a wrong secret, ${received.length} delivery(ies) refused 401`;
      }
      assert.equal(result.code, 0, `${at}: ${command.raw}\n${result.stdout}\n${result.stderr}`);
      assert.ok(received.length > 0, `${at}: nothing reached the server`);
      assert.deepEqual(received.filter((r) => r.status >= 300), [], `${at}: requests the server refused (an undocumented admin path?)`);
      return `cli ${subcommand}: run, ${received.length} request(s) answered 2xx`;
    }
    if (program === 'curl') {
      received = [];
      const env = { ...process.env, ...command.assignments };
      const result = await run('curl', ['-sS', ...args.map((a) => a.replace(/^Authorization: Bearer .*$/, `Authorization: Bearer ${adminToken}`))], { env });
      assert.equal(result.code, 0, `${at}: ${result.stderr}`);
      assert.equal(received.length, 1, at);
      assert.ok(received[0].status < 300, `${at}: ${received[0].method} ${received[0].path} answered ${received[0].status}`);
      return `curl ${received[0].method} ${received[0].path}`;
    }
    if (program === 'make') {
      const targets = await makeTargets;
      for (const target of args.filter((a) => !a.includes('='))) assert.ok(targets.has(target), `${at}: no make target ${target}`);
      return `make ${args.join(' ')}: targets exist`;
    }
    if ((program === 'npx' && args[0] === 'wrangler') || program === 'wrangler') {
      const words = program === 'npx' ? args.slice(1) : args;
      const help = await wrangler(words);
      assert.equal(help.code, 0, `${at}: wrangler ${words.join(' ')} --help\n${help.stderr}`);
      for (const option of optionNames(words)) assert.ok(help.stdout.includes(option), `${at}: wrangler has no ${option}`);
      return `wrangler ${words.filter((w) => !w.startsWith('-')).join(' ')}: --help`;
    }
    if (program === 'node') {
      const script = args.find((a) => !a.startsWith('-'));
      assert.ok(script && existsSync(join(root, script)), `${at}: no ${script}`);
      return `node ${script}: exists`;
    }
    if (program === 'editor') return 'editor';
    assert.fail(`${at}: no rule of tests/docs/docs.test.mjs checks \`${program}\`; add one`);
  }

  test('every command is run or checked', async () => {
    const log = [];
    const failures = [];
    // wrangler starts slowly (1 to 3 s): ask for every documented command's help at once first.
    for (const block of byLang('sh')) {
      for (const { words } of commands(block.code, { EDITOR: 'editor', ADMIN_TOKEN: adminToken })) {
        if (words[0] === 'wrangler') wrangler(words.slice(1));
        if (words[0] === 'npx' && words[1] === 'wrangler') wrangler(words.slice(2));
      }
    }
    for (const block of byLang('sh')) {
      const env = { EDITOR: 'editor', ADMIN_TOKEN: adminToken };
      for (const command of commands(block.code, env)) {
        command.env = { ...env };
        try {
          log.push(`${where(block, command.line)}: ${await check(command, block)}`);
        } catch (error) {
          failures.push(error.message);
        }
      }
    }
    // Options a block mentions in its comments (`# --id evt_1  # one sample event`) are options
    // of the command it runs.
    const usage = (await cliHelp).stdout;
    for (const block of byLang('sh').filter((b) => /digivault-webhooks |pkg\/cli\.js /.test(b.code))) {
      const comments = block.code.split('\n').map((line) => line.slice(line.indexOf('#') + 1 || line.length)).join(' ');
      for (const [option] of comments.matchAll(/--[a-z][a-z-]+/g)) assert.ok(usage.includes(option), `${where(block)}: the CLI has no ${option}`);
    }
    console.log(log.join('\n'));
    assert.deepEqual(failures, [], 'commands of the guides that fail');
    assert.ok(log.length >= 25, `only ${log.length} commands`);
  });
});
