// `digivault-webhooks send`: the sender simulator's command line, the local equivalent of
// the dashboard's "Send test webhook". Turns arguments into deliveries (sender.js does them)
// and prints their JSON summary.
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { numberOption, parseCommandLine } from './cli-args.js';
import { LEGACY_SIGNATURE_HEADER, RESPONSE_TIMEOUT_MS, SIGNATURE_HEADER, deliveryHeaders, send } from './sender.js';

/** Where the secret is read from when no option names a source. */
export const DEFAULT_SECRET_ENV = 'DIGIVAULT_WEBHOOK_SECRET';

export const SEND_USAGE = `Usage: digivault-webhooks send --url URL [options]

Sends signed DigiVault webhook events to URL the way DigiVault does, then prints a JSON summary.

  --url URL                 where to POST (required)
  --secret-env NAME         read the webhook secret from this environment variable
                            (default ${DEFAULT_SECRET_ENV})
  --secret-file PATH        read the webhook secret from this file (one trailing newline ignored)
  --secret SECRET           the secret itself: visible in the process list and shell history,
                            so a warning is printed; prefer the two options above
  --type TYPE               a sample event of this type (default conversation.message.created;
                            "all" cycles through the sixteen types)
  --id ID                   the sample event's id (one event; default: distinct generated ids)
  --file FILE               send this file's bytes verbatim instead of a sample event
  --count N                 events to send (default 1); sample events get distinct ids
  --duplicates K            deliver each event K more times, once the first delivery is over
  --concurrent-duplicates   start the K duplicate deliveries at the same time as the first
  --concurrency C           events in flight at once (default 8)
  --time-scale X            divide the retry schedule (1m, 5m, 15m, 1h, 6h) by X (default 1)
  --timeout-ms MS           response timeout (default 30000, not scaled)
  --header legacy           sign in X-BitVault-Signature instead of X-DigiVault-Signature
  --print-curl              print an equivalent curl command for each event on stderr

Exit status: 0 when every delivery got a 2xx, 1 when one was given up, 2 on bad usage.`;

const SEND_OPTIONS = {
  url: { type: 'string' },
  secret: { type: 'string' },
  'secret-env': { type: 'string' },
  'secret-file': { type: 'string' },
  type: { type: 'string' },
  id: { type: 'string' },
  file: { type: 'string' },
  count: { type: 'string' },
  duplicates: { type: 'string' },
  'concurrent-duplicates': { type: 'boolean' },
  concurrency: { type: 'string' },
  'time-scale': { type: 'string' },
  'timeout-ms': { type: 'string' },
  header: { type: 'string' },
  'print-curl': { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
};

/**
 * The webhook secret from exactly one source: `--secret-file`, `--secret-env`, `--secret`,
 * or the default variable. Resolves to { secret, warning? }; throws a TypeError when the
 * source is missing or empty.
 */
export function readSecret(values, env = process.env) {
  const given = ['secret', 'secret-env', 'secret-file'].filter((name) => values[name] !== undefined);
  if (given.length > 1) throw new TypeError(`use one of --secret-env, --secret-file and --secret, not ${given.map((n) => `--${n}`).join(' and ')}`);
  let secret;
  let warning;
  if (values['secret-file'] !== undefined) {
    try {
      secret = readFileSync(values['secret-file'], 'utf8').replace(/\r?\n$/, '');
    } catch (err) {
      throw new TypeError(`--secret-file: cannot read ${values['secret-file']} (${err.code ?? err.message})`);
    }
    if (!secret) throw new TypeError(`--secret-file: ${values['secret-file']} is empty`);
  } else if (values.secret !== undefined) {
    secret = values.secret;
    if (!secret) throw new TypeError('--secret is empty');
    warning = '--secret puts the secret in the process list and shell history: prefer --secret-env NAME or --secret-file PATH';
  } else {
    const name = values['secret-env'] ?? DEFAULT_SECRET_ENV;
    secret = env[name];
    if (!secret) {
      throw new TypeError(
        values['secret-env'] === undefined
          ? `no secret: set ${DEFAULT_SECRET_ENV}, or use --secret-env NAME or --secret-file PATH`
          : `--secret-env: the environment variable ${name} is not set or empty`,
      );
    }
  }
  return { secret, warning };
}

/** Parses `send` options (the secret is read separately, by readSecret); throws a TypeError with a message for the user. */
export function parseArgs(argv) {
  const { values, positionals } = parseCommandLine(argv, SEND_OPTIONS);
  if (positionals.length > 0) throw new TypeError(`unexpected argument ${positionals[0]}`);
  if (values.help) return { help: true };
  const url = values.url;
  if (!url || !/^https?:\/\//.test(url)) throw new TypeError('--url must be an http:// or https:// URL');
  if (values.type !== undefined && values.file !== undefined) throw new TypeError('use --type or --file, not both');
  if (values.id !== undefined && values.file !== undefined) throw new TypeError('--id names a sample event: not with --file');
  const count = numberOption(values, 'count', 1, 1, { integer: true });
  if (values.id !== undefined && count !== 1) throw new TypeError('--id names one event: send it again with --duplicates, not --count');
  const header = values.header;
  if (header !== undefined && header !== 'legacy' && header !== 'current') throw new TypeError('--header must be legacy or current');
  const timeScale = numberOption(values, 'time-scale', 1, 0);
  if (timeScale === 0) throw new TypeError('--time-scale must be > 0');
  return {
    url,
    type: values.type ?? (values.file === undefined ? 'conversation.message.created' : undefined),
    id: values.id,
    file: values.file,
    count,
    duplicates: numberOption(values, 'duplicates', 0, 0, { integer: true }),
    concurrentDuplicates: values['concurrent-duplicates'] === true,
    concurrency: numberOption(values, 'concurrency', 8, 1, { integer: true }),
    timeScale,
    timeoutMs: numberOption(values, 'timeout-ms', RESPONSE_TIMEOUT_MS, 1, { integer: true }),
    header: header === 'legacy' ? LEGACY_SIGNATURE_HEADER : SIGNATURE_HEADER,
    printCurl: values['print-curl'] === true,
    secretSource: { secret: values.secret, 'secret-env': values['secret-env'], 'secret-file': values['secret-file'] },
  };
}

/** The bodies to send: the file's bytes `count` times, or `count` sample events. */
export async function eventBodies({ type, id, file, count }) {
  if (file !== undefined) {
    const bytes = readFileSync(file);
    return Array.from({ length: count }, () => bytes);
  }
  // The package's own samples (only needed here, so sender.js imports without the wasm).
  const { sampleEvent, eventTypes } = await import('./node.mjs');
  const types = type === 'all' ? eventTypes().map((t) => t.type) : [type];
  const run = randomUUID().slice(0, 8);
  const createdAt = Math.floor(Date.now() / 1000);
  return Array.from({ length: count }, (_, i) => sampleEvent(types[i % types.length], { id: id ?? `evt_sim_${run}_${i}`, createdAt }));
}

/** `text` as one shell word (POSIX single quotes). */
const shellQuote = (text) => `'${String(text).replaceAll("'", `'\\''`)}'`;

/** A curl command sending what one delivery of `body` sends (`file`: the body is that file's bytes). */
export function curlCommand({ url, secret, body, header, file }) {
  const headers = Object.entries(deliveryHeaders({ secret, body, header })).map(([name, value]) => `-H ${shellQuote(`${name}: ${value}`)}`);
  const data = file === undefined ? shellQuote(body) : shellQuote(`@${file}`);
  return ['curl -sS -X POST', shellQuote(url), ...headers, '--data-binary', data].join(' ');
}

/** `digivault-webhooks send`: resolves to the exit status. */
export async function sendCommand(argv, { stdout, stderr, env }) {
  let options;
  let secret;
  let events;
  try {
    options = parseArgs(argv);
    if (options.help) {
      stdout.write(SEND_USAGE + '\n');
      return 0;
    }
    const read = readSecret(options.secretSource, env);
    secret = read.secret;
    if (read.warning) stderr.write(`digivault-webhooks send: warning: ${read.warning}\n`);
    events = await eventBodies(options);
  } catch (err) {
    stderr.write(`digivault-webhooks send: ${err.message}\n`);
    return 2;
  }
  const { type, id, file, count, printCurl, secretSource, ...sendOptions } = options;
  if (printCurl) {
    for (const body of events) stderr.write(curlCommand({ url: options.url, secret, body, header: options.header, file }) + '\n');
  }
  const summary = await send({ ...sendOptions, secret, events });
  stdout.write(JSON.stringify(summary, null, 2) + '\n');
  return summary.failed === 0 ? 0 : 1;
}
