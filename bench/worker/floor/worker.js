// The floor's work in plain JS (bench only): what bench/worker/floor/src/lib.rs does (a JSON
// /health, a POST forwarded to FORWARD_URL, one JSON log line per request), so that the cold
// start's benches can tell the cost of workers-rs itself from the cost of the receiver's work.
const reply = (status, body) => new Response(body, { status, headers: { 'content-type': 'application/json' } });

export default {
  async fetch(request, env) {
    const started = Date.now();
    let response;
    if (new URL(request.url).pathname === '/health') {
      response = reply(200, '{"status":"ok"}');
    } else if (request.method === 'POST') {
      const body = await request.arrayBuffer();
      const origin = await fetch(env.FORWARD_URL, { method: 'POST', body }).catch(() => null);
      response = origin?.ok ? reply(200, '{"status":"forwarded"}') : reply(502, '{"status":"error","code":"ORIGIN_ERROR"}');
    } else {
      response = reply(404, '{"status":"error","code":"NOT_FOUND"}');
    }
    if (!env.FLOOR_QUIET) console.log(JSON.stringify({ status: response.status, duration_ms: Date.now() - started }));
    return response;
  },
};
