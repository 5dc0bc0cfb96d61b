// The command line (pkg/cli.js, `digivault-webhooks send`) against a local origin on
// 127.0.0.1: sample events, files, --id, --print-curl (run with the real curl), where the
// secret comes from, the JSON summary and the exit status. Signatures are checked with
// node:crypto, independently of the sender's own signing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { readFileSync, writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { packageDir } from './fixtures.mjs';
import { origin } from './origin.mjs';

const { parseArgs, readSecret } = await import(`${packageDir}/cli-send.js`);
const { sampleEvent } = await import(`${packageDir}/node.mjs`);
const SECRET = 'whsec_cli_test';
const hmac = (body, secret = SECRET) => createHmac('sha256', secret).update(body).digest('hex');
const cli = join(packageDir, 'cli.js');
const execFileAsync = promisify(execFile);
/** Runs the CLI with `env` as its whole environment (plus PATH); resolves to { code, stdout, stderr }. */
const run = (args, env = { DIGIVAULT_WEBHOOK_SECRET: SECRET }) =>
  execFileAsync(process.execPath, [cli, ...args], { env: { PATH: process.env.PATH, ...env } }).then(
    (result) => ({ code: 0, ...result }),
    (err) => ({ code: err.code, stdout: err.stdout, stderr: err.stderr }),
  );

test('the command line: sample events of every type, a file, a JSON summary and the exit status', async () => {
  const manifest = JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8'));
  assert.equal(manifest.bin['digivault-webhooks'], './cli.js');
  assert.match(readFileSync(cli, 'utf8'), /^#!\/usr\/bin\/env node\n/);

  const server = await origin(() => 200);
  const dir = mkdtempSync(join(tmpdir(), 'dv-cli-'));
  try {
    const { code, stdout, stderr } = await run(['send', '--url', server.url, '--type', 'all', '--count', '16']);
    assert.equal(code, 0, stderr);
    assert.equal(stderr, '', 'no warning when the secret comes from the environment');
    const summary = JSON.parse(stdout);
    assert.equal(summary.delivered, 16);
    const types = new Set(server.received.map(({ body }) => JSON.parse(body).type));
    assert.equal(types.size, 16);
    const ids = new Set(server.received.map(({ body }) => JSON.parse(body).id));
    assert.equal(ids.size, 16, 'distinct ids');
    for (const { headers, body } of server.received) assert.equal(headers['x-digivault-signature'], hmac(body));

    const file = join(dir, 'event.json');
    writeFileSync(file, Buffer.from('{"id":"from_file"}\n'));
    assert.equal((await run(['send', '--url', server.url, '--file', file, '--header', 'legacy'])).code, 0);
    const last = server.received.at(-1);
    assert.equal(last.body.toString(), '{"id":"from_file"}\n', 'sent verbatim');
    assert.equal(last.headers['x-bitvault-signature'], hmac(last.body));
  } finally {
    rmSync(dir, { recursive: true, force: true });
    await server.close();
  }

  // Nothing listens on a port of a closed server: every attempt fails, exit status 1.
  const failed = await run(['send', '--url', server.url, '--time-scale', '1e7', '--timeout-ms', '1000']);
  assert.equal(failed.code, 1);
  assert.equal(JSON.parse(failed.stdout).failed, 1);
  assert.equal(JSON.parse(failed.stdout).attempts, 6);

  const usage = await run(['send']);
  assert.equal(usage.code, 2);
  assert.match(usage.stderr, /--url/);
});

test('--id sends the sample event with that id; --duplicates shows the same bytes again', async () => {
  const server = await origin(() => 200);
  try {
    const { code, stdout } = await run(['send', '--url', server.url, '--id', 'evt_demo_1', '--duplicates', '1']);
    assert.equal(code, 0);
    assert.equal(JSON.parse(stdout).deliveries, 2);
    assert.equal(server.received.length, 2);
    const [first, second] = server.received;
    const event = JSON.parse(first.body);
    assert.equal(event.id, 'evt_demo_1');
    // The package's own sample, byte for byte, at the time it was sent.
    assert.equal(first.body.toString(), sampleEvent('conversation.message.created', { id: 'evt_demo_1', createdAt: event.created_at }));
    assert.deepEqual(second.body, first.body);
  } finally {
    await server.close();
  }
  for (const args of [['--id', 'a', '--count', '2'], ['--id', 'a', '--file', 'x']]) {
    const usage = await run(['send', '--url', 'http://127.0.0.1:1/', ...args]);
    assert.equal(usage.code, 2, args.join(' '));
  }
});

test('--print-curl prints a curl command that sends exactly what the CLI sent', async () => {
  const server = await origin(() => 200);
  const dir = mkdtempSync(join(tmpdir(), 'dv-cli-'));
  try {
    // A body with a single quote and non-ASCII, to exercise the shell quoting.
    const file = join(dir, "it's.json");
    writeFileSync(file, Buffer.from('{"id":"evt_q","message":"it\'s ✓"}'));
    for (const args of [['--id', "evt_it's"], ['--file', file]]) {
      const before = server.received.length;
      const { code, stdout, stderr } = await run(['send', '--url', server.url, '--print-curl', ...args]);
      assert.equal(code, 0, stderr);
      assert.equal(JSON.parse(stdout).delivered, 1, 'the summary alone on stdout');
      const command = stderr.trim();
      assert.match(command, /^curl /);
      assert.ok(!command.includes(SECRET), 'the secret is not printed');
      const curl = await execFileAsync('/bin/sh', ['-c', command]);
      assert.equal(JSON.parse(curl.stdout).status, 'forwarded');
      const [sent, replayed] = server.received.slice(before);
      assert.deepEqual(replayed.body, sent.body, args.join(' '));
      assert.equal(replayed.headers['x-digivault-signature'], hmac(sent.body));
      assert.equal(replayed.headers['content-type'], 'application/json');
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
    await server.close();
  }
});

test('the secret comes from the environment or a file; --secret works but warns', async () => {
  const server = await origin(() => 200);
  const dir = mkdtempSync(join(tmpdir(), 'dv-cli-'));
  const other = 'whsec_from_elsewhere';
  /** Runs `send` with `args` and `env`; resolves to its output and the secret that signed the body. */
  const signedWith = async (args, env) => {
    const before = server.received.length;
    const result = await run(['send', '--url', server.url, ...args], env);
    assert.equal(result.code, 0, result.stderr);
    const { body, headers } = server.received[before];
    const secret = [SECRET, other].find((candidate) => headers['x-digivault-signature'] === hmac(body, candidate));
    return { ...result, secret };
  };
  try {
    // --secret-env NAME, even when DIGIVAULT_WEBHOOK_SECRET is set too.
    const fromEnv = await signedWith(['--secret-env', 'MY_SECRET'], { MY_SECRET: other, DIGIVAULT_WEBHOOK_SECRET: SECRET });
    assert.equal(fromEnv.secret, other);
    assert.equal(fromEnv.stderr, '');
    // --secret-file PATH: one trailing newline (echo's) is not part of the secret.
    const file = join(dir, 'secret');
    writeFileSync(file, `${other}\n`);
    const fromFile = await signedWith(['--secret-file', file], {});
    assert.equal(fromFile.secret, other);
    assert.equal(fromFile.stderr, '');
    // The default variable.
    assert.equal((await signedWith([], { DIGIVAULT_WEBHOOK_SECRET: SECRET })).secret, SECRET);
    // --secret on the command line: still honoured, with a warning that does not repeat it.
    const fromArgv = await signedWith(['--secret', other], {});
    assert.equal(fromArgv.secret, other);
    assert.match(fromArgv.stderr, /warning: --secret .*process list.*--secret-env NAME or --secret-file PATH/);
    assert.ok(!fromArgv.stderr.includes(other));
    assert.ok(!fromArgv.stdout.includes(other));
  } finally {
    rmSync(dir, { recursive: true, force: true });
    await server.close();
  }

  // Refusals, with exit status 2 and a message naming the source.
  const refusals = [
    [[], {}, /no secret: set DIGIVAULT_WEBHOOK_SECRET/],
    [['--secret-env', 'UNSET_VARIABLE'], { DIGIVAULT_WEBHOOK_SECRET: SECRET }, /UNSET_VARIABLE is not set/],
    [['--secret-file', join(dir, 'missing')], {}, /--secret-file: cannot read .*ENOENT/],
    [['--secret-env', 'A', '--secret-file', 'f'], { A: 'x' }, /one of --secret-env, --secret-file and --secret/],
  ];
  for (const [args, env, message] of refusals) {
    const result = await run(['send', '--url', 'http://127.0.0.1:1/', ...args], env);
    assert.equal(result.code, 2, args.join(' '));
    assert.match(result.stderr, message);
  }
  assert.throws(() => readSecret({ 'secret-env': 'EMPTY' }, { EMPTY: '' }), /EMPTY is not set or empty/);
});

test('argument parsing refuses what it cannot honour', () => {
  assert.throws(() => parseArgs(['--url', 'ftp://x']), /--url/);
  assert.throws(() => parseArgs(['--url', 'http://x', '--count', '0']), /--count/);
  assert.throws(() => parseArgs(['--url', 'http://x', '--type', 'a', '--file', 'b']), /not both/);
  assert.throws(() => parseArgs(['--url', 'http://x', '--bogus', '1']), /unknown option/);
  assert.throws(() => parseArgs(['--url', 'http://x', '--time-scale', '0']), /--time-scale/);
  assert.throws(() => parseArgs(['--url', 'http://x', 'stray']), /unexpected argument stray/);
  const parsed = parseArgs(['--url=http://127.0.0.1:1/x', '--secret', 's', '--time-scale', '60', '--concurrent-duplicates', '--duplicates', '2']);
  assert.equal(parsed.timeScale, 60);
  assert.equal(parsed.timeoutMs, 30_000, 'the response timeout is not scaled');
  assert.equal(parsed.concurrentDuplicates, true);
  assert.equal(parsed.duplicates, 2);
});
