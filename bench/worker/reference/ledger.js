// A hand-written JS `EventLedger` (not a test, not shipped): the same RPC method (`answer(path,
// body)`), schema and SQL per operation as src/worker/ledger.rs for the calls a forwarded
// event makes (claim, done mark, release after a failure), with none of the rest (lookup,
// durable mode, the admin API, expiry). `BENCH_JS_LEDGER=1 node bench/worker/cold-start.mjs`
// runs the webhook script against it (what our wasm object adds over the same storage work
// written in JS: docs/performance.md, "Cold start: what the ledger shard's start costs"), and
// the JS reference Worker with it (reference/worker.js with `LEDGER`: a hand-written Worker
// with the same exactly-once guarantee).
import { DurableObject } from 'cloudflare:workers';

const PUT = `INSERT INTO events (id, body_sha256, state, received_at, lease_until, expires_at, event_type)
  VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT(id) DO UPDATE SET body_sha256 = excluded.body_sha256,
  state = excluded.state, received_at = excluded.received_at, lease_until = excluded.lease_until,
  expires_at = excluded.expires_at`;

export class EventLedger extends DurableObject {
  #ready = false;
  #alarm; // undefined until read: then the armed time or null

  #sql() {
    const sql = this.ctx.storage.sql;
    if (!this.#ready) {
      // src/worker/ledger.rs's SCHEMA, read from it by the bench (common.mjs's jsLedgerHost).
      sql.exec(this.env.SCHEMA);
      sql.exec('SELECT content_type FROM events LIMIT 0');
      this.#ready = true;
    }
    return sql;
  }

  async answer(path, body) {
    return this.#run(path, JSON.parse(new TextDecoder().decode(body)));
  }

  async #run(path, request) {
    const sql = this.#sql();
    const now = Date.now();
    const row = sql.exec('SELECT id, body_sha256, state, received_at, lease_until, expires_at FROM events WHERE id = ?', request.id).toArray()[0];
    if (path === '/claim') {
      if (row && row.expires_at > now && (row.state === 'done' || row.lease_until > now)) {
        if (row.body_sha256 !== request.body_sha256) return JSON.stringify({ outcome: 'conflict', stored_sha256: row.body_sha256 });
        return JSON.stringify(row.state === 'done' ? { outcome: 'done' } : { outcome: 'in_flight', lease_until: row.lease_until });
      }
      // As state.rs's `claim`: a token above the replaced claim's, a row outliving its lease.
      let token = now + Math.max(request.lease_ms, 1);
      if (row?.lease_until != null) token = Math.max(token, row.lease_until + 1);
      const expires = Math.max(now + request.done_ttl_ms, token);
      sql.exec(PUT, request.id, request.body_sha256, 'claimed', now, token, expires, request.event_type ?? null);
      await this.#armFor(expires);
      return JSON.stringify({ outcome: 'claimed', token });
    }
    if (path === '/done') {
      // As state.rs's `done`: done whatever the row holds (the origin has the event).
      const received = row && row.expires_at > now && (row.state !== 'claimed' || row.lease_until > now) ? row.received_at : now;
      const expires = now + request.done_ttl_ms;
      sql.exec(PUT, request.id, request.body_sha256, 'done', received, null, expires, null);
      await this.#armFor(expires);
      return '{}';
    }
    if (path === '/release') {
      // As state.rs's `release`: only the claim holding the token; its lease ends now.
      if (row?.state === 'claimed' && row.lease_until === request.token) {
        sql.exec(PUT, row.id, row.body_sha256, 'claimed', row.received_at, Math.min(request.token, now), row.expires_at, null);
      }
      return '{}';
    }
    throw new Error(`not in this reference: ${path}`);
  }

  // As ArmedAlarm::arm_for: one getAlarm per instance, a setAlarm only when none is armed
  // as early (src/worker/alarm.rs; the batching of expiries left out).
  async #armFor(at) {
    if (this.#alarm === undefined) this.#alarm = await this.ctx.storage.getAlarm();
    if (this.#alarm === null || this.#alarm > at) {
      this.#alarm = at;
      await this.ctx.storage.setAlarm(at);
    }
  }

  // cold-start.mjs starts a shard with a lookup over HTTP for its "shard warm" row.
  async fetch() {
    this.#sql();
    return Response.json({ outcome: 'unknown' });
  }

  async alarm() {}
}

export default {
  async fetch() {
    return new Response('the reference ledger has no routes', { status: 404 });
  },
};
