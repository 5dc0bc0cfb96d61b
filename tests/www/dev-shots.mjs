// Development aid: screenshots of the console against the fake admin server (fake-admin.mjs)
// into $SHOTS (default /tmp/console-shots), with the page's console errors printed.
import { mkdirSync } from 'node:fs';
import { launchChromium } from './helpers.mjs';
import { FAKE_TOKEN, startFakeAdmin } from './fake-admin.mjs';

const OUT = process.env.SHOTS ?? '/tmp/console-shots';
mkdirSync(OUT, { recursive: true });
const browser = await launchChromium();

async function shoot(scenario, name, steps, { width = 1000, height = 900, colorScheme = 'light' } = {}) {
  const fake = await startFakeAdmin(scenario);
  const context = await browser.newContext({ viewport: { width, height }, colorScheme });
  const page = await context.newPage();
  page.on('console', (m) => m.type() === 'error' && console.log(`[${name}] console error: ${m.text()}`));
  page.on('pageerror', (e) => console.log(`[${name}] page error: ${e}`));
  await page.goto(`${fake.origin}/#console`);
  await steps(page, fake);
  await page.waitForTimeout(300);
  await page.screenshot({ path: `${OUT}/${name}.png`, fullPage: true });
  await context.close();
  await fake.close();
}

const signIn = async (page, token = FAKE_TOKEN) => {
  await page.getByTestId('admin-token').fill(token);
  await page.getByTestId('signin').click();
};

await shoot('durable', 'signin', async () => {});
await shoot('durable', 'overview', async (page) => { await signIn(page); await page.getByTestId('counts').waitFor(); });
await shoot('durable', 'overview-dark', async (page) => { await signIn(page); await page.getByTestId('counts').waitFor(); }, { colorScheme: 'dark' });
await shoot('durable', 'overview-phone', async (page) => { await signIn(page); await page.getByTestId('counts').waitFor(); }, { width: 375, height: 740 });
await shoot('durable', 'wrong-token', async (page) => { await signIn(page, 'x'.repeat(40)); await page.waitForTimeout(300); });
await shoot('off', 'admin-off', async (page) => { await signIn(page); await page.waitForTimeout(300); });
await shoot('durable', 'events-dead', async (page) => { await signIn(page); await page.getByTestId('counts').waitFor(); await page.getByTestId('tab-events').click(); await page.getByTestId('events').waitFor(); });
await shoot('durable', 'replay-all-confirm', async (page) => { await signIn(page); await page.getByTestId('counts').waitFor(); await page.getByTestId('tab-events').click(); await page.getByTestId('events').waitFor(); await page.getByTestId('replay-dead').click(); });
await shoot('durable', 'replay-all-done', async (page) => { await signIn(page); await page.getByTestId('counts').waitFor(); await page.getByTestId('tab-events').click(); await page.getByTestId('events').waitFor(); await page.getByTestId('replay-dead').click(); await page.getByTestId('replay-dead-confirm').click(); await page.getByText('Done:').waitFor(); });
await shoot('durable', 'event-detail', async (page) => { await signIn(page); await page.getByTestId('counts').waitFor(); await page.goto(page.url().replace(/#.*/, '#console/event/webhook_dead_1')); await page.getByTestId('timeline').waitFor(); });
await shoot('durable', 'event-pending', async (page) => { await signIn(page); await page.getByTestId('counts').waitFor(); await page.goto(page.url().replace(/#.*/, '#console/event/webhook_wait_1')); await page.getByTestId('timeline').waitFor(); });
await shoot('durable', 'event-missing', async (page) => { await signIn(page); await page.getByTestId('counts').waitFor(); await page.goto(page.url().replace(/#.*/, '#console/event/nope')); await page.waitForTimeout(300); });
await shoot('durable', 'refused', async (page) => { await signIn(page); await page.getByTestId('counts').waitFor(); await page.getByTestId('tab-refused').click(); await page.getByTestId('refused').waitFor(); });
await shoot('durable', 'refused-detail', async (page) => { await signIn(page); await page.getByTestId('counts').waitFor(); await page.goto(page.url().replace(/#.*/, '#console/failure/f_1')); await page.getByTestId('failure-verdict').waitFor(); });
await shoot('durable', 'refused-missing-sig', async (page) => { await signIn(page); await page.getByTestId('counts').waitFor(); await page.goto(page.url().replace(/#.*/, '#console/failure/f_2')); await page.getByTestId('failure-verdict').waitFor(); });
await shoot('durable', 'alerts', async (page) => { await signIn(page); await page.getByTestId('counts').waitFor(); await page.getByTestId('tab-alerts').click(); await page.getByTestId('alerts').waitFor(); });
await shoot('empty', 'empty-overview', async (page) => { await signIn(page); await page.getByTestId('counts').waitFor(); });
await shoot('empty', 'empty-events', async (page) => { await signIn(page); await page.getByTestId('counts').waitFor(); await page.getByTestId('tab-events').click(); await page.waitForTimeout(300); });
await shoot('empty', 'empty-refused', async (page) => { await signIn(page); await page.getByTestId('counts').waitFor(); await page.getByTestId('tab-refused').click(); await page.waitForTimeout(300); });
await shoot('empty', 'empty-alerts', async (page) => { await signIn(page); await page.getByTestId('counts').waitFor(); await page.getByTestId('tab-alerts').click(); await page.waitForTimeout(300); });
await shoot('forward', 'forward', async (page) => { await signIn(page); await page.getByTestId('counts').waitFor(); });
await shoot('forward', 'forward-event', async (page) => { await signIn(page); await page.getByTestId('counts').waitFor(); await page.goto(page.url().replace(/#.*/, '#console/event/webhook_ok_1')); await page.getByTestId('event-state').waitFor(); });
await shoot('durable', 'network-error', async (page) => { await signIn(page); await page.getByTestId('counts').waitFor(); await page.route('**/admin/**', (route) => route.abort('connectionrefused')); await page.getByTestId('tab-events').click(); await page.waitForTimeout(300); });
await shoot('durable', 'loading', async (page) => { await signIn(page); await page.getByTestId('counts').waitFor(); await page.route('**/admin/**', () => {}); await page.getByTestId('tab-refused').click(); await page.waitForTimeout(200); });
await shoot('durable', 'expired', async (page) => { await signIn(page); await page.getByTestId('counts').waitFor(); await page.evaluate(() => sessionStorage.setItem('digivault-webhooks.admin-token', 'y'.repeat(40))); await page.getByTestId('tab-events').click(); await page.waitForTimeout(300); });
await browser.close();
console.log(`screenshots in ${OUT}`);
