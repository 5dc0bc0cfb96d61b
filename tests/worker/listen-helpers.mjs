// Helpers of the `digivault-webhooks listen` tests: the CLI as a real process, and a local
// server on 127.0.0.1 that records (and counts) what the CLI posts to it.
import { spawn } from 'node:child_process';
import { createServer } from 'node:http';

import { ROOT, sleep, waitFor } from './helpers.mjs';

export const LISTEN_TOKEN = 'listen-token-for-tests-0123456789abcdef';
const CLI = `${ROOT}src/js/cli.js`;

/**
 * A local webhook server. `answers` (optional): a function (request index for that event
 * id, starting at 0) -> status; 200 otherwise. `received`: every request, in order.
 */
export async function startLocal({ answers = () => 200 } = {}) {
  const received = [];
  const attempts = new Map();
  const server = createServer((req, res) => {
    const chunks = [];
    req.on('data', (chunk) => chunks.push(chunk));
    req.on('end', () => {
      const id = req.headers['x-digivault-event-id'];
      const attempt = attempts.get(id) ?? 0;
      attempts.set(id, attempt + 1);
      const status = answers(attempt, id);
      received.push({ headers: req.headers, body: Buffer.concat(chunks), status, at: performance.now() });
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end('{}');
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${server.address().port}/webhooks`,
    received,
    /** The requests answered 2xx: what the local app accepted. */
    accepted: () => received.filter((r) => r.status >= 200 && r.status < 300),
    close: async () => {
      server.closeAllConnections?.();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/**
 * `digivault-webhooks listen ARGS` as a real process (the token in DIGIVAULT_LISTEN_TOKEN).
 * `node`: the Node.js binary (default: this one); `runtime`: another runtime's command line
 * before the script instead (`[deno, 'run', '-A']`, `[bun]`). Lines of stdout and stderr are
 * collected.
 */
export function startCli(args, { token = LISTEN_TOKEN, node = process.execPath, runtime = [node], env = {} } = {}) {
  const child = spawn(runtime[0], [...runtime.slice(1), CLI, 'listen', ...args], {
    env: { ...process.env, DIGIVAULT_LISTEN_TOKEN: token, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const out = [];
  const err = [];
  const collect = (stream, lines) => {
    let rest = '';
    stream.setEncoding('utf8');
    stream.on('data', (text) => {
      const parts = (rest + text).split('\n');
      rest = parts.pop();
      lines.push(...parts);
    });
  };
  collect(child.stdout, out);
  collect(child.stderr, err);
  const exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve(code ?? signal)));
  return {
    child,
    out,
    err,
    exited,
    /** Waits for the "connected" line (the count of them reaching `n`). */
    connected: (n = 1) => waitFor(() => err.filter((l) => l.includes('connected to')).length >= n, `the CLI connected (${err.join(' | ')})`, 20_000),
    /** Ctrl-C; resolves to the exit status. */
    stop: async () => {
      child.kill('SIGINT');
      return exited;
    },
    kill: () => child.kill('SIGKILL'),
  };
}

/** Waits until `local` accepted `n` requests, then a little longer to see any extra one. */
export async function acceptedExactly(local, n, timeoutMs = 60_000) {
  await waitFor(() => local.accepted().length >= n, `${n} events at the local server (have ${local.accepted().length})`, timeoutMs);
  await sleep(300);
  return local.accepted();
}
