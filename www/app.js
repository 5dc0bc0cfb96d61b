// The debugger page. Every decision (verdict, expected signatures, diagnosis, validation,
// request parsing, samples) comes from the package's wasm core; the modules in app/ read
// the inputs and render. It makes no network request: the wasm is the page's own asset.
//
// Each part of the page is drawn under its own guard: an input that makes one fail (a body
// nested thousands of levels deep, say) shows that part's failure, never the previous
// input's verdict or event.
import { diagnose, signatureHeaderNames } from './pkg/debugger.js';
import { eventTypes, init } from './pkg/web.js';
import { renderBytes, renderBytesFailure } from './app/body-view.js';
import { $, el } from './app/dom.js';
import { renderEvent, renderEventFailure } from './app/event-tree.js';
import { bindGenerator } from './app/generator.js';
import { bindInputs, bodyBytes, secrets } from './app/inputs.js';
import { state } from './app/state.js';
import { renderVerdict, renderVerdictFailure } from './app/verdict.js';

/** Runs `render`; when it throws, `fail` draws that part's failure instead. */
function guarded(render, fail) {
  try {
    render();
  } catch (error) {
    fail(error instanceof Error ? error : new Error(String(error)));
  }
}

function update() {
  let bytes;
  try {
    bytes = bodyBytes();
  } catch (error) {
    renderBytesFailure(error);
    renderVerdictFailure(error);
    renderEventFailure(error);
    return;
  }
  const secretList = secrets();
  const signature = $('signature').value;
  guarded(() => renderBytes(bytes), renderBytesFailure);
  guarded(() => {
    const result = diagnose(secretList, bytes, signature, { legacyHeader: state.legacyHeader });
    renderVerdict(result, signature, secretList, bytes.length === 0 && secretList.length === 0 && signature === '');
  }, renderVerdictFailure);
  guarded(() => renderEvent(bytes), renderEventFailure);
}

async function main() {
  const status = $('load-status');
  try {
    await init();
  } catch (error) {
    status.textContent = `The WebAssembly core did not load (${error.message}). This page needs a browser with WebAssembly SIMD.`;
    status.classList.add('bad');
    return;
  }
  status.textContent = '';
  status.hidden = true;

  state.headers = signatureHeaderNames();
  const select = $('generate-type');
  for (const { type, description } of eventTypes()) {
    state.known.set(type, description);
    select.append(el('option', { value: type }, `${type} — ${description}`));
  }

  bindInputs(update);
  bindGenerator(update);
  update();
  document.body.dataset.ready = 'true';
}

main();
