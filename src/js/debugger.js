// The debugger page's extra API (www/): diagnose a signature, split a pasted raw request.
// Not part of the npm package: it needs the wasm built with the `debugger` cargo feature
// (scripts/build-debugger-wasm.mjs), which keeps the package's .wasm small.
import { asBytesOrEncode, bindings, toSecrets, WebhookError } from './esm/api.js';

const encoder = new TextEncoder();
const decoder = new TextDecoder();

// The payload re-serialized the way JavaScript code does it by mistake. Done here with the
// engine's own JSON.stringify, not in Rust: serde_json would sort the keys and print
// numbers differently, so only JSON.stringify reproduces these bytes exactly.
//
// A body that is not JSON, or one JSON.stringify cannot print (nested deeper than the
// engine's stack allows), has none: the other candidates are still tried.
function reserializations(bytes) {
  try {
    const value = JSON.parse(decoder.decode(bytes));
    return [encoder.encode(JSON.stringify(value)), encoder.encode(JSON.stringify(value, null, 2))];
  } catch {
    return [undefined, undefined];
  }
}

/**
 * Why a signature does or does not verify: `{ verdict, code?, message?, expected,
 * matchedSecret?, findings: [{ code, title, note, secret?, message }] }`. For debugging only:
 * accept webhooks with verify() or Webhook.
 */
export function diagnose(secretOrSecrets, payload, signature, options = {}) {
  const w = bindings();
  const secrets = secretOrSecrets === undefined || secretOrSecrets === null ? [] : toSecrets(secretOrSecrets);
  const bytes = asBytesOrEncode(payload);
  const [compact, pretty] = reserializations(bytes);
  const header = typeof signature === 'string' ? signature : undefined;
  return w.diagnose(bytes, secrets, header, options.legacyHeader === true, compact, pretty);
}

/**
 * Splits a pasted raw HTTP request into `{ method, target, headers, body, signature?,
 * signatureHeader?, legacyHeader, contentLength?, crlf }`; throws a WebhookError
 * `INVALID_REQUEST`.
 */
export function parseRawRequest(raw) {
  const result = bindings().parseRawRequest(asBytesOrEncode(raw));
  if (result.code !== undefined) throw new WebhookError(result.code, result.message);
  return result;
}

/** The signature header names as DigiVault spells them, canonical first. */
export function signatureHeaderNames() {
  return bindings().signatureHeaderNames();
}

/**
 * The catalogue of mistakes a diagnosis can name, in its order: `[{ code, title, note,
 * message }]` (the console names the mistakes of refused deliveries by their codes).
 */
export function mistakeCatalogue() {
  return bindings().mistakeCatalogue();
}
