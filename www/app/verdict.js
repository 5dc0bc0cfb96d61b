// The verdict, the expected signature for each secret beside the received one, and the
// diagnosis: all as the core decided them (the titles and explanations too). One rendering
// for the debugger's checker and for the console's refused deliveries (whose verdict and
// diagnosis the Worker computed): each passes the elements to draw into.
import { $, el, present } from './dom.js';

/** The debugger's own verdict view: the elements of its Verdict section. */
export function checkerView() {
  return { verdict: $('verdict'), signatures: $('signatures'), diagnosis: $('diagnosis') };
}

/** The expected hex with the characters that differ from the received one marked. */
function diffed(text, other) {
  const node = el('code');
  const compare = other.toLowerCase();
  let run = '';
  let marking = false;
  const flush = () => {
    if (run !== '') node.append(marking ? el('mark', {}, run) : run);
    run = '';
  };
  for (let i = 0; i < text.length; i += 1) {
    const differs = text[i].toLowerCase() !== compare[i];
    if (differs !== marking) flush();
    marking = differs;
    run += text[i];
  }
  flush();
  return node;
}

function renderWord(view, result, secretList) {
  const { verdict } = view;
  verdict.className = `verdict ${result.verdict}`;
  const detail =
    result.verdict === 'valid'
      ? `verifies with secret #${result.matchedSecret + 1}${secretList.length > 1 ? ` of ${secretList.length}` : ''}`
      : result.message;
  verdict.replaceChildren(
    ...present([
      el('span', { class: 'word' }, result.verdict),
      ' ',
      result.code ? el('code', {}, result.code) : null,
      result.code ? ' ' : null,
      detail,
    ]),
  );
}

function renderSignatures(view, result, received, expectedNote) {
  const list = el('dl');
  list.append(
    el('dt', {}, 'Received'),
    el('dd', {}, received === '' ? el('code', {}, '(none)') : diffed(received, result.expected[result.matchedSecret ?? 0] ?? received)),
  );
  result.expected.forEach((expected, index) => {
    const matched = result.matchedSecret === index;
    const code = diffed(expected, received);
    code.dataset.testid = 'expected-signature';
    code.title = 'HMAC-SHA256 of the body with this secret, lowercase hex';
    list.append(
      el('dt', {}, `Expected with secret #${index + 1}`, matched ? el('span', { class: 'matched' }, ' (matches)') : null),
      el('dd', {}, code),
    );
  });
  if (result.expected.length === 0) list.append(el('dt', {}, 'Expected'), el('dd', {}, expectedNote));
  view.signatures.replaceChildren(list);
}

function renderFindings(view, result, secretList, noFindings) {
  const items = result.findings.map((finding) =>
    el(
      'li',
      { class: finding.note ? 'note' : 'mistake', dataset: { code: finding.code } },
      el('strong', {}, `${finding.note ? 'Note: ' : ''}${finding.title}` +
        (finding.secret !== undefined && secretList.length > 1 ? ` (secret #${finding.secret + 1})` : '')),
      finding.message,
    ),
  );
  if (items.length === 0) {
    let text = 'Nothing to report.';
    if (noFindings !== undefined) text = noFindings;
    else if (result.verdict === 'valid') text = 'Nothing to fix: this body, secret and signature agree.';
    else if (result.code === 'MISSING_SIGNATURE') text = 'Enter the received signature to diagnose it.';
    else if (result.code === 'NO_SECRET') text = 'Enter the secret from the DigiVault dashboard.';
    items.push(el('li', { class: 'none' }, text));
  }
  view.diagnosis.replaceChildren(...items);
}

/**
 * Draws a diagnosis `result` (`{ verdict, code?, message?, expected, matchedSecret?,
 * findings }`, the core's shape) of the received `signature` into `view` (default: the
 * checker's); `empty` when nothing was entered. `expectedNote` is said when `expected` is
 * empty, `noFindings` (when given) when `findings` is.
 */
export function renderVerdict(
  result,
  signature,
  secretList,
  empty,
  { view = checkerView(), expectedNote = 'Enter a secret to see it.', noFindings } = {},
) {
  if (empty) {
    const { verdict } = view;
    verdict.className = 'verdict waiting';
    verdict.textContent = 'Enter a body, a secret and the received signature: the verdict follows as you type.';
  } else {
    renderWord(view, result, secretList);
  }
  renderSignatures(view, result, signature.trim(), expectedNote);
  renderFindings(view, result, secretList, noFindings);
}

/** When the check itself failed: no verdict at all, rather than the previous input's. */
export function renderVerdictFailure(error) {
  const verdict = $('verdict');
  verdict.className = 'verdict failed';
  verdict.replaceChildren(
    el('span', { class: 'word' }, 'no verdict'),
    ' ',
    `The page could not check this input: ${error.message}`,
  );
  $('signatures').replaceChildren();
  $('diagnosis').replaceChildren(el('li', { class: 'none' }, 'Nothing to report: the check did not run.'));
}
