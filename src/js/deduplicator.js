// A bounded replacement for the guide's ever-growing `new Set()` of seen event ids, with an
// atomic claim so that two concurrent deliveries of one event are not both processed.
import { defaultLimits } from './api.js';

/**
 * Remembers processed event ids for `ttlSeconds` (default 48 h, longer than DigiVault's
 * 7 h 21 min retry horizon), keeping at most `maxEntries` (oldest dropped first), and the
 * ids being processed for at most `leaseSeconds` (default 60 s: longer than the 30 s
 * DigiVault waits for an answer, like the Worker's lease). In-memory: for one process; use
 * a shared store (KV, Redis, a database) when several serve the webhook.
 */
export class Deduplicator {
  #expiry = new Map();
  #leases = new Map();
  #ttlMillis;
  #leaseMillis;
  #maxEntries;
  #now;

  constructor({ ttlSeconds = defaultLimits().dedupTtlSeconds, leaseSeconds = 60, maxEntries = 10000, now = Date.now } = {}) {
    if (!(ttlSeconds > 0)) throw new TypeError('ttlSeconds must be a positive number');
    if (!(leaseSeconds > 0)) throw new TypeError('leaseSeconds must be a positive number');
    if (!Number.isInteger(maxEntries) || maxEntries < 1) throw new TypeError('maxEntries must be a positive integer');
    this.#ttlMillis = ttlSeconds * 1000;
    this.#leaseMillis = leaseSeconds * 1000;
    this.#maxEntries = maxEntries;
    this.#now = () => {
      const value = now();
      return value instanceof Date ? value.getTime() : value;
    };
  }

  /**
   * Claims `id` for processing, in one step (no `await` can come between the check and the
   * claim): 'claimed' (process it, then `complete(id)`, or `release(id)` if that failed),
   * 'duplicate' (already processed) or 'in_flight' (another delivery is processing it now,
   * and its lease has not expired: answer non-2xx so that DigiVault retries).
   */
  claim(id) {
    if (this.has(id)) return 'duplicate';
    const now = this.#now();
    const lease = this.#leases.get(id);
    if (lease !== undefined && lease > now) return 'in_flight';
    remember(this.#leases, id, now + this.#leaseMillis, now, this.#maxEntries);
    return 'claimed';
  }

  /** Marks a claimed `id` as processed: later claims are 'duplicate' for `ttlSeconds`. */
  complete(id) {
    this.#leases.delete(id);
    return this.add(id);
  }

  /** Gives up the claim on `id` (processing failed): the next delivery may claim it. */
  release(id) {
    return this.#leases.delete(id);
  }

  /** Whether `id` was processed (`complete` or `add`) and has not expired. */
  has(id) {
    const expires = this.#expiry.get(id);
    if (expires === undefined) return false;
    if (expires > this.#now()) return true;
    this.#expiry.delete(id);
    return false;
  }

  /** Remembers `id` as processed, without a claim. */
  add(id) {
    const now = this.#now();
    remember(this.#expiry, id, now + this.#ttlMillis, now, this.#maxEntries);
    return this;
  }

  /** Forgets `id`, processed or claimed. */
  delete(id) {
    const claimed = this.#leases.delete(id);
    return this.#expiry.delete(id) || claimed;
  }

  /** Number of processed ids remembered (expired ones may still count until touched). */
  get size() {
    return this.#expiry.size;
  }

  /** Forgets everything. */
  clear() {
    this.#expiry.clear();
    this.#leases.clear();
  }
}

/** Sets `id` to expire at `expires`, dropping expired entries and the oldest past `maxEntries`. */
function remember(map, id, expires, now, maxEntries) {
  map.delete(id);
  map.set(id, expires);
  // Every entry of a map has the same lifetime, so insertion order is expiry order.
  for (const [oldest, at] of map) {
    if (at > now && map.size <= maxEntries) break;
    map.delete(oldest);
  }
}
