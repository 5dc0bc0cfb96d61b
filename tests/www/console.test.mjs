// The receiver console (www/, #console) in real Chromium against the BUILT Worker in workerd
// (Miniflare, the page served by the Worker's own ASSETS binding, the admin API for real):
// sign in, a dead event replayed until the origin receives it, a refused delivery and the
// Worker's diagnosis, every empty and error state, each screenshot saved for a person to look
// at ($CONSOLE_SCREENSHOTS, default a temporary directory; UPDATE_SCREENSHOT=1 refreshes the
// ones in docs/). Needs `make build-worker` and `make build-www`.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import { ROOT, SECRET, sign, startWorker } from '../../scripts/lib/built-worker.mjs';
import { eventBody, waitFor } from '../worker/helpers.mjs';
import { ADMIN_TOKEN, startDurableOrigin } from '../worker/durable-helpers.mjs';
import { WWW, launchChromium } from './helpers.mjs';

const SHOTS = process.env.CONSOLE_SCREENSHOTS ?? mkdtempSync(join(tmpdir(), 'console-shots-'));
mkdirSync(SHOTS, { recursive: true });
const TOKEN_KEY = 'digivault-webhooks.admin-token';
const idOf = (body) => JSON.parse(body).id;

let browser;
const cleanups = [];

before(async () => {
  assert.ok(existsSync(join(WWW, 'pkg', 'web.js')), 'www/pkg/ is missing: run `make build-www` first');
  browser = await launchChromium();
  console.log(`# console screenshots: ${SHOTS}`);
});

after(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
  await browser?.close();
});

/** An alert URL on 127.0.0.1 recording the JSON alerts posted to it. */
async function startAlertSink() {
  const alerts = [];
  const server = createServer((req, res) => {
    const chunks = [];
    req.on('data', (chunk) => chunks.push(chunk));
    req.on('end', () => {
      alerts.push(JSON.parse(Buffer.concat(chunks).toString()));
      res.writeHead(200).end('ok');
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(() => new Promise((resolve) => server.close(resolve)));
  return { alerts, url: `http://127.0.0.1:${server.address().port}/alerts` };
}

/** The built Worker serving www/ on 127.0.0.1, with `vars` on top of a durable receiver's. */
async function receiver(vars = {}, { ledger = true } = {}) {
  const origin = await startDurableOrigin();
  const worker = await startWorker({
    vars: { WEBHOOK_SECRET: SECRET, FORWARD_URL: origin.url, FORWARD_TIMEOUT_MS: '1000', ...vars },
    ledger,
    console: ledger,
    rateLimit: null,
    assets: WWW,
    listen: true,
  });
  cleanups.push(() => origin.close(), () => worker.dispose());
  return { origin, worker };
}

/**
 * A page on the console. Records console errors other than the browser's own lines for
 * answers the page expects (401, 404), CSP violations, and requests to another origin.
 */
async function openConsole(url, { viewport = { width: 1000, height: 900 }, colorScheme = 'light' } = {}) {
  const context = await browser.newContext({ viewport, colorScheme });
  const page = await context.newPage();
  const problems = [];
  page.on('console', (message) => {
    if (message.type() === 'error' && !/status of (401|404)|ERR_FAILED|net::ERR/.test(message.text())) problems.push(message.text());
  });
  page.on('pageerror', (error) => problems.push(String(error)));
  page.on('request', (request) => {
    if (!request.url().startsWith(`${url}/`)) problems.push(`request to another origin: ${request.url()}`);
  });
  await page.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) => console.error(`CSP violation: ${e.violatedDirective}`));
  });
  await page.goto(`${url}/#console`);
  await page.waitForFunction(() => document.body.dataset.console === 'ready');
  cleanups.push(() => context.close());
  return { page, problems, close: () => context.close() };
}

async function signIn(page, token = ADMIN_TOKEN) {
  await page.getByTestId('admin-token').fill(token);
  await page.getByTestId('signin').click();
}

/** Saves a full-page screenshot as NAME.png in SHOTS (and in docs/ when asked). */
async function shot(page, name, { docs = false } = {}) {
  const png = await page.screenshot({ fullPage: true });
  assert.equal(png.subarray(1, 4).toString(), 'PNG');
  writeFileSync(join(SHOTS, `${name}.png`), png);
  if (docs && process.env.UPDATE_SCREENSHOT === '1') writeFileSync(join(ROOT, 'docs', `console-${name}.png`), png);
}

const content = (page) => page.getByTestId('console-content');

describe('console against the built Worker', () => {
  let durable;
  let sink;
  before(async () => {
    sink = await startAlertSink();
    durable = await receiver({
      DELIVERY_MODE: 'durable',
      ADMIN_TOKEN,
      RETRY_SCHEDULE_SECONDS: '0.1,0.1',
      ALERT_URL: sink.url,
      ALERT_INTERVAL_SECONDS: '1',
    });
  });

  test('the page is served by the Worker with its CSP; a wrong token is refused and nothing is stored', async () => {
    const response = await fetch(`${durable.worker.url}/`);
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-security-policy'), /default-src 'none'/);
    const { page, problems } = await openConsole(durable.worker.url);
    assert.equal(await page.getByTestId('signin-form').isVisible(), true);
    await shot(page, 'signin');
    await signIn(page, 'w'.repeat(40));
    await page.getByText('refused this token (401)').waitFor();
    assert.equal(await page.evaluate((key) => sessionStorage.getItem(key), TOKEN_KEY), null);
    assert.equal(await page.evaluate(() => localStorage.length + document.cookie.length), 0);
    await shot(page, 'wrong-token');
    assert.deepEqual(problems, []);
  });

  test('signed in on an empty receiver: every list says it is empty', async () => {
    const { page, problems } = await openConsole(durable.worker.url);
    await signIn(page);
    await page.getByTestId('counts').waitFor();
    assert.equal(await page.getByTestId('console-notice').isVisible(), false, 'no forward-mode notice in durable mode');
    // Kept for this tab only, never in the address bar or lasting storage.
    assert.equal(await page.evaluate((key) => sessionStorage.getItem(key), TOKEN_KEY), ADMIN_TOKEN);
    assert.equal(await page.evaluate(() => localStorage.length), 0);
    assert.ok(!page.url().includes(ADMIN_TOKEN));
    assert.equal(await page.getByTestId('count-dead').locator('.value').textContent(), '0');
    assert.match(await content(page).textContent(), /No events kept yet/);
    await shot(page, 'empty-overview');
    for (const [tab, text, name] of [
      ['tab-events', /No dead events/, 'empty-events'],
      ['tab-refused', /No refused delivery kept/, 'empty-refused'],
      ['tab-alerts', /No alert sent/, 'empty-alerts'],
    ]) {
      await page.getByTestId(tab).click();
      // This view's empty state (or an error), not the view before it, still shown until the
      // tab's view replaces it.
      const error = content(page).locator('[data-state="error"]');
      await content(page).locator('[data-state="empty"]').filter({ hasText: text }).or(error).first().waitFor();
      assert.match(await content(page).textContent(), text);
      await shot(page, name);
    }
    assert.deepEqual(problems, []);
  });

  test('a dead event: listed, its timeline and body shown, replayed, and the origin receives it', async () => {
    const { origin, worker } = durable;
    const body = eventBody();
    const id = idOf(body);
    origin.failIds.add(id);
    assert.equal((await worker.post(body)).status, 202);
    await waitFor(() => origin.attempts.filter((r) => r.id === id).length >= 3, 'three failed attempts');

    const { page, problems } = await openConsole(worker.url);
    await signIn(page);
    await page.getByTestId('counts').waitFor();
    // The event dies after its last attempt: refresh until the overview says so.
    for (let i = 0; i < 50 && (await page.getByTestId('count-dead').locator('.value').textContent()) !== '1'; i += 1) {
      await page.getByTestId('refresh').click();
      await page.getByTestId('counts').waitFor();
    }
    assert.equal(await page.getByTestId('count-dead').locator('.value').textContent(), '1');
    assert.match(await page.getByTestId('last-answer').textContent(), /HTTP 500/);
    await shot(page, 'overview', { docs: true });

    await page.getByTestId('tab-events').click();
    await page.getByTestId('events').waitFor();
    assert.deepEqual(await page.getByTestId('events').locator('tbody tr').evaluateAll((rows) => rows.map((r) => r.dataset.id)), [id]);
    await shot(page, 'events-dead');
    await page.getByTestId('events').getByRole('link', { name: id }).click();
    await page.getByTestId('timeline').waitFor();
    assert.equal(await page.getByTestId('event-state').textContent(), 'dead');
    const results = await page.getByTestId('timeline').locator('tbody tr td:last-child').allTextContents();
    assert.deepEqual(results, ['HTTP 500', 'HTTP 500', 'HTTP 500', 'dead: no attempt left; Replay sends it again']);
    assert.deepEqual(JSON.parse(await page.getByTestId('body-pretty').textContent()), JSON.parse(body));
    assert.match(await page.getByTestId('body-summary').textContent(), new RegExp(`${Buffer.byteLength(body)} bytes`));
    await shot(page, 'event-dead');

    origin.failIds.delete(id);
    await page.getByTestId('replay').click();
    await page.getByText('Replayed: back to pending').waitFor();
    await waitFor(() => origin.acceptedFor(id).length === 1, 'the origin received the replayed event');
    assert.equal(origin.acceptedFor(id)[0].body.toString(), body);
    // The page redraws the event: delivered, with its fourth attempt.
    await page.waitForFunction(() => document.querySelector('[data-testid="event-state"]')?.textContent === 'delivered', null, { timeout: 20_000 }).catch(async () => {
      await page.reload();
      await page.waitForFunction(() => document.querySelector('[data-testid="event-state"]')?.textContent === 'delivered', null, { timeout: 20_000 });
    });
    assert.match((await page.getByTestId('timeline').locator('tbody tr td:last-child').allTextContents()).at(-1), /HTTP 200/);
    await shot(page, 'event-replayed');

    // Sign out: the token leaves the tab.
    await page.getByTestId('signout').click();
    assert.equal(await page.evaluate((key) => sessionStorage.getItem(key), TOKEN_KEY), null);
    assert.equal(await page.getByTestId('signin-form').isVisible(), true);
    assert.deepEqual(problems, []);
  });

  test('alerts sent: the dead letter alert the alert URL received is listed, newest first', async () => {
    await waitFor(() => sink.alerts.some((alert) => alert.kind === 'dead_letter'), 'a dead_letter alert posted', 20_000);
    const { page, problems } = await openConsole(durable.worker.url);
    await signIn(page);
    await page.getByTestId('counts').waitFor();
    await page.getByTestId('tab-alerts').click();
    await page.getByTestId('alerts').waitFor();
    const rows = await page.getByTestId('alerts').locator('tbody tr').evaluateAll((trs) =>
      trs.map((tr) => ({ kind: tr.children[1].textContent, outcome: tr.children[4].textContent, text: tr.children[3].textContent })),
    );
    const dead = rows.find((row) => row.kind === 'dead_letter');
    assert.ok(dead, `a dead_letter row among ${JSON.stringify(rows)}`);
    assert.match(dead.outcome, /^sent/);
    assert.equal(dead.text, sink.alerts.find((alert) => alert.kind === 'dead_letter').text);
    // Newest first: the page shows the API's order, which is the alerts' posting order reversed.
    assert.deepEqual(rows.map((row) => row.kind), sink.alerts.map((alert) => alert.kind).reverse().slice(0, rows.length));
    await shot(page, 'alerts');
    assert.deepEqual(problems, []);
  });

  test('replay all dead: confirmation, progress, and every event delivered', async () => {
    const { origin, worker } = durable;
    const bodies = [eventBody(), eventBody(), eventBody()];
    for (const body of bodies) origin.failIds.add(idOf(body));
    for (const body of bodies) assert.equal((await worker.post(body)).status, 202);
    const dead = async () => (await (await worker.fetch('/admin/stats', { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })).json()).dead;
    const deadline = Date.now() + 30_000;
    while ((await dead()) < 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    assert.equal(await dead(), 3);
    origin.failIds.clear();

    const { page, problems } = await openConsole(worker.url);
    await signIn(page);
    await page.getByTestId('counts').waitFor();
    await page.getByTestId('tab-events').click();
    await page.getByTestId('events').waitFor();
    assert.equal(await page.getByTestId('events').locator('tbody tr').count(), 3);
    await page.getByTestId('replay-dead').click();
    // Nothing happens before the confirmation.
    assert.equal(await dead(), 3);
    await shot(page, 'replay-all-confirm');
    await page.getByTestId('replay-dead-confirm').click();
    await page.getByText('Done: 3 events back to pending').waitFor();
    await shot(page, 'replay-all-done');
    await waitFor(() => bodies.every((body) => origin.acceptedFor(idOf(body)).length === 1), 'all three delivered', 20_000);
    assert.deepEqual(problems, []);
  });

  test('a refused delivery: listed with its diagnosis, opened in the verdict view, no signature shown', async (t) => {
    const { worker } = durable;
    const body = eventBody();
    const signature = sign(body);
    // A gateway added a trailing newline after signing.
    const response = await worker.fetch('/webhooks', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-digivault-signature': signature, cookie: 'session=s3cr3t' },
      body: `${body}\n`,
    });
    assert.equal(response.status, 401);
    const listed = await worker.fetch('/admin/failures', { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    if (listed.status === 404) {
      t.skip('this Worker has no /admin/failures yet (the consoleapi branch adds it)');
      return;
    }
    const { page, problems } = await openConsole(worker.url);
    await signIn(page);
    await page.getByTestId('counts').waitFor();
    await page.getByTestId('tab-refused').click();
    await page.getByTestId('refused').waitFor();
    assert.match(await page.getByTestId('refused').locator('tbody tr').first().textContent(), /INVALID_SIGNATURE/);
    assert.equal(await page.getByTestId('refused-diagnosis').first().textContent(), 'Trailing newline added');
    await shot(page, 'refused');
    await page.getByTestId('refused').locator('tbody tr a').first().click();
    await page.getByTestId('failure-verdict').waitFor();
    assert.match(await page.getByTestId('failure-verdict').textContent(), /INVALID_SIGNATURE/);
    assert.deepEqual(
      await page.getByTestId('failure-diagnosis').locator('li[data-code]').evaluateAll((items) => items.map((li) => li.dataset.code)),
      ['TRAILING_NEWLINE_ADDED'],
    );
    // The body with its whitespace visible: the added line feed is the last thing shown.
    const marks = await page.getByTestId('failure-body').locator('.ws').allTextContents();
    assert.deepEqual(marks, ['LF']);
    assert.match(await page.getByTestId('failure-body-summary').textContent(), /ends with a line break/);
    // Neither the signature sent (valid for the body before the newline) nor the cookie.
    const text = await page.locator('body').innerText();
    assert.ok(!text.includes(signature), 'the received signature is not shown');
    assert.ok(!text.includes('s3cr3t'), 'the cookie is redacted');
    assert.ok(!text.includes(sign(`${body}\n`)), 'no signature valid for the refused body');
    await shot(page, 'refused-detail', { docs: true });
    assert.deepEqual(problems, []);
  });

  test('an expired token (ADMIN_TOKEN changed) returns to sign-in and says why', async () => {
    const { page, problems } = await openConsole(durable.worker.url);
    await signIn(page);
    await page.getByTestId('counts').waitFor();
    await page.evaluate((key) => sessionStorage.setItem(key, 'e'.repeat(40)), TOKEN_KEY);
    await page.getByTestId('tab-events').click();
    await page.getByText('The receiver refused the token (401)').waitFor();
    assert.equal(await page.evaluate((key) => sessionStorage.getItem(key), TOKEN_KEY), null);
    await shot(page, 'expired-token');
    assert.deepEqual(problems, []);
  });

  test('network errors: said with a Retry that works once the receiver answers again', async () => {
    const { page, problems } = await openConsole(durable.worker.url);
    await signIn(page);
    await page.getByTestId('counts').waitFor();
    await page.route('**/admin/**', (route) => route.abort('connectionrefused'));
    await page.getByTestId('tab-events').click();
    await content(page).locator('[data-state="error"][data-kind="network"]').waitFor();
    assert.match(await content(page).textContent(), /could not be reached/);
    await shot(page, 'network-error');
    await page.unroute('**/admin/**');
    await page.getByTestId('retry').click();
    await page.getByTestId('filters').waitFor();
    await content(page).locator('[data-testid="events"], [data-state="empty"]').first().waitFor();
    assert.equal(await content(page).locator('[data-state="error"]').count(), 0);
    assert.deepEqual(problems, []);
  });

  test('loading is said while the receiver has not answered', async () => {
    const { page, problems } = await openConsole(durable.worker.url);
    await signIn(page);
    await page.getByTestId('counts').waitFor();
    const held = [];
    await page.route('**/admin/alerts**', (route) => held.push(route));
    await page.getByTestId('tab-alerts').click();
    await content(page).locator('[data-state="loading"]').waitFor();
    assert.match(await content(page).textContent(), /Loading alerts/);
    await shot(page, 'loading');
    for (const route of held) await route.continue();
    await page.unroute('**/admin/alerts**');
    await content(page).locator('[data-state="empty"], [data-testid="alerts"]').first().waitFor();
    assert.deepEqual(problems, []);
  });

  test('phone size and dark mode: no horizontal scrolling', async () => {
    const { page, problems } = await openConsole(durable.worker.url, { viewport: { width: 375, height: 740 }, colorScheme: 'dark' });
    await signIn(page);
    await page.getByTestId('counts').waitFor();
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `the page is ${overflow}px wider than the screen`);
    await shot(page, 'overview-phone-dark');
    assert.deepEqual(problems, []);
  });
});

test('admin API off (no ADMIN_TOKEN): sign-in says so', async () => {
  const { worker } = await receiver({ DELIVERY_MODE: 'durable' });
  const { page, problems } = await openConsole(worker.url);
  await signIn(page);
  await page.getByText('The admin API is off on this receiver').waitFor();
  assert.equal(await page.evaluate((key) => sessionStorage.getItem(key), TOKEN_KEY), null);
  await shot(page, 'admin-off');
  assert.deepEqual(problems, []);
});

test('forward mode: events without timeline, body or replay, and the page says why', async () => {
  const { origin, worker } = await receiver({ DELIVERY_MODE: 'forward', ADMIN_TOKEN });
  const body = eventBody();
  assert.equal((await worker.post(body)).status, 200);
  assert.equal(origin.acceptedFor(idOf(body)).length, 1);
  const { page, problems } = await openConsole(worker.url);
  await signIn(page);
  await page.getByTestId('counts').waitFor();
  // The stats say the mode: the page says what forward mode does not keep.
  assert.equal(await page.getByTestId('console-notice').isVisible(), true);
  assert.match(await page.getByTestId('console-notice').textContent(), /forward mode/);
  await shot(page, 'forward-overview');
  // Forward mode keeps no dead events: the Events tab opens on the delivered ones.
  await page.getByTestId('tab-events').click();
  await page.getByTestId('events').getByRole('link', { name: idOf(body) }).waitFor();
  // Forward mode records the type (with the claim) but no attempts: a dash, not a 0.
  const cells = await page.getByTestId('events').locator(`tr[data-id="${idOf(body)}"] td`).allTextContents();
  assert.deepEqual(cells.slice(2, 5), [JSON.parse(body).type, 'delivered', '—']);
  await shot(page, 'forward-events');
  await page.goto(`${worker.url}/#console/event/${encodeURIComponent(idOf(body))}`);
  await page.getByTestId('event-state').waitFor();
  assert.equal(await page.getByTestId('event-state').textContent(), 'delivered');
  assert.equal(await page.getByTestId('replay').count(), 0, 'no Replay: nothing stored to send again');
  assert.match(await content(page).textContent(), /not stored \(forward mode\)/);
  assert.match(await content(page).textContent(), /Forward mode keeps no timeline/);
  await shot(page, 'forward-event');
  assert.deepEqual(problems, []);
});
