// `digivault-webhooks listen`: real DigiVault events on a laptop, through the receiver
// Worker's /listen WebSocket (docs/listen.md). Each event is POSTed to the local server with
// its exact body bytes, original Content-Type and signature header, and acknowledged to the
// Worker only after a 2xx, so nothing is lost while the laptop is offline or the handler is
// broken. The WebSocket client is loaded here only (never by the package's verification
// entry points): the runtime's own (Node 22+) or, on older Node, the optional `ws` package.
import { numberOption, parseCommandLine } from './cli-args.js';
import { fetchErrorCode } from './sender.js';

/** Where the listen token is read from unless --token-env names another variable. */
export const DEFAULT_LISTEN_TOKEN_ENV = 'DIGIVAULT_LISTEN_TOKEN';
/** Close codes the Worker's listen hub uses (src/receiver/listen/protocol.rs). */
const CLOSE_REPLACED = 4001;
/** How long one POST to the local server may take. */
const LOCAL_TIMEOUT_MS = 30_000;
/** Reconnect and retry backoff: first delay, cap. */
const BACKOFF_FIRST_MS = 500;
const BACKOFF_MAX_MS = 30_000;

export const LISTEN_USAGE = `Usage: digivault-webhooks listen --url WORKER_URL --forward-to LOCAL_URL [--name NAME]
                          [--types T1,T2] [--token-env NAME] [--print-json]

Receives the verified events of a receiver Worker (with LISTEN_TOKEN set) over its /listen
WebSocket and POSTs each one to LOCAL_URL, byte for byte, with its original Content-Type and
signature header (your handler verifies it with the real secret) plus X-DigiVault-Event-Id
and X-DigiVault-Event-Type. An event is acknowledged once LOCAL_URL answered 2xx; until then
it is retried, and while this command is not running the Worker keeps the name's events.

  --url URL            the Worker's base URL, e.g. https://receiver.example.workers.dev (required)
  --forward-to URL     your local webhook endpoint, e.g. http://localhost:3000/webhooks
                       (required unless --print-json)
  --name NAME          this listener's name (default "default"); each name gets every event,
                       a second connection under the same name replaces the first
  --types T1,T2        only these event types (default: all)
  --token-env NAME     read the token from this environment variable (default
                       ${DEFAULT_LISTEN_TOKEN_ENV}); it is never accepted on the command line
  --print-json         print each event as one JSON line on stdout instead of forwarding it
  --max-retry-delay S  longest pause between two attempts of one event, in seconds (default 30)

Ctrl-C stops it cleanly (the event being posted finishes first). Exit status: 0 after
Ctrl-C, 1 when the Worker refuses the connection (401, 404, 400) or another listener took
the name over, 2 on bad usage.`;

const OPTIONS = {
  url: { type: 'string' },
  'forward-to': { type: 'string' },
  name: { type: 'string' },
  types: { type: 'string' },
  'token-env': { type: 'string' },
  'print-json': { type: 'boolean' },
  'max-retry-delay': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
};

/** The command line's settings, or { help: true }; throws a TypeError for bad usage. */
export function parseListenArgs(argv) {
  if (argv.some((arg) => arg === '--token' || arg.startsWith('--token='))) {
    throw new TypeError(`the listen token is read from the environment only (--token-env NAME, default ${DEFAULT_LISTEN_TOKEN_ENV})`);
  }
  const { values, positionals } = parseCommandLine(argv, OPTIONS);
  if (values.help) return { help: true };
  if (positionals.length > 0) throw new TypeError(`unexpected argument ${positionals[0]}`);
  if (!values.url || !/^https?:\/\//.test(values.url)) throw new TypeError("--url must be the Worker's http:// or https:// base URL");
  const printJson = values['print-json'] === true;
  const forwardTo = values['forward-to'];
  if (printJson && forwardTo !== undefined) throw new TypeError('--print-json prints events instead of forwarding them: give one of --forward-to and --print-json');
  if (!printJson && (!forwardTo || !/^https?:\/\//.test(forwardTo))) throw new TypeError('--forward-to must be your local http:// or https:// webhook URL (or use --print-json)');
  const types = values.types?.split(',').map((type) => type.trim());
  if (types?.some((type) => type === '')) throw new TypeError('--types must be a comma-separated list of event types');
  const maxRetryDelayMs = numberOption(values, 'max-retry-delay', BACKOFF_MAX_MS / 1000, 0.01) * 1000;
  return { baseUrl: values.url, forwardTo, name: values.name, types, tokenEnv: values['token-env'] ?? DEFAULT_LISTEN_TOKEN_ENV, printJson, maxRetryDelayMs };
}

/** The ws:// or wss:// URL of /listen under the Worker's base URL (a base path is kept). */
export function listenUrl(baseUrl, { name, types } = {}) {
  const url = new URL(baseUrl);
  url.pathname = url.pathname.replace(/\/+$/, '') + '/listen';
  const query = new URLSearchParams();
  if (name !== undefined) query.set('name', name);
  if (types !== undefined) query.set('types', types.join(','));
  url.search = query.toString();
  return url;
}

/** Splits an event message (one JSON line, then the raw body) into its metadata and body bytes. */
export function unframe(bytes) {
  const end = bytes.indexOf(0x0a);
  if (end < 0) throw new Error('an event message without its metadata line');
  const meta = JSON.parse(Buffer.from(bytes.subarray(0, end)).toString('utf8'));
  return { meta, body: Buffer.from(bytes.subarray(end + 1)) };
}

/** The headers of the POST to the local server: DigiVault's own, plus the id and type. */
export function localHeaders(meta) {
  const headers = { [meta.signature_header]: meta.signature, 'x-digivault-event-id': meta.id, 'x-digivault-event-type': meta.type };
  if (meta.content_type !== undefined && meta.content_type !== null) headers['content-type'] = meta.content_type;
  return headers;
}

/** Exponential backoff from BACKOFF_FIRST_MS, capped, with +-50 % jitter (`random` in [0, 1)). */
export function backoffMs(attempt, { max = BACKOFF_MAX_MS, random = Math.random } = {}) {
  const base = Math.min(max, BACKOFF_FIRST_MS * 2 ** Math.min(attempt, 30));
  return Math.round(Math.min(max, base * (0.5 + random())));
}

/** A WebSocket constructor taking `{ headers }`: the runtime's (Node 22+), else the `ws` package. */
async function webSocketClass() {
  const major = Number(process.versions?.node?.split('.')[0] ?? 0);
  if (typeof globalThis.WebSocket === 'function' && major >= 22) return globalThis.WebSocket;
  try {
    return (await import('ws')).WebSocket;
  } catch {
    throw new Error(`this Node.js (${process.version}) has no WebSocket client: use Node.js 22 or later, or \`npm install ws\``);
  }
}

const clock = () => new Date().toISOString().replace('T', ' ').replace(/\.\d+Z$/, '');
const seconds = (ms) => `${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)} s`;

/** A sleep that `wake()` ends early (Ctrl-C). */
function sleeper() {
  let wake = () => {};
  return {
    sleep: (ms) =>
      new Promise((resolve) => {
        const timer = setTimeout(resolve, ms);
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      }),
    wake: () => wake(),
  };
}

/** Why the Worker refused an upgrade, from a plain GET of the same URL (its 404/401/400 come before the 426). */
async function refusal(url, token, fetchImpl) {
  try {
    const response = await fetchImpl(url.href.replace(/^ws/, 'http'), { headers: { authorization: `Bearer ${token}` }, signal: AbortSignal.timeout(10_000) });
    const reply = await response.json().catch(() => undefined);
    if (response.status === 426) return undefined;
    return { status: response.status, code: reply?.code, message: reply?.message };
  } catch {
    return undefined;
  }
}

/** `digivault-webhooks listen`: resolves to the exit status when stopped. */
export async function listenCommand(argv, { stdout, stderr, env, signal, fetch: fetchImpl = globalThis.fetch }) {
  const say = (line) => stderr.write(`${line}\n`);
  let options;
  try {
    options = parseListenArgs(argv);
  } catch (err) {
    say(`digivault-webhooks listen: ${err.message}`);
    return 2;
  }
  if (options.help) {
    stdout.write(LISTEN_USAGE + '\n');
    return 0;
  }
  const token = env[options.tokenEnv];
  if (!token) {
    say(`digivault-webhooks listen: no token: set ${options.tokenEnv} to the Worker's LISTEN_TOKEN${options.tokenEnv === DEFAULT_LISTEN_TOKEN_ENV ? ' (or use --token-env NAME)' : ''}`);
    return 2;
  }
  let WebSocketClass;
  try {
    WebSocketClass = await webSocketClass();
  } catch (err) {
    say(`digivault-webhooks listen: ${err.message}`);
    return 1;
  }

  const url = listenUrl(options.baseUrl, options);
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  const shown = `${options.baseUrl.replace(/\/+$/, '')} as "${options.name ?? 'default'}"${options.types ? ` (types: ${options.types.join(', ')})` : ''}`;
  const state = { stopping: false, socket: undefined, exit: 0 };
  const pause = sleeper();
  const acked = new Set(); // ids this process got a 2xx for: re-acknowledged, never posted twice
  const queue = [];
  let wakeQueue = () => {};
  let draining = Promise.resolve();

  // Ctrl-C: the event being posted finishes and is acknowledged, then the connection closes.
  const stop = () => {
    if (state.stopping) return;
    state.stopping = true;
    say(`${clock()}  stopping (Ctrl-C again to quit at once)`);
    pause.wake();
    wakeQueue();
    draining.then(() => state.socket?.close(1000, 'stopped'));
  };
  signal?.addEventListener('abort', stop, { once: true });

  const ack = (id) => {
    acked.add(id);
    const socket = state.socket;
    // Not sent when the connection is gone: the Worker sends the event again, and it is re-acknowledged.
    if (socket?.readyState === 1) socket.send(JSON.stringify({ ack: [id] }));
  };

  /** Posts one event until the local server answers 2xx (or Ctrl-C). */
  const deliver = async ({ meta, body }) => {
    if (acked.has(meta.id)) return ack(meta.id);
    if (options.printJson) {
      stdout.write(JSON.stringify({ id: meta.id, type: meta.type, received_at: meta.received_at, content_type: meta.content_type ?? null, signature_header: meta.signature_header, signature: meta.signature, body: body.toString('utf8') }) + '\n');
      return ack(meta.id);
    }
    for (let attempt = 0; ; attempt += 1) {
      const started = performance.now();
      let outcome;
      let ok = false;
      try {
        const response = await fetchImpl(options.forwardTo, { method: 'POST', headers: localHeaders(meta), body, signal: AbortSignal.timeout(LOCAL_TIMEOUT_MS) });
        await response.arrayBuffer().catch(() => undefined);
        ok = response.ok;
        outcome = String(response.status);
      } catch (err) {
        outcome = err?.name === 'TimeoutError' ? `no answer in ${LOCAL_TIMEOUT_MS / 1000} s` : `unreachable (${fetchErrorCode(err)})`;
      }
      const took = `${Math.round(performance.now() - started)} ms`;
      const line = `${clock()}  ${meta.type}  ${meta.id}  -> ${outcome}  ${took}`;
      if (ok) {
        stdout.write(`${line}\n`);
        return ack(meta.id);
      }
      if (state.stopping) {
        stdout.write(`${line}  (kept by the Worker for the next run)\n`);
        return undefined;
      }
      const delay = backoffMs(attempt, { max: options.maxRetryDelayMs });
      stdout.write(`${line}  retry in ${seconds(delay)}\n`);
      await pause.sleep(delay);
      if (state.stopping) return undefined;
    }
  };

  // One event at a time, in the order the Worker sent them.
  const drain = async () => {
    while (!state.stopping) {
      const next = queue.shift();
      if (next === undefined) {
        await new Promise((resolve) => (wakeQueue = resolve));
        continue;
      }
      await deliver(next);
    }
  };
  draining = drain();

  const onSignal = () => (state.stopping ? process.exit(130) : stop());
  const ownsSignals = signal === undefined;
  if (ownsSignals) {
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  }

  const connectOnce = () =>
    new Promise((resolve) => {
      let opened = false;
      let socket;
      try {
        socket = new WebSocketClass(url.href, { headers: { authorization: `Bearer ${token}` } });
      } catch (err) {
        resolve({ opened, code: 0, reason: err.message });
        return;
      }
      socket.binaryType = 'arraybuffer';
      state.socket = socket;
      socket.addEventListener('open', () => {
        opened = true;
        say(`${clock()}  connected to ${shown}${options.printJson ? '' : `, forwarding to ${options.forwardTo}`}`);
      });
      socket.addEventListener('message', (event) => {
        if (typeof event.data === 'string') {
          const notice = JSON.parse(event.data);
          if (notice.kind === 'hello') {
            const dropped = notice.dropped > 0 ? `; ${notice.dropped} dropped while away (over LISTEN_MAX_BACKLOG = ${notice.max_backlog})` : '';
            say(`${clock()}  ${notice.backlog} event${notice.backlog === 1 ? '' : 's'} waiting${dropped}`);
          } else if (notice.kind === 'dropped') {
            say(`${clock()}  ${notice.dropped} oldest unacknowledged event(s) dropped (over LISTEN_MAX_BACKLOG)`);
          }
          return;
        }
        try {
          queue.push(unframe(new Uint8Array(event.data)));
        } catch (err) {
          say(`${clock()}  ignored an unreadable message: ${err.message}`);
          return;
        }
        wakeQueue();
      });
      let settled = false;
      const settle = (code, reason) => {
        if (settled) return;
        settled = true;
        state.socket = undefined;
        resolve({ opened, code, reason });
      };
      // Node 22's WebSocket reports a failed connection with 'error' alone (no 'close').
      socket.addEventListener('error', () => {
        if (opened) return;
        settle(1006, 'connection failed');
        try {
          socket.close();
        } catch {
          // never opened
        }
      });
      socket.addEventListener('close', (event) => settle(event.code, event.reason));
    });

  let failures = 0;
  while (!state.stopping) {
    const { opened, code, reason } = await connectOnce();
    if (state.stopping) break;
    if (code === CLOSE_REPLACED) {
      say(`${clock()}  another listener connected as "${options.name ?? 'default'}" and replaced this one; stopping`);
      state.exit = 1;
      break;
    }
    if (!opened) {
      const refused = await refusal(url, token, fetchImpl);
      if (refused && [400, 401, 404].includes(refused.status)) {
        const why = refused.status === 404 ? ' (is LISTEN_TOKEN set on the Worker, and LISTEN bound?)' : '';
        say(`digivault-webhooks listen: the Worker refused the connection: ${refused.status}${refused.code ? ` ${refused.code}` : ''}${refused.message ? `: ${refused.message}` : ''}${why}`);
        state.exit = 1;
        break;
      }
    }
    failures = opened ? 0 : failures + 1;
    const delay = backoffMs(failures);
    say(`${clock()}  ${opened ? 'disconnected' : 'could not connect'} (${code}${reason ? ` ${reason}` : ''}); reconnecting in ${seconds(delay)}`);
    await pause.sleep(delay);
  }
  state.stopping = true;
  wakeQueue();
  pause.wake();
  await draining;
  if (state.socket) {
    const socket = state.socket;
    const closed = new Promise((resolve) => socket.addEventListener('close', resolve, { once: true }));
    if (socket.readyState === 1 || socket.readyState === 0) socket.close(1000, 'stopped');
    await Promise.race([closed, new Promise((resolve) => setTimeout(resolve, 2000))]);
  }
  if (ownsSignals) {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  if (state.exit === 0) say(`${clock()}  stopped`);
  return state.exit;
}
