// A free TCP port on 127.0.0.1 for a server that another process binds later (wrangler dev,
// workerd, make dev's inner port).
//
// Not the port `listen(0)` hands out: that comes from the OS's ephemeral range, where the
// next `listen(0)` or outgoing connection of any process may take it again between our check
// and the child's bind; with test files running side by side that happened (a test's
// wrangler dev answered by another test's origin). So a random port below the ephemeral
// ranges of Linux (32768-60999) and macOS/Windows (49152-65535), checked by binding it.
import { createServer } from 'node:net';

const LOW = 20_000;
const HIGH = 32_000;

/** Resolves with a port in [20000, 32000) that was free on 127.0.0.1 a moment ago. */
export async function freePort() {
  for (let attempt = 0; attempt < 100; attempt++) {
    const port = LOW + Math.floor(Math.random() * (HIGH - LOW));
    if (await bindable(port)) return port;
  }
  throw new Error(`free-port: no free port in [${LOW}, ${HIGH}) after 100 tries`);
}

function bindable(port) {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}
