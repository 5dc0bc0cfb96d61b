// The package's admin CLI (`digivault-webhooks events ...`, `stats`: pkg/cli.js) end to end
// against the BUILT Worker in durable mode, listening on 127.0.0.1 (Miniflare). Needs
// `make build-pkg build-worker`.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';

import { ROOT, SECRET, eventBody, startLocations, waitFor } from './helpers.mjs';
import { ADMIN_TOKEN, eventually, startDurableOrigin } from './durable-helpers.mjs';

const CLI = `${ROOT}pkg/cli.js`;
const run = promisify(execFile);

/** Runs the CLI with the token in ADMIN_TOKEN (or `token`); resolves { code, json, stderr }. */
async function cli(args, { token = ADMIN_TOKEN } = {}) {
  try {
    const { stdout, stderr } = await run(process.execPath, [CLI, ...args], { env: { ...process.env, ADMIN_TOKEN: token } });
    return { code: 0, json: JSON.parse(stdout), stderr };
  } catch (err) {
    return { code: err.code, json: undefined, stderr: err.stderr };
  }
}

describe('admin CLI against the Worker', { skip: !existsSync(CLI) && 'pkg/ is missing: make build-pkg' }, () => {
  let origin;
  let worker;
  let base;
  before(async () => {
    origin = await startDurableOrigin();
    worker = await startLocations({
      vars: {
        WEBHOOK_SECRET: SECRET,
        FORWARD_URL: origin.url,
        FORWARD_TIMEOUT_MS: '1000',
        DELIVERY_MODE: 'durable',
        RETRY_SCHEDULE_SECONDS: '0.1,0.1',
        ADMIN_TOKEN,
      },
      listen: true,
    });
    base = new URL(worker.urls.a).origin;
  });
  after(async () => {
    await worker?.dispose();
    await origin?.close();
  });

  test('events get / list / replay and stats', async () => {
    const body = eventBody();
    const { id } = JSON.parse(body);
    origin.failIds.add(id);
    assert.equal((await worker.a.post(body)).status, 202);
    const dead = await eventually(() => cli(['events', 'get', id, '--url', base]), (r) => r.json?.state === 'dead', 'dead');
    assert.equal(dead.json.attempts.length, 3);

    const list = await cli(['events', 'list', '--state', 'dead', '--url', base]);
    assert.equal(list.code, 0, list.stderr);
    assert.deepEqual(list.json.events.map((e) => e.id), [id]);
    const stats = await cli(['stats', '--url', base]);
    assert.equal(stats.json.dead, 1);

    origin.failIds.clear();
    const replay = await cli(['events', 'replay', id, '--url', base]);
    assert.equal(replay.code, 0, replay.stderr);
    await waitFor(() => origin.acceptedFor(id).length === 1, 'delivered after the replay');
    const shown = await cli(['events', 'get', id, '--body', '--url', base]);
    assert.equal(shown.json.body, body);

    const refused = await cli(['stats', '--url', base], { token: 'not-the-admin-token-0123456789abcdef' });
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /401/);
  });
});
