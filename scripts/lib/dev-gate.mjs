// `make dev`'s front door: an HTTP proxy on the port the developer uses, in front of `wrangler
// dev` on an inner port, that knows whether the Worker is being built. While it is (or wrangler
// is still starting, or reloading the new build), a request waits up to `holdMs` for it; after
// that, or at once when the last build failed, it gets a 503 that says why instead of hanging.
// WebSocket upgrades (`/listen`) pass through the same way.
import { createServer, request as httpRequest } from 'node:http';
import { connect } from 'node:net';

/** The states of the Worker behind the gate. Only `ready` is proxied at once. */
export const STATES = ['starting', 'building', 'reloading', 'ready', 'failed'];

const WHY = {
  starting: 'wrangler dev is starting the Worker',
  building: 'make dev is rebuilding the Worker after a change in src/',
  reloading: 'wrangler dev is loading the new build',
};

export class DevGate {
  /** `target()`: the inner port (wrangler dev's); `holdMs`: how long a request waits for `ready`. */
  constructor({ target, holdMs = 10_000, log = () => {} }) {
    this.target = target;
    this.holdMs = holdMs;
    this.log = log;
    this.state = 'starting';
    this.detail = '';
    this.builds = 0;
    this.waiters = new Set();
  }

  /** Moves to `state` (`detail`: for `failed`, what the developer should read); wakes waiters. */
  set(state, detail = '') {
    if (!STATES.includes(state)) throw new Error(`unknown state ${state}`);
    this.state = state;
    this.detail = detail;
    if (state === 'ready') this.builds += 1;
    if (state === 'ready' || state === 'failed') {
      for (const wake of this.waiters) wake();
      this.waiters.clear();
    }
  }

  /** Resolves once the Worker is ready or its build failed, or after `holdMs`: the state then. */
  settle() {
    if (this.state === 'ready' || this.state === 'failed') return Promise.resolve(this.state);
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        resolve(this.state);
      };
      const timer = setTimeout(() => {
        this.waiters.delete(wake);
        resolve(this.state);
      }, this.holdMs);
      this.waiters.add(wake);
    });
  }

  /** The 503 a request gets when the Worker cannot answer it now. */
  refuse(res, state) {
    const failed = state === 'failed';
    const body = {
      status: 'error',
      code: failed ? 'DEV_BUILD_FAILED' : 'DEV_REBUILDING',
      message: failed
        ? `the last build of the Worker failed (${this.detail}); fix src/ and save: make dev rebuilds. The terminal shows the compiler's output`
        : `${WHY[state]}; still not ready after ${this.holdMs / 1000} s: retry shortly`,
    };
    res.writeHead(503, { 'content-type': 'application/json', 'retry-after': failed ? '10' : '2', 'cache-control': 'no-store' });
    res.end(JSON.stringify(body));
  }

  /** Handles one request: proxied to the Worker once it is ready. */
  async handle(req, res) {
    const state = await this.settle();
    if (state !== 'ready') return this.refuse(res, state);
    const upstream = httpRequest(
      { host: '127.0.0.1', port: this.target(), method: req.method, path: req.url, headers: req.headers },
      (answer) => {
        res.writeHead(answer.statusCode, answer.rawHeaders);
        answer.pipe(res);
      },
    );
    upstream.on('error', (error) => {
      if (res.headersSent) return res.destroy();
      // wrangler is restarting or gone: say so rather than drop the connection.
      this.refuse(res, 'reloading');
      this.log(`dev: the Worker did not answer ${req.method} ${req.url} (${error.code ?? error.message})`);
    });
    req.pipe(upstream);
  }

  /** Passes a WebSocket upgrade through to the Worker once it is ready (raw bytes both ways). */
  async upgrade(req, socket, head) {
    const state = await this.settle();
    if (state !== 'ready') {
      socket.end(`HTTP/1.1 503 Service Unavailable\r\nretry-after: 2\r\ncontent-length: 0\r\nconnection: close\r\n\r\n`);
      return;
    }
    const inner = connect(this.target(), '127.0.0.1', () => {
      const lines = [`${req.method} ${req.url} HTTP/1.1`];
      for (let i = 0; i < req.rawHeaders.length; i += 2) lines.push(`${req.rawHeaders[i]}: ${req.rawHeaders[i + 1]}`);
      inner.write(lines.join('\r\n') + '\r\n\r\n');
      if (head.length > 0) inner.write(head);
      inner.pipe(socket);
      socket.pipe(inner);
    });
    const close = () => {
      inner.destroy();
      socket.destroy();
    };
    inner.on('error', close);
    socket.on('error', close);
  }

  /** An HTTP server on 127.0.0.1:`port` in front of the Worker; resolves once it listens. */
  listen(port) {
    const server = createServer((req, res) => void this.handle(req, res));
    server.on('upgrade', (req, socket, head) => void this.upgrade(req, socket, head));
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve(server));
    });
  }
}
