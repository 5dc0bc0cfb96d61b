// A local origin on 127.0.0.1:0 for the sender and CLI tests, recording each request.
import { createServer } from 'node:http';

/**
 * Answers the n-th request (from 0) with `answer(n)`: a status, or 'hang' (no answer until
 * closed). Records each request with its arrival time.
 */
export async function origin(answer) {
  const received = [];
  const hanging = [];
  const server = createServer((req, res) => {
    const chunks = [];
    req.on('data', (chunk) => chunks.push(chunk));
    req.on('end', () => {
      const n = received.length;
      received.push({ at: performance.now(), headers: req.headers, body: Buffer.concat(chunks) });
      const status = answer(n);
      if (status === 'hang') return hanging.push(res);
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ status: status < 300 ? 'forwarded' : 'error' }));
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${server.address().port}/webhooks`,
    received,
    close: async () => {
      for (const res of hanging) res.destroy();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
