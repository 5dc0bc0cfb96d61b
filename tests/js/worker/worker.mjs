// A user's own Worker, written in JS, that imports the package by name: bundled by the
// test with the `workerd` export condition and run in workerd through Miniflare.
import { verifyRequest, WebhookError } from 'digivault-webhooks';

export default {
  async fetch(request, env) {
    try {
      const event = await verifyRequest(request, [env.WEBHOOK_SECRET, env.WEBHOOK_SECRET_PREVIOUS]);
      return Response.json({ id: event.id, type: event.type });
    } catch (error) {
      if (!(error instanceof WebhookError)) throw error;
      return Response.json({ code: error.code, path: error.path }, { status: error.status });
    }
  },
};
