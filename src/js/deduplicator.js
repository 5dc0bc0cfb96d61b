// A bounded replacement for the guide's ever-growing `new Set()` of seen event ids.
import { defaultLimits } from './api.js';

/**
 * Remembers event ids for `ttlSeconds` (default 48 h, longer than DigiVault's 7 h 21 min
 * retry horizon), keeping at most `maxEntries` (oldest dropped first). In-memory: for one
 * process; use a shared store (KV, Redis, a database) when several serve the webhook.
 */
export class Deduplicator {
  #expiry = new Map();
  #ttlMillis;
  #maxEntries;
  #now;

  constructor({ ttlSeconds = defaultLimits().dedupTtlSeconds, maxEntries = 10000, now = Date.now } = {}) {
    if (!(ttlSeconds > 0)) throw new TypeError('ttlSeconds must be a positive number');
    if (!Number.isInteger(maxEntries) || maxEntries < 1) throw new TypeError('maxEntries must be a positive integer');
    this.#ttlMillis = ttlSeconds * 1000;
    this.#maxEntries = maxEntries;
    this.#now = () => {
      const value = now();
      return value instanceof Date ? value.getTime() : value;
    };
  }

  /** Whether `id` was added and has not expired. */
  has(id) {
    const expires = this.#expiry.get(id);
    if (expires === undefined) return false;
    if (expires > this.#now()) return true;
    this.#expiry.delete(id);
    return false;
  }

  /** Remembers `id`; call it after the event was processed successfully. */
  add(id) {
    const now = this.#now();
    this.#expiry.delete(id);
    this.#expiry.set(id, now + this.#ttlMillis);
    // Every entry has the same TTL, so insertion order is expiry order.
    for (const [oldest, expires] of this.#expiry) {
      if (expires > now && this.#expiry.size <= this.#maxEntries) break;
      this.#expiry.delete(oldest);
    }
    return this;
  }

  /** Forgets `id`, e.g. when processing failed after all. */
  delete(id) {
    return this.#expiry.delete(id);
  }

  /** Number of ids remembered (expired ones may still count until touched). */
  get size() {
    return this.#expiry.size;
  }

  /** Forgets everything. */
  clear() {
    this.#expiry.clear();
  }
}
