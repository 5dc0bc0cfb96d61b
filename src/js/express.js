// Express (and Connect-style) middleware that reads the raw body itself.
import { Webhook, WebhookError, defaultMaxPayloadBytes, optionalCount, payloadTooLarge } from './api.js';

/** Names the parser that consumed the body, from what it left on `req`. */
function parserThatRan(req) {
  if (typeof req.body === 'string') return 'express.text()';
  const type = String(req.headers?.['content-type'] ?? '');
  if (req.body !== null && typeof req.body === 'object' && type.startsWith('application/x-www-form-urlencoded')) {
    return 'express.urlencoded()';
  }
  if (req.body !== null && typeof req.body === 'object') return 'express.json()';
  return 'another middleware';
}

function alreadyParsed(req) {
  const parser = parserThatRan(req);
  return new WebhookError(
    'BODY_ALREADY_PARSED',
    `the request body was already consumed by ${parser}, so the signed bytes are gone: ` +
      `mount this middleware on the webhook route before ${parser === 'another middleware' ? 'any body parser' : parser} ` +
      "(or use express.raw({ type: 'application/json' }) there, or keep the bytes with " +
      'express.json({ verify: (req, res, buf) => { req.rawBody = buf } }))',
  );
}

const tooLarge = (limit) => payloadTooLarge(`payload too large: over ${limit} bytes`);

function readRawBody(req, limit) {
  // express.raw() keeps the exact bytes: use them.
  // So does a parser's `verify` hook that stored them as req.rawBody. Either is held to the limit.
  const kept = Buffer.isBuffer(req.body) ? req.body : Buffer.isBuffer(req.rawBody) ? req.rawBody : undefined;
  if (kept !== undefined) return kept.length > limit ? Promise.reject(tooLarge(limit)) : Promise.resolve(kept);
  const parsed =
    req._body === true ||
    typeof req.body === 'string' ||
    (req.body !== null && typeof req.body === 'object' && Object.keys(req.body).length > 0);
  if (parsed || req.readableEnded) return Promise.reject(alreadyParsed(req));
  return new Promise((resolve, reject) => {
    const chunks = [];
    let size = 0;
    const fail = (error) => {
      req.off('data', onData);
      req.off('end', onEnd);
      reject(error);
    };
    const onData = (chunk) => {
      size += chunk.length;
      if (size > limit) {
        fail(tooLarge(limit));
        req.resume();
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => resolve(Buffer.concat(chunks, size));
    req.on('data', onData);
    req.on('end', onEnd);
    req.once('error', fail);
  });
}

/**
 * The reading limit: the Webhook's `maxPayloadBytes`, or a smaller one given to the middleware
 * beside a pre-built Webhook (it would otherwise be ignored), or 1 MiB.
 */
function readingLimit(webhook, options) {
  const own = webhook.maxPayloadBytes ?? defaultMaxPayloadBytes();
  const given = optionalCount(options, 'maxPayloadBytes');
  return given === undefined ? own : Math.min(own, given);
}

/**
 * Verifies DigiVault webhooks in Express. On success the event is at `req.webhookEvent`
 * and the raw body at `req.rawBody`; on failure it answers JSON `{ code, message, path }`
 * with the error's HTTP status, or calls `options.onError(error, req, res, next)`. Beside a
 * pre-built Webhook only `maxPayloadBytes` (a lower reading limit) and `onError` apply.
 */
export function expressMiddleware(secretOrWebhook, options = {}) {
  const prebuilt = secretOrWebhook instanceof Webhook;
  if (prebuilt && (options.toleranceSeconds != null || options.now != null)) {
    throw new TypeError('toleranceSeconds and now belong to the Webhook: pass them to new Webhook(), not here');
  }
  const webhook = prebuilt ? secretOrWebhook : new Webhook(secretOrWebhook, options);
  const limit = readingLimit(webhook, options);
  return function digivaultWebhook(req, res, next) {
    readRawBody(req, limit).then(
      (body) => {
        try {
          req.webhookEvent = webhook.constructEvent(body, req.headers);
          req.rawBody = body;
        } catch (error) {
          return fail(error);
        }
        return next();
      },
      fail,
    );
    function fail(error) {
      if (!(error instanceof WebhookError)) return next(error);
      if (options.onError) return options.onError(error, req, res, next);
      return res.status(error.status).json({ code: error.code, message: error.message, path: error.path });
    }
  };
}
