// The debugger page under test: served from www/ by a small static server on 127.0.0.1
// (port 0), opened in Debian's Chromium through playwright-core. Every request and every
// console error of a page is recorded.
import { createServer } from 'node:http';
import { readFile } from 'node:fs/promises';
import { extname, join, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

export const WWW = fileURLToPath(new URL('../../www/', import.meta.url));

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.wasm': 'application/wasm',
  '.svg': 'image/svg+xml',
};

/**
 * Serves www/ statically; POSTs are recorded in `received` (for the generated curl
 * command) and answered 204.
 */
export async function startServer() {
  const received = [];
  const server = createServer(async (req, res) => {
    const url = new URL(req.url, 'http://127.0.0.1');
    if (req.method === 'POST') {
      const chunks = [];
      for await (const chunk of req) chunks.push(chunk);
      received.push({ path: url.pathname, headers: req.headers, body: Buffer.concat(chunks) });
      res.writeHead(204).end();
      return;
    }
    let path = decodeURIComponent(url.pathname);
    if (path.endsWith('/')) path += 'index.html';
    const file = normalize(join(WWW, path));
    if (!file.startsWith(WWW) || file.split(sep).some((part) => part.startsWith('.') && part.length > 1)) {
      res.writeHead(403).end();
      return;
    }
    try {
      const body = await readFile(file);
      res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream', 'cache-control': 'no-store' });
      res.end(body);
    } catch {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
    }
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${server.address().port}`;
  return {
    origin,
    received,
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}

export function launchChromium() {
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-quic',
    ],
  });
}

/** A fresh context and page on the debugger, ready to use, with its requests and errors. */
export async function openDebugger(browser, origin, { viewport = { width: 1000, height: 900 }, colorScheme = 'light' } = {}) {
  const context = await browser.newContext({ viewport, colorScheme });
  const requests = [];
  const errors = [];
  context.on('request', (request) => requests.push(request.url()));
  const page = await context.newPage();
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(message.text());
  });
  page.on('pageerror', (error) => errors.push(String(error)));
  await page.goto(`${origin}/`);
  await page.waitForFunction(() => document.body.dataset.ready === 'true' || document.querySelector('#load-status.bad'));
  return { context, page, requests, errors };
}

/** Fills the checker's fields; `secrets` beyond the first add rotation fields. */
export async function fillChecker(page, { payload, secrets = [], signature }) {
  if (payload !== undefined) await page.getByTestId('payload').fill(payload);
  for (let i = 0; i < secrets.length; i += 1) {
    if (i > 0 && (await page.getByTestId('secret').count()) <= i) await page.getByTestId('add-secret').click();
    await page.getByTestId('secret').nth(i).fill(secrets[i]);
  }
  if (signature !== undefined) await page.getByTestId('signature').fill(signature);
}

/** Pastes text over a field's whole content (Ctrl+A, then paste), CR characters kept as a
 * real clipboard keeps them. */
export async function paste(page, testid, text) {
  await page.getByTestId(testid).focus();
  await page.getByTestId(testid).evaluate((field, value) => {
    field.select();
    const data = new DataTransfer();
    data.setData('text/plain', value);
    field.dispatchEvent(new ClipboardEvent('paste', { clipboardData: data, bubbles: true, cancelable: true }));
  }, text);
}

/**
 * The verdict word (`valid`, `invalid` or `malformed`), the whole verdict text, and what a
 * person reads (`innerText`: as rendered, upper-case word included).
 */
export async function verdict(page) {
  const box = page.getByTestId('verdict');
  return {
    word: (await box.locator('.word').textContent())?.trim(),
    text: await box.textContent(),
    shown: await box.innerText(),
  };
}

/** The diagnosis codes shown, in order. */
export function findingCodes(page) {
  return page.getByTestId('diagnosis').locator('li[data-code]').evaluateAll((items) => items.map((li) => li.dataset.code));
}
