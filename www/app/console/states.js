// What a view shows while it loads, when a list is empty, and when a call failed: one
// wording for every view.
import { el, present } from '../dom.js';

/** A "loading" line (`data-state="loading"`). */
export function loading(what) {
  return el('p', { class: 'state loading', dataset: { state: 'loading' }, role: 'status' }, `Loading ${what}…`);
}

/** An empty list, said in words (`data-state="empty"`), with an optional hint. */
export function empty(text, hint) {
  return el(
    'div',
    { class: 'state empty', dataset: { state: 'empty' } },
    el('p', {}, text),
    hint ? el('p', { class: 'hint' }, hint) : null,
  );
}

/** The sentence for a failed admin call; `feature` names what a 404 would be missing. */
export function describe(error, feature) {
  switch (error.kind) {
    case 'off':
      return feature
        ? `This receiver has no ${feature}: its admin API answered 404 (a Worker older than the console, or the feature is turned off).`
        : 'The admin API is off on this receiver: it answers 404 under /admin/. Set the ADMIN_TOKEN secret ' +
            '(32 characters or more) and bind LEDGER, then deploy again.';
    case 'network':
      return `The receiver could not be reached (${error.message}). Check the connection, then retry.`;
    case 'unavailable':
      return 'The delivery ledger is unavailable for the moment (503 LEDGER_UNAVAILABLE). Retry in a few seconds.';
    case 'not-found':
      return `Not found (${error.code}): ${error.message}. It may have expired and been deleted.`;
    default:
      return `The receiver answered HTTP ${error.status ?? '?'}${error.code ? ` ${error.code}` : ''}: ${error.message}.`;
  }
}

/** A failed call in words (`data-state="error"`, `data-kind`), with a Retry button when one helps. */
export function failure(error, { feature, retry } = {}) {
  const box = el(
    'div',
    { class: `state error ${error.kind}`, dataset: { state: 'error', kind: error.kind ?? 'failed' }, role: 'alert' },
    el('p', {}, describe(error, feature)),
  );
  if (retry && error.kind !== 'not-found' && error.kind !== 'off') {
    const button = el('button', { type: 'button', class: 'secondary', 'data-testid': 'retry' }, 'Retry');
    button.addEventListener('click', retry);
    box.append(button);
  }
  return box;
}

/** Replaces `container`'s children with `children`, leaving out null and undefined. */
export function show(container, ...children) {
  container.replaceChildren(...present(children));
}
