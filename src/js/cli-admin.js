// `digivault-webhooks events ...` and `stats`: the command line of the receiver Worker's admin
// API (durable delivery: an event's timeline, the dead letters, replays). Prints each JSON
// reply on stdout. The bearer token is read from the environment only, never from the
// command line, where the process list and shell history would show it.
import { numberOption, parseCommandLine } from './cli-args.js';
import { fetchErrorCode, jsonOrUndefined } from './sender.js';

/** Where the admin token is read from unless --token-env names another variable. */
export const DEFAULT_TOKEN_ENV = 'ADMIN_TOKEN';
/** How long one admin request may take before it counts as failed. */
const REQUEST_TIMEOUT_MS = 30_000;

export const ADMIN_USAGE = `Usage: digivault-webhooks events get ID [--body] --url URL
       digivault-webhooks events list --state dead|pending [--limit N] [--cursor C] --url URL
       digivault-webhooks events replay ID --url URL
       digivault-webhooks events replay --state dead --url URL
       digivault-webhooks stats --url URL

Calls the receiver Worker's admin API (/admin/...) and prints its JSON reply.

  --url URL                 the Worker's base URL, e.g. https://receiver.example.workers.dev (required)
  --token-env NAME          read the admin token from this environment variable (default ${DEFAULT_TOKEN_ENV});
                            it is never accepted on the command line
  --body                    get: include the event's raw body
  --state STATE             list: dead or pending; replay: dead (a bounded batch of dead events)
  --limit N                 list: events per page (the Worker caps it)
  --cursor C                list: the page after the one that returned this cursor

Exit status: 0 when the Worker answered 2xx, 1 on an HTTP error (its status is printed on
stderr) or no answer, 2 on bad usage.`;

const OPTIONS = {
  url: { type: 'string' },
  'token-env': { type: 'string' },
  body: { type: 'boolean' },
  state: { type: 'string' },
  limit: { type: 'string' },
  cursor: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
};

const LIST_STATES = ['dead', 'pending'];

/**
 * The request a command line asks for: { method, path, query, baseUrl, tokenEnv } (or
 * { help: true }). `command` is 'events' or 'stats'; throws a TypeError for bad usage.
 */
export function parseAdminArgs(command, argv) {
  if (argv.some((arg) => arg === '--token' || arg.startsWith('--token='))) {
    throw new TypeError(`the admin token is read from the environment only (--token-env NAME, default ${DEFAULT_TOKEN_ENV})`);
  }
  const { values, positionals } = parseCommandLine(argv, OPTIONS);
  if (values.help) return { help: true };
  const request = parseRequest(command, positionals, values);
  const allowed = { get: ['body'], list: ['state', 'limit', 'cursor'], replay: ['state'], stats: [] }[request.kind];
  for (const name of ['body', 'state', 'limit', 'cursor']) {
    if (values[name] !== undefined && !allowed.includes(name)) throw new TypeError(`--${name} does not apply to ${request.kind}`);
  }
  if (!values.url || !/^https?:\/\//.test(values.url)) throw new TypeError('--url must be the Worker\'s http:// or https:// base URL');
  return { ...request, baseUrl: values.url, tokenEnv: values['token-env'] ?? DEFAULT_TOKEN_ENV };
}

/** The method, path and query of one subcommand. */
function parseRequest(command, positionals, values) {
  const [action, id, ...extra] = command === 'stats' ? ['stats', ...positionals] : positionals;
  const noMore = (args) => {
    if (args.length > 0) throw new TypeError(`unexpected argument ${args[0]}`);
  };
  const event = (suffix = '') => `/admin/events/${encodeURIComponent(id)}${suffix}`;
  switch (action) {
    case 'stats':
      noMore(id === undefined ? [] : [id, ...extra]);
      return { kind: 'stats', method: 'GET', path: '/admin/stats', query: {} };
    case 'get':
      if (id === undefined) throw new TypeError('events get needs an event id');
      noMore(extra);
      return { kind: 'get', method: 'GET', path: event(), query: values.body ? { body: '1' } : {} };
    case 'list': {
      noMore(id === undefined ? [] : [id, ...extra]);
      if (!LIST_STATES.includes(values.state)) throw new TypeError(`events list needs --state ${LIST_STATES.join(' or ')}`);
      const query = { state: values.state };
      const limit = numberOption(values, 'limit', undefined, 1, { integer: true });
      if (limit !== undefined) query.limit = String(limit);
      if (values.cursor !== undefined) query.cursor = values.cursor;
      return { kind: 'list', method: 'GET', path: '/admin/events', query };
    }
    case 'replay':
      noMore(extra);
      if (id !== undefined && values.state !== undefined) throw new TypeError('events replay takes an event id or --state dead, not both');
      if (id !== undefined) return { kind: 'replay', method: 'POST', path: event('/replay'), query: {} };
      if (values.state !== 'dead') throw new TypeError('events replay needs an event id or --state dead');
      return { kind: 'replay', method: 'POST', path: '/admin/events/replay', query: { state: 'dead' } };
    default:
      throw new TypeError(action === undefined ? 'events needs get, list or replay' : `unknown events command ${action}`);
  }
}

/** The request's URL under the Worker's base URL (a base path, if any, is kept). */
export function adminUrl(baseUrl, path, query) {
  const url = new URL(baseUrl);
  url.pathname = url.pathname.replace(/\/+$/, '') + path;
  url.search = new URLSearchParams(query).toString();
  return url;
}

/** `digivault-webhooks events|stats`: resolves to the exit status. */
export async function adminCommand(command, argv, { stdout, stderr, env, fetch: fetchImpl = globalThis.fetch }) {
  const name = `digivault-webhooks ${command}`;
  let request;
  try {
    request = parseAdminArgs(command, argv);
  } catch (err) {
    stderr.write(`${name}: ${err.message}\n`);
    return 2;
  }
  if (request.help) {
    stdout.write(ADMIN_USAGE + '\n');
    return 0;
  }
  const token = env[request.tokenEnv];
  if (!token) {
    stderr.write(`${name}: no admin token: set ${request.tokenEnv}${request.tokenEnv === DEFAULT_TOKEN_ENV ? ' or use --token-env NAME' : ''}\n`);
    return 2;
  }
  let response;
  let text;
  try {
    response = await fetchImpl(adminUrl(request.baseUrl, request.path, request.query), {
      method: request.method,
      headers: { authorization: `Bearer ${token}`, accept: 'application/json' },
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
    text = await response.text();
  } catch (err) {
    const why = err?.name === 'TimeoutError' ? `no answer within ${REQUEST_TIMEOUT_MS / 1000} s` : fetchErrorCode(err);
    stderr.write(`${name}: no answer from ${request.baseUrl}: ${why}\n`);
    return 1;
  }
  const reply = jsonOrUndefined(text);
  if (reply !== undefined) stdout.write(JSON.stringify(reply, null, 2) + '\n');
  else if (text) stdout.write(text.endsWith('\n') ? text : `${text}\n`);
  if (response.ok) return 0;
  stderr.write(`${name}: HTTP ${response.status}${typeof reply?.code === 'string' ? ` ${reply.code}` : ''}\n`);
  return 1;
}
