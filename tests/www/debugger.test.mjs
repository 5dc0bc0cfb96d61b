// The debugger page (www/) in real Chromium: verdicts, every diagnosis, the event view,
// the generator (its curl command run for real against a local server), no network
// traffic beyond the page's own assets, no console errors, phone size, dark mode, keyboard.
import { after, afterEach, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  WWW,
  fillChecker,
  findingCodes,
  launchChromium,
  openDebugger,
  paste,
  startServer,
  verdict,
} from './helpers.mjs';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const SECRET = 'whsec_debugger_test';
const hmac = (secret, body) => createHmac('sha256', secret).update(body).digest('hex');

// Keys in the guide's order, which is not sorted: a serde_json re-serialization would
// reorder them, JSON.stringify does not.
const EVENT = {
  id: 'webhook_debugger_1',
  type: 'conversation.message.created',
  created_at: 1640995200,
  data: {
    object: {
      id: 'msg_1',
      conversation_id: 'conv_1',
      message: 'Hello, world!',
      created_at: 1640995200,
    },
  },
};
const COMPACT = JSON.stringify(EVENT);
const PRETTY = JSON.stringify(EVENT, null, 2);
const crlf = (text) => text.replaceAll('\n', '\r\n');

let server;
let browser;
let current;

before(async () => {
  assert.ok(
    existsSync(join(WWW, 'pkg', 'web.js')),
    'www/pkg/ is missing: run `make build-www` (or scripts/build-www.sh) first',
  );
  server = await startServer();
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  await server?.close();
});

async function open(options) {
  current = await openDebugger(browser, server.origin, options);
  return current.page;
}

// Every test: no console error, and no request other than the page's own assets.
afterEach(async () => {
  if (current === undefined) return;
  const { context, requests, errors } = current;
  current = undefined;
  await context.close();
  assert.deepEqual(errors, [], 'no console errors');
  for (const url of requests) {
    assert.ok(url.startsWith(`${server.origin}/`), `request to another origin: ${url}`);
    const path = new URL(url).pathname;
    const file = join(WWW, path.endsWith('/') ? `${path}index.html` : path);
    assert.ok(existsSync(file), `request for something that is not one of the page's files: ${url}`);
  }
});

describe('verdict', () => {
  test('a valid signature: valid, the expected signature shown, nothing to fix', async () => {
    const page = await open();
    await fillChecker(page, { payload: COMPACT, secrets: [SECRET], signature: hmac(SECRET, COMPACT) });
    const { word, text } = await verdict(page);
    assert.equal(word, 'valid');
    assert.match(text, /verifies with secret #1/);
    assert.equal(await page.getByTestId('expected-signature').textContent(), hmac(SECRET, COMPACT));
    assert.deepEqual(await findingCodes(page), []);
    assert.match(await page.getByTestId('diagnosis').textContent(), /Nothing to fix/);
    // Identical signatures: nothing highlighted.
    assert.equal(await page.locator('.signatures mark').count(), 0);
  });

  test('rotation: the previous secret verifies, and the page says which', async () => {
    const page = await open();
    await fillChecker(page, {
      payload: COMPACT,
      secrets: ['whsec_new_one', SECRET],
      signature: hmac(SECRET, COMPACT),
    });
    const { word, text } = await verdict(page);
    assert.equal(word, 'valid');
    assert.match(text, /secret #2 of 2/);
    assert.deepEqual(await page.getByTestId('expected-signature').allTextContents(), [
      hmac('whsec_new_one', COMPACT),
      hmac(SECRET, COMPACT),
    ]);
  });

  test('a wrong secret: invalid with the core code, differing characters highlighted', async () => {
    const page = await open();
    await fillChecker(page, { payload: COMPACT, secrets: [SECRET], signature: hmac('whsec_other', COMPACT) });
    const { word, text } = await verdict(page);
    assert.equal(word, 'invalid');
    assert.match(text, /INVALID_SIGNATURE/);
    assert.deepEqual(await findingCodes(page), ['WRONG_SECRET']);
    assert.ok((await page.locator('[data-testid="expected-signature"] mark').count()) > 0);
  });

  test('the verdict follows typing: one character changes it', async () => {
    const page = await open();
    await fillChecker(page, { payload: COMPACT, secrets: [SECRET], signature: hmac(SECRET, COMPACT) });
    assert.equal((await verdict(page)).word, 'valid');
    await page.getByTestId('payload').press('End');
    await page.getByTestId('payload').press('Backspace');
    assert.equal((await verdict(page)).word, 'invalid');
  });

  test('a missing signature and a malformed one', async () => {
    const page = await open();
    await fillChecker(page, { payload: COMPACT, secrets: [SECRET] });
    assert.equal((await verdict(page)).word, 'invalid');
    assert.match((await verdict(page)).text, /MISSING_SIGNATURE/);
    await fillChecker(page, { signature: 'not a signature' });
    const { word, text } = await verdict(page);
    assert.equal(word, 'malformed');
    assert.match(text, /MALFORMED_SIGNATURE/);
  });
});

// What a person reads, not only the verdict word: the rendered text (innerText, so CSS
// upper-casing and hidden elements count as they would on screen), and a screenshot of each
// verdict (written to $VERDICT_SCREENSHOTS when set, to look at).
describe('what the verdict says on screen', () => {
  const screens = [
    {
      name: 'valid',
      fields: { payload: COMPACT, secrets: [SECRET], signature: hmac(SECRET, COMPACT) },
      shown: /^VALID verifies with secret #1$/,
    },
    {
      name: 'valid with the previous secret of two',
      fields: { payload: COMPACT, secrets: ['whsec_new_one', SECRET], signature: hmac(SECRET, COMPACT) },
      shown: /^VALID verifies with secret #2 of 2$/,
    },
    {
      name: 'invalid',
      fields: { payload: COMPACT, secrets: [SECRET], signature: hmac('whsec_other', COMPACT) },
      shown: /^INVALID INVALID_SIGNATURE signature mismatch: verify the exact raw bytes received/,
    },
    {
      name: 'malformed',
      fields: { payload: COMPACT, secrets: [SECRET], signature: 'not a signature' },
      shown: /^MALFORMED MALFORMED_SIGNATURE malformed signature: it contains characters that are not hex digits/,
    },
  ];
  for (const screen of screens) {
    test(screen.name, async () => {
      const page = await open({ viewport: { width: 900, height: 900 } });
      await fillChecker(page, screen.fields);
      const { word, shown } = await verdict(page);
      assert.equal(word, screen.name.split(' ')[0]);
      assert.match(shown, screen.shown);
      const section = page.locator('section').nth(1);
      const read = await section.innerText();
      assert.doesNotMatch(read, /\bnull|undefined|NaN|\[object /, `nothing a person reads is a stray value:\n${read}`);
      const png = await section.screenshot();
      assert.equal(png.subarray(1, 4).toString(), 'PNG');
      if (process.env.VERDICT_SCREENSHOTS) {
        mkdirSync(process.env.VERDICT_SCREENSHOTS, { recursive: true });
        writeFileSync(join(process.env.VERDICT_SCREENSHOTS, `${screen.name.replaceAll(' ', '-')}.png`), png);
      }
    });
  }
});

describe('no part of the page keeps showing the previous input', () => {
  // 5,000 nested arrays: deeper than the validator's 128 levels and than what Chromium's
  // JSON.stringify can print (it throws RangeError), well within what JSON.parse reads.
  const DEPTH = 5000;
  const deep = `{"id":"deep","type":"contact.deleted","data":${'['.repeat(DEPTH)}1${']'.repeat(DEPTH)}}`;

  test('a body nested 5,000 levels deep gets its own verdict, and the tree stops at its depth limit', async () => {
    const page = await open();
    await fillChecker(page, { payload: COMPACT, secrets: [SECRET], signature: hmac(SECRET, COMPACT) });
    assert.equal((await verdict(page)).word, 'valid');
    await fillChecker(page, { payload: deep });
    const after = await verdict(page);
    assert.equal(after.word, 'invalid', 'the new body, not the previous one, is checked');
    assert.match(after.shown, /^INVALID INVALID_SIGNATURE /);
    assert.deepEqual(await findingCodes(page), ['WRONG_SECRET']);
    assert.equal(
      await page.getByTestId('expected-signature').textContent(),
      hmac(SECRET, deep),
      'the expected signature is the new body\'s',
    );
    assert.match(await page.getByTestId('event-errors').textContent(), /INVALID_JSON/);
    // The tree is drawn down to its limit, then says the rest is not shown.
    const depth = await page.getByTestId('event-tree').evaluate((box) => {
      let levels = 0;
      for (let list = box.querySelector('ul'); list; list = list.querySelector(':scope > li > ul')) levels += 1;
      return levels;
    });
    assert.ok(depth >= 8 && depth <= 64, `tree drawn ${depth} levels deep`);
    assert.match(await page.getByTestId('tree-cut').textContent(), /not shown/);

    // Signed, the same body verifies: the verdict is computed, not stuck.
    await fillChecker(page, { signature: hmac(SECRET, deep) });
    assert.match((await verdict(page)).shown, /^VALID verifies with secret #1$/);
  });

  test('a part that fails to draw shows its failure, never the previous verdict or event', async () => {
    const page = await open();
    await fillChecker(page, { payload: COMPACT, secrets: [SECRET], signature: hmac(SECRET, COMPACT) });
    assert.equal((await verdict(page)).word, 'valid');
    // Faults injected into what only the signatures list (lower-casing for the diff) and
    // only the event tree (dates of *_at fields) use.
    await page.evaluate(() => {
      const lower = String.prototype.toLowerCase;
      String.prototype.toLowerCase = function toLowerCase() {
        if (/^[0-9a-f]{64}$/i.test(this)) throw new Error('injected fault');
        return lower.call(this);
      };
      Date.prototype.toISOString = () => {
        throw new Error('injected fault');
      };
    });
    await fillChecker(page, { payload: PRETTY });
    const { word, shown } = await verdict(page);
    assert.equal(word, 'no verdict');
    assert.match(shown, /The page could not check this input: injected fault/);
    assert.equal(await page.getByTestId('expected-signature').count(), 0, 'no stale expected signature');
    assert.match(await page.getByTestId('event-type').textContent(), /could not be shown/);
    assert.match(await page.getByTestId('event-errors').textContent(), /injected fault/);
    assert.equal(await page.getByTestId('event-tree').textContent(), '');
    // The body view, which used neither, still shows the new body.
    assert.match(await page.getByTestId('payload-summary').textContent(), /LF ×\d+/);
  });
});

describe('diagnosis', () => {
  const cases = [
    {
      name: 'body re-serialized: JSON.stringify(JSON.parse(body)), key order kept',
      payload: PRETTY,
      signature: hmac(SECRET, COMPACT),
      word: 'invalid',
      codes: ['RESERIALIZED'],
    },
    {
      name: 'body pretty-printed with 2 spaces',
      payload: COMPACT,
      signature: hmac(SECRET, PRETTY),
      word: 'invalid',
      codes: ['PRETTY_PRINTED'],
    },
    {
      name: 'trailing newline added',
      payload: `${COMPACT}\n`,
      signature: hmac(SECRET, COMPACT),
      word: 'invalid',
      codes: ['TRAILING_NEWLINE_ADDED'],
    },
    {
      name: 'trailing newline removed',
      payload: COMPACT,
      signature: hmac(SECRET, `${COMPACT}\n`),
      word: 'invalid',
      codes: ['TRAILING_NEWLINE_REMOVED'],
    },
    {
      name: 'LF changed to CR LF (pasted with CR kept)',
      paste: crlf(PRETTY),
      signature: hmac(SECRET, PRETTY),
      word: 'invalid',
      codes: ['LF_CHANGED_TO_CRLF'],
    },
    {
      name: 'CR LF changed to LF',
      payload: PRETTY,
      signature: hmac(SECRET, crlf(PRETTY)),
      word: 'invalid',
      codes: ['CRLF_CHANGED_TO_LF'],
    },
    {
      name: 'byte order mark added',
      payload: `\ufeff${COMPACT}`,
      signature: hmac(SECRET, COMPACT),
      word: 'invalid',
      codes: ['BYTE_ORDER_MARK'],
    },
    {
      name: 'whitespace around the secret',
      secret: `${SECRET} `,
      payload: COMPACT,
      signature: hmac(SECRET, COMPACT),
      word: 'invalid',
      codes: ['SECRET_WHITESPACE'],
    },
    {
      name: 'upper-case hex: valid, with a note',
      payload: COMPACT,
      signature: hmac(SECRET, COMPACT).toUpperCase(),
      word: 'valid',
      codes: ['UPPERCASE_HEX'],
    },
    {
      name: 'a sha256= prefix',
      payload: COMPACT,
      signature: `sha256=${hmac(SECRET, COMPACT)}`,
      word: 'malformed',
      codes: ['SCHEME_PREFIX'],
    },
    {
      name: 'a v1, prefix',
      payload: COMPACT,
      signature: `v1,${hmac(SECRET, COMPACT)}`,
      word: 'malformed',
      codes: ['SCHEME_PREFIX'],
    },
    {
      name: 'base64 instead of hex',
      payload: COMPACT,
      signature: createHmac('sha256', SECRET).update(COMPACT).digest('base64'),
      word: 'malformed',
      codes: ['BASE64'],
    },
    {
      name: 'a truncated signature',
      payload: COMPACT,
      signature: hmac(SECRET, COMPACT).slice(0, 40),
      word: 'malformed',
      codes: ['TRUNCATED'],
    },
    {
      name: 'a wrong secret: nothing else explains it',
      payload: COMPACT,
      signature: hmac('whsec_someone_elses', COMPACT),
      word: 'invalid',
      codes: ['WRONG_SECRET'],
    },
  ];

  for (const c of cases) {
    test(c.name, async () => {
      const page = await open();
      await fillChecker(page, { secrets: [c.secret ?? SECRET], signature: c.signature });
      if (c.paste !== undefined) await paste(page, 'payload', c.paste);
      else await fillChecker(page, { payload: c.payload });
      assert.equal((await verdict(page)).word, c.word);
      assert.deepEqual(await findingCodes(page), c.codes);
      const item = page.getByTestId('diagnosis').locator('li[data-code]').first();
      assert.ok(((await item.textContent()) ?? '').length > 40, 'each finding is explained');
      // The title and explanation shown are the core's, for the body the page checked.
      const core = await page.evaluate(async ({ secret, body, signature }) => {
        const { diagnose } = await import('./pkg/debugger.js');
        return diagnose([secret], body, signature).findings;
      }, { secret: c.secret ?? SECRET, body: c.paste ?? c.payload, signature: c.signature });
      assert.deepEqual(core.map((f) => f.code), c.codes);
      const shown = await page.getByTestId('diagnosis').locator('li[data-code]').evaluateAll((items) =>
        items.map((li) => ({ title: li.querySelector('strong').innerText, text: li.innerText })),
      );
      shown.forEach(({ title, text }, i) => {
        assert.equal(title, `${core[i].note ? 'Note: ' : ''}${core[i].title}`);
        assert.notEqual(core[i].title, core[i].code);
        assert.equal(text, `${title}\n${core[i].message}`);
      });
    });
  }

  test('the body view shows CR, LF, tabs, BOM, non-breaking spaces and the final newline', async () => {
    const page = await open();
    await paste(page, 'payload', '\ufeff{\r\n\t"a":\u00a0"b"  \r\n}\n');
    const visible = await page.getByTestId('payload-visible').textContent();
    for (const label of ['BOM', 'CR', 'LF', 'TAB', 'NBSP', '··', 'end of body']) {
      assert.ok(visible.includes(label), `${label} shown in ${JSON.stringify(visible)}`);
    }
    const summary = await page.getByTestId('payload-summary').textContent();
    assert.match(summary, /CR LF ×2/);
    assert.match(summary, /LF ×1/);
    assert.match(summary, /ends with a line break/);
    assert.match(summary, /byte order mark/);
    // The exact bytes (with CR) are what the page verifies: a notice says so.
    assert.equal(await page.getByTestId('payload-exact').isVisible(), true);
  });
});

test('a body loaded from a file keeps its exact bytes (CR LF included)', async () => {
  const page = await open();
  const body = crlf(PRETTY);
  await fillChecker(page, { secrets: [SECRET], signature: hmac(SECRET, body) });
  await page.getByTestId('payload-file').setInputFiles({ name: 'body.json', mimeType: 'application/json', buffer: Buffer.from(body) });
  await page.waitForFunction(() => !document.querySelector('[data-testid="payload-exact"]').hidden);
  assert.equal((await verdict(page)).word, 'valid');
  assert.match(await page.getByTestId('payload-exact').textContent(), /the file body\.json/);
  // Typing replaces the exact bytes with the field's text (LF only): the verdict follows.
  await page.getByTestId('payload').press('End');
  await page.keyboard.type(' ');
  await page.getByTestId('payload').press('Backspace');
  assert.equal((await verdict(page)).word, 'invalid');
  assert.deepEqual(await findingCodes(page), ['CRLF_CHANGED_TO_LF']);
});

describe('raw HTTP request', () => {
  test('the legacy header name is found and reported', async () => {
    const page = await open();
    await fillChecker(page, { secrets: [SECRET] });
    await page.locator('#raw-section summary').click();
    const raw = `POST /webhooks HTTP/1.1\nHost: example.com\nContent-Type: application/json\nX-BitVault-Signature: ${hmac(SECRET, COMPACT)}\n\n${COMPACT}`;
    await page.getByTestId('raw-request').fill(raw);
    assert.equal(await page.getByTestId('signature').inputValue(), hmac(SECRET, COMPACT));
    assert.equal(await page.getByTestId('payload').inputValue(), COMPACT);
    assert.equal((await verdict(page)).word, 'valid');
    assert.deepEqual(await findingCodes(page), ['LEGACY_HEADER']);
    assert.match(await page.getByTestId('raw-status').textContent(), /X-BitVault-Signature \(the legacy name\)/);
    // Typing a signature by hand forgets where the old one came from.
    await fillChecker(page, { signature: hmac(SECRET, COMPACT) });
    assert.deepEqual(await findingCodes(page), []);
  });

  test('a CR LF request keeps its exact body bytes; a trailing newline from the paste is diagnosed', async () => {
    const page = await open();
    await fillChecker(page, { secrets: [SECRET] });
    await page.locator('#raw-section summary').click();
    const body = crlf(PRETTY);
    const raw = `POST /webhooks HTTP/1.1\r\nContent-Length: ${Buffer.byteLength(body)}\r\nX-DigiVault-Signature: ${hmac(SECRET, body)}\r\n\r\n${body}`;
    await paste(page, 'raw-request', raw);
    assert.equal((await verdict(page)).word, 'valid');
    assert.match(await page.getByTestId('raw-status').textContent(), /from X-DigiVault-Signature/);
    await paste(page, 'raw-request', `${raw}\r\n`);
    assert.equal((await verdict(page)).word, 'invalid');
    assert.deepEqual(await findingCodes(page), ['TRAILING_NEWLINE_ADDED']);
    assert.match(await page.getByTestId('raw-status').textContent(), /Content-Length says/);
  });

  test('text that is not a request is reported, fields untouched', async () => {
    const page = await open();
    await fillChecker(page, { payload: COMPACT });
    await page.locator('#raw-section summary').click();
    await page.getByTestId('raw-request').fill('hello there\n\n{}');
    assert.match(await page.getByTestId('raw-status').textContent(), /Not read: not an HTTP request/);
    assert.equal(await page.getByTestId('payload').inputValue(), COMPACT);
  });
});

describe('event view', () => {
  test('a known type with its description and its fields', async () => {
    const page = await open();
    await fillChecker(page, { payload: PRETTY });
    const type = await page.getByTestId('event-type').textContent();
    assert.match(type, /conversation\.message\.created — A new message was sent in a conversation/);
    assert.equal(await page.getByTestId('event-errors').locator('li').count(), 0);
    const tree = await page.getByTestId('event-tree').textContent();
    assert.match(tree, /conversation_id: "conv_1"/);
    assert.match(tree, /2022-01-01T00:00:00Z/);
  });

  test('an unknown type is shown as unknown, not as an error', async () => {
    const page = await open();
    await fillChecker(page, { payload: JSON.stringify({ ...EVENT, type: 'invoice.paid', data: { object: { id: 'inv_1' } } }) });
    const type = await page.getByTestId('event-type').textContent();
    assert.match(type, /Unknown event type invoice\.paid/);
    assert.equal(await page.getByTestId('event-errors').locator('li').count(), 0);
  });

  test('validation errors come with their JSON path', async () => {
    const page = await open();
    const bad = { ...EVENT, data: { object: { ...EVENT.data.object, conversation_id: 5 } } };
    await fillChecker(page, { payload: JSON.stringify(bad) });
    const errors = await page.getByTestId('event-errors').textContent();
    assert.match(errors, /INVALID_EVENT at data\.object\.conversation_id/);
    assert.equal(await page.locator('#event-tree li.error-node > .key').textContent(), 'conversation_id');
    await fillChecker(page, { payload: '{"id": ' });
    assert.match(await page.getByTestId('event-errors').textContent(), /INVALID_JSON/);
  });
});

/** The body and signature header of a generated curl command, unquoted as a shell would. */
function parseCurl(command) {
  const unquote = (quoted) => quoted.slice(1, -1).replaceAll(`'\\''`, "'");
  const body = command.match(/--data-binary ('(?:[^']|'\\'')*')$/)?.[1];
  const header = command.match(/-H ('X-DigiVault-Signature: (?:[^']|'\\'')*')/)?.[1];
  assert.ok(body && header, `curl command not understood:\n${command}`);
  return { body: unquote(body), signature: unquote(header).replace('X-DigiVault-Signature: ', '') };
}

describe('generator', () => {
  test('every one of the sixteen types is offered', async () => {
    const page = await open();
    const options = await page.getByTestId('generate-type').locator('option').evaluateAll((o) => o.map((x) => x.value));
    assert.equal(options.length, 16);
    assert.ok(options.includes('group.member_removed'));
  });

  test('a generated curl command verifies with node:crypto, parses as the chosen type, and runs', async () => {
    const page = await open();
    await fillChecker(page, { secrets: [SECRET] });
    await page.getByTestId('generate-type').selectOption('group.member_added');
    await page.getByTestId('generate-url').fill(`${server.origin}/webhooks`);
    await page.getByTestId('generate').click();
    const command = await page.getByTestId('curl').textContent();
    const { body, signature } = parseCurl(command);
    assert.equal(signature, hmac(SECRET, body));
    const event = JSON.parse(body);
    assert.equal(event.type, 'group.member_added');
    assert.match(event.id, /^webhook_[0-9a-f]{20}$/);
    assert.ok(Math.abs(event.created_at - Date.now() / 1000) < 24 * 3600, 'created_at is the current time');
    assert.ok(!command.includes(SECRET), 'the secret is not in the command');

    // The page's own parser and the Node snippet agree.
    const snippet = await page.getByTestId('node-snippet').textContent();
    assert.ok(snippet.includes(`const body = ${JSON.stringify(body)};`));
    assert.ok(snippet.includes('sign(process.env.WEBHOOK_SECRET, body)'));

    // Run the command as copied: the local server receives exactly that body and signature.
    // Asynchronously: the server answering curl runs in this process.
    await promisify(execFile)('bash', ['-c', command], { timeout: 30_000 });
    const delivery = server.received.at(-1);
    assert.equal(delivery.path, '/webhooks');
    assert.equal(delivery.body.toString(), body);
    assert.equal(delivery.headers['x-digivault-signature'], hmac(SECRET, delivery.body));

    // A second sample gets a fresh id; checking it above gives a valid verdict.
    await page.getByTestId('generate').click();
    assert.notEqual(JSON.parse(parseCurl(await page.getByTestId('curl').textContent()).body).id, event.id);
    await page.getByTestId('check-generated').click();
    assert.equal((await verdict(page)).word, 'valid');
    assert.match(await page.getByTestId('event-type').textContent(), /group\.member_added — A member was added to a group/);
  });

  test('without a secret it asks for one instead of signing', async () => {
    const page = await open();
    await page.getByTestId('generate').click();
    assert.match(await page.getByTestId('generate-status').textContent(), /Enter a secret/);
    assert.equal(await page.getByTestId('curl').isVisible(), false);
  });
});

describe('page', () => {
  test('a Content-Security-Policy forbids remote connections (checked in the browser)', async () => {
    const page = await open();
    const csp = await page.locator('meta[http-equiv="Content-Security-Policy"]').getAttribute('content');
    assert.match(csp, /default-src 'none'/);
    assert.match(csp, /connect-src 'self'/);
    const outcome = await page.evaluate(async () => {
      const violation = new Promise((resolve) =>
        document.addEventListener('securitypolicyviolation', (e) => resolve(e.violatedDirective), { once: true }),
      );
      const fetched = await fetch('http://192.0.2.1/').then(() => 'fetched', () => 'blocked');
      return { fetched, directive: await violation };
    });
    assert.deepEqual(outcome, { fetched: 'blocked', directive: 'connect-src' });
    // The blocked attempt is logged by the browser: expected here, so not an error of the page.
    current.errors.splice(0, current.errors.length, ...current.errors.filter((e) => !/Content Security Policy/.test(e)));
  });

  test('secrets are not stored and the inputs do not autocomplete', async () => {
    const page = await open();
    await fillChecker(page, { secrets: [SECRET] });
    const stored = await page.evaluate(() => localStorage.length + sessionStorage.length + document.cookie.length);
    assert.equal(stored, 0);
    assert.equal(await page.getByTestId('secret').getAttribute('autocomplete'), 'off');
  });

  test('readable on a phone-sized screen: no horizontal scrolling', async () => {
    const page = await open({ viewport: { width: 375, height: 740 } });
    await fillChecker(page, { payload: PRETTY, secrets: [SECRET], signature: hmac(SECRET, COMPACT) });
    await page.getByTestId('generate').click();
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `the page is ${overflow}px wider than the screen`);
  });

  test('dark mode follows prefers-color-scheme', async () => {
    const luminance = async (page) =>
      page.evaluate(() => {
        const [r, g, b] = getComputedStyle(document.body).backgroundColor.match(/\d+/g).map(Number);
        return (0.2126 * r + 0.7152 * g + 0.0722 * b) / 255;
      });
    const light = await open({ colorScheme: 'light' });
    assert.ok((await luminance(light)) > 0.8);
    await current.context.close();
    current = undefined;
    const dark = await open({ colorScheme: 'dark' });
    assert.ok((await luminance(dark)) < 0.2);
  });

  test('keyboard only: Tab reaches every input, Enter generates', async () => {
    const page = await open();
    const reached = new Set();
    for (let i = 0; i < 40 && !reached.has('generate'); i += 1) {
      await page.keyboard.press('Tab');
      const id = await page.evaluate(() => document.activeElement?.dataset.testid);
      if (id) reached.add(id);
      if (id === 'secret') await page.keyboard.type(SECRET);
    }
    for (const id of ['payload', 'secret', 'signature', 'generate-type', 'generate']) {
      assert.ok(reached.has(id), `${id} is reachable with Tab (reached ${[...reached]})`);
    }
    await page.keyboard.press('Enter');
    assert.equal(await page.getByTestId('curl').isVisible(), true);
  });

  test('every input has a label', async () => {
    const page = await open();
    const unlabelled = await page.evaluate(() =>
      [...document.querySelectorAll('input:not([type=file]), textarea, select')]
        .filter((field) => field.labels.length === 0)
        .map((field) => field.id),
    );
    assert.deepEqual(unlabelled, []);
  });

  test('screenshot of a failing-signature diagnosis', async () => {
    const page = await open({ viewport: { width: 900, height: 900 } });
    await fillChecker(page, { payload: `${COMPACT}\n`, secrets: [SECRET], signature: hmac(SECRET, COMPACT) });
    assert.deepEqual(await findingCodes(page), ['TRAILING_NEWLINE_ADDED']);
    // Page coordinates (the page may have scrolled to the focused field).
    const bottom = await page.locator('section').nth(1).evaluate((s) => s.getBoundingClientRect().bottom + window.scrollY);
    const clip = { x: 0, y: 0, width: 900, height: Math.ceil(bottom) + 12 };
    const png = await page.screenshot({ clip, fullPage: true });
    assert.equal(png.subarray(1, 4).toString(), 'PNG');
    // Refreshed only on request, so a test run does not rewrite a committed file.
    if (process.env.UPDATE_SCREENSHOT === '1') {
      mkdirSync(join(ROOT, 'docs'), { recursive: true });
      writeFileSync(join(ROOT, 'docs', 'debugger.png'), png);
    }
  });
});
