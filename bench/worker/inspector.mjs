// V8's sampling profiler in a workerd isolate, through Miniflare's `inspectorPort` (the
// DevTools protocol over a WebSocket: Node >= 22). Used by first-request-profile.mjs and
// steady-profile.mjs.

/**
 * Attaches to the isolate of the worker whose title includes `title` (else the first one) and
 * returns `{ start, stop }`: `stop()` ends the profile and resolves to its self time per
 * function, `[name and file, µs]` sorted largest first, and the total sampled µs.
 */
export async function attachProfiler(port, title, intervalUs = 50) {
  const targets = await (await fetch(`http://127.0.0.1:${port}/json`)).json();
  const socket = new WebSocket((targets.find((t) => t.title?.includes(title)) ?? targets[0]).webSocketDebuggerUrl);
  await new Promise((resolve) => socket.addEventListener('open', resolve));
  let id = 0;
  const pending = new Map();
  socket.addEventListener('message', ({ data }) => {
    const message = JSON.parse(data);
    pending.get(message.id)?.(message);
    pending.delete(message.id);
  });
  const send = (method, params = {}) =>
    new Promise((resolve) => {
      pending.set(++id, resolve);
      socket.send(JSON.stringify({ id, method, params }));
    });
  return {
    async start() {
      await send('Profiler.enable');
      await send('Profiler.setSamplingInterval', { interval: intervalUs });
      await send('Profiler.start');
    },
    async stop() {
      const { profile } = (await send('Profiler.stop')).result;
      socket.close();
      const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
      const self = new Map();
      profile.samples.forEach((sample, i) => {
        const { functionName, url } = nodes.get(sample).callFrame;
        const key = `${functionName || '(anonymous)'} ${url.split('/').pop()}`;
        self.set(key, (self.get(key) ?? 0) + (profile.timeDeltas[i] ?? 0));
      });
      const total = [...self.values()].reduce((a, b) => a + b, 0);
      return { selfTimes: [...self].sort((a, b) => b[1] - a[1]), total };
    },
  };
}
