// Types of the public API. The event types (EventType, DigiVaultEvent, Message, ...) are
// generated from the Rust types by tsify and wasm-bindgen, not written here.
import type { CoreErrorCode, DigiVaultEvent, EventType, JsErrorCode, KnownEvent } from './events.js';

export type {
  EventType,
  DigiVaultEvent,
  KnownEvent,
  UnknownEvent,
  EventOf,
  Message,
  Contact,
  Conversation,
  Group,
  GroupMembership,
} from './events.js';

/** Stable error codes: the core's (generated from its table) and the JS glue's own (`JS_ERROR_CODES`). */
export type WebhookErrorCode = CoreErrorCode | JsErrorCode;

/** What a payload may be: the raw body, exactly as received. */
export type Payload = string | Uint8Array | ArrayBuffer | ArrayBufferView;

/**
 * The secret, or a list of them during a rotation. Missing entries (`undefined`, `null`,
 * `''`, e.g. an unset environment variable) are skipped; `NO_SECRET` if none remain.
 */
export type Secrets = string | null | undefined | readonly (string | null | undefined)[];

/** A header value, a Fetch `Headers`, or a Node-style headers object. */
export type SignatureOrHeaders =
  | string
  | null
  | undefined
  | { get(name: string): string | null }
  | Record<string, string | string[] | undefined>;

/** Every failure: `code` is stable, `status` is the HTTP status to answer with. */
export declare class WebhookError extends Error {
  readonly name: 'WebhookError';
  readonly code: WebhookErrorCode;
  /** HTTP status to answer DigiVault with (401, 400, 413, or 500 for misconfiguration). */
  readonly status: number;
  /** JSON path of the offending value, for `INVALID_EVENT`. */
  readonly path?: string;
}

export interface WebhookOptions {
  /** Reject events whose `created_at` is further than this from now, either way. Off by default. */
  toleranceSeconds?: number | undefined;
  /** Reject larger payloads before copying or hashing them (`verifyRequest` and the Express middleware read at most this much; 1 MiB when unset). */
  maxPayloadBytes?: number | undefined;
  /** The clock, as a Date or epoch milliseconds; defaults to `Date.now`. */
  now?: (() => Date | number) | undefined;
}

/** A configured receiver: build once at start-up (the HMAC key state is computed here). */
export declare class Webhook {
  constructor(secretOrSecrets: Secrets, options?: WebhookOptions);
  readonly maxPayloadBytes: number | undefined;
  /** Throws a WebhookError unless the signature signs exactly `payload`. */
  verify(payload: Payload, signatureOrHeaders: SignatureOrHeaders): void;
  /** Verifies, validates and returns the typed event; throws a WebhookError otherwise. */
  constructEvent(payload: Payload, signatureOrHeaders: SignatureOrHeaders): DigiVaultEvent;
  /** The expected signature for each secret: for debugging only. */
  expectedSignatures(payload: Payload): string[];
}

/** Lowercase hex HMAC-SHA256 of the payload's bytes. */
export declare function sign(secret: string, payload: Payload): string;
/** True when the signature is valid for one of the secrets; false (never throws) otherwise. */
export declare function verify(secretOrSecrets: Secrets, payload: Payload, signature: string | null | undefined): boolean;
/** Whether the event's type is one of the sixteen known ones; narrows it to `KnownEvent`. */
export declare function isKnownEvent(event: DigiVaultEvent): event is KnownEvent;
/** Validates an event without verifying it. */
export declare function parseEvent(payload: Payload): DigiVaultEvent;
/** A sample event body (JSON string) of one of the sixteen types. */
export declare function sampleEvent(type: EventType, options?: { id?: string | undefined; createdAt?: number | undefined }): string;
/** The sixteen event types, with the guide's description and their object's type name. */
export declare function eventTypes(): { type: EventType; description: string; object: string }[];
/** The signature header value from a value, Headers or headers object. */
export declare function findSignature(signatureOrHeaders: SignatureOrHeaders): string;
/** Reads (at most the Webhook's `maxPayloadBytes`, 1 MiB without one), verifies and parses a Fetch API Request. */
export declare function verifyRequest(request: Request, secretOrWebhook: Secrets | Webhook): Promise<DigiVaultEvent>;

/**
 * Express middleware: sets `req.webhookEvent` and `req.rawBody`, or answers the error as JSON.
 * Beside a pre-built Webhook, `options.maxPayloadBytes` lowers the reading limit and
 * `toleranceSeconds`/`now` are a TypeError (they belong to the Webhook).
 */
export declare function expressMiddleware(
  secretOrWebhook: Secrets | Webhook,
  options?: WebhookOptions & {
    onError?: ((error: WebhookError, req: any, res: any, next: (error?: unknown) => void) => void) | undefined;
  },
): (req: any, res: any, next: (error?: unknown) => void) => void;

/** What `Deduplicator.claim` found: process it, processed already, or being processed now. */
export type ClaimResult = 'claimed' | 'duplicate' | 'in_flight';

/** A bounded in-memory set of processed event ids with a TTL, for single-process apps. */
export declare class Deduplicator {
  constructor(options?: {
    ttlSeconds?: number | undefined;
    leaseSeconds?: number | undefined;
    maxEntries?: number | undefined;
    now?: (() => Date | number) | undefined;
  });
  /** Atomically claims `id`; after 'claimed', call `complete(id)` on success or `release(id)` on failure. */
  claim(id: string): ClaimResult;
  /** Marks a claimed id as processed. */
  complete(id: string): this;
  /** Gives up a claim so that the next delivery may claim the id. */
  release(id: string): boolean;
  has(id: string): boolean;
  add(id: string): this;
  delete(id: string): boolean;
  readonly size: number;
  clear(): void;
}

// Without this, a declaration file exports its unexported helper types (WasmModule, RawBody).
export {};

/** A compiled `WebAssembly.Module`, named without needing the DOM lib. */
type WasmModule = typeof globalThis extends { WebAssembly: { Module: { prototype: infer M } } } ? M : never;

/**
 * Loads the wasm; required once in browsers (from next to web.js, or from `input`: the URL a
 * bundler gives for `digivault-webhooks/wasm`, a Response, the bytes or a compiled module).
 * Optional in Node, Deno and Bun, which compile the module at the first call that needs it:
 * there, `init()` compiles it now (e.g. at server start-up).
 */
export declare function init(input?: string | URL | Request | Response | ArrayBuffer | ArrayBufferView | WasmModule): Promise<void>;

/** @internal Called by each entry point with the wasm-bindgen module it loaded. */
export declare function useBindings(bindings: object): void;

/** Node's `Buffer` where @types/node is loaded, `Uint8Array` otherwise. */
type RawBody = typeof globalThis extends { Buffer: { isBuffer(value: any): value is infer B } } ? B : Uint8Array;

declare global {
  namespace Express {
    interface Request {
      /** Set by `expressMiddleware`: the verified and validated event. */
      webhookEvent?: DigiVaultEvent;
      /** Set by `expressMiddleware`: the exact bytes that were verified. */
      rawBody?: RawBody;
    }
  }
}
