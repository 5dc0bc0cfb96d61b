// The generator: a sample event of any type, signed with the first secret, as a curl
// command and a Node snippet; "Check it above" puts it in the checker.
import { sampleEvent, sign } from '../pkg/web.js';
import { $, encoder } from './dom.js';
import { secrets, setBody } from './inputs.js';
import { state } from './state.js';

function freshId() {
  const bytes = crypto.getRandomValues(new Uint8Array(10));
  return 'webhook_' + [...bytes].map((b) => b.toString(16).padStart(2, '0')).join('');
}

const shellQuote = (text) => `'${text.replaceAll("'", `'\\''`)}'`;

function generate() {
  const status = $('generate-status');
  const secret = secrets()[0];
  if (secret === undefined) {
    status.textContent = 'Enter a secret above first: the delivery is signed with it.';
    $('secret-1').focus();
    return;
  }
  const [header] = state.headers;
  const type = $('generate-type').value;
  const url = $('generate-url').value.trim() || 'http://127.0.0.1:8787/webhooks';
  const body = sampleEvent(type, { id: freshId(), createdAt: Math.floor(Date.now() / 1000) });
  const signature = sign(secret, body);
  $('curl').textContent = [
    `curl -sS -X POST ${shellQuote(url)}`,
    `  -H 'Content-Type: application/json'`,
    `  -H ${shellQuote(`${header}: ${signature}`)}`,
    `  --data-binary ${shellQuote(body)}`,
  ].join(' \\\n');
  $('node-snippet').textContent = [
    '// npm install digivault-webhooks; run with WEBHOOK_SECRET set to the secret above (Node 18+).',
    "import { sign } from 'digivault-webhooks';",
    '',
    `const body = ${JSON.stringify(body)};`,
    `const response = await fetch(${JSON.stringify(url)}, {`,
    "  method: 'POST',",
    '  headers: {',
    "    'Content-Type': 'application/json',",
    `    '${header}': sign(process.env.WEBHOOK_SECRET, body),`,
    '  },',
    '  body,',
    '});',
    'console.log(response.status, await response.text());',
  ].join('\n');
  $('generated').hidden = false;
  $('generated').dataset.body = body;
  $('generated').dataset.signature = signature;
  status.textContent = `Generated ${type}, signed with secret #1.`;
}

function checkGenerated(update) {
  const { body, signature } = $('generated').dataset;
  setBody(encoder.encode(body), 'the generator');
  $('signature').value = signature;
  state.legacyHeader = false;
  $('signature-source').textContent = 'From the generator.';
  update();
  $('payload').focus();
}

async function copy(event) {
  // Read before the await: currentTarget is null once the event has been dispatched.
  const button = event.currentTarget;
  const target = $(button.dataset.copy);
  try {
    await navigator.clipboard.writeText(target.textContent);
    button.textContent = 'Copied';
  } catch {
    getSelection().selectAllChildren(target);
  }
}

/** Wires the generator's buttons; `update` re-renders the checker. */
export function bindGenerator(update) {
  $('generate').addEventListener('click', generate);
  $('check-generated').addEventListener('click', () => checkGenerated(update));
  for (const button of document.querySelectorAll('button.copy')) button.addEventListener('click', copy);
}
