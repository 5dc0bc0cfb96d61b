// A CommonJS TypeScript project (module node16, no "type": "module"): the import compiles
// to require(), so the package must offer CommonJS declarations (index.d.cts).
import { Webhook, WebhookError, type DigiVaultEvent } from 'digivault-webhooks';
import express = require('express');

const webhook = new Webhook([process.env.WEBHOOK_SECRET]);
export function receive(body: Buffer, signature: string | undefined): DigiVaultEvent | string {
  try {
    return webhook.constructEvent(body, signature);
  } catch (error) {
    if (error instanceof WebhookError) return error.code;
    throw error;
  }
}
export const app = express();
