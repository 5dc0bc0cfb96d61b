#!/usr/bin/env node
// digivault-webhooks: the package's command line. `send` (cli-send.js) is the sender
// simulator; `events` and `stats` (cli-admin.js) call the receiver Worker's admin API; `listen`
// (cli-listen.js) brings the Worker's events to a local server. This file picks the subcommand.
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ADMIN_USAGE, adminCommand } from './cli-admin.js';
import { SEND_USAGE, sendCommand } from './cli-send.js';
import { LISTEN_USAGE, listenCommand } from './cli-listen.js';

const USAGE = `${SEND_USAGE}\n\n${ADMIN_USAGE}\n\n${LISTEN_USAGE}`;

const COMMANDS = {
  send: sendCommand,
  events: (argv, io) => adminCommand('events', argv, io),
  stats: (argv, io) => adminCommand('stats', argv, io),
  listen: listenCommand,
};

/** The CLI: resolves to the exit status. */
export async function main(argv, { stdout = process.stdout, stderr = process.stderr, env = process.env } = {}) {
  const [command, ...rest] = argv;
  if (command === '--help' || command === '-h' || command === 'help') {
    stdout.write(USAGE + '\n');
    return 0;
  }
  const run = COMMANDS[command];
  if (run === undefined) {
    stderr.write(`${command === undefined ? 'missing command' : `unknown command ${command}`}\n\n${USAGE}\n`);
    return 2;
  }
  return run(rest, { stdout, stderr, env });
}

const invokedDirectly = (() => {
  try {
    return process.argv[1] !== undefined && realpathSync(process.argv[1]) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
})();
if (invokedDirectly) process.exitCode = await main(process.argv.slice(2));
