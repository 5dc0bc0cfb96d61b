// The benchmark's origin: answers every forwarded webhook 200 at once, on 127.0.0.1.
// Prints {"port": N} when listening. Used only by bench/worker/run.mjs.
import { createServer } from 'node:http';

let received = 0;
let connections = 0;
const server = createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    received++;
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end('{"ok":true}');
  });
});
server.keepAliveTimeout = 60_000;
server.on('connection', () => connections++);
server.listen(0, '127.0.0.1', () => console.log(JSON.stringify({ port: server.address().port })));
process.on('SIGTERM', () => {
  console.error(`origin received ${received} webhooks over ${connections} connections`);
  server.close(() => process.exit(0));
  server.closeAllConnections();
});
