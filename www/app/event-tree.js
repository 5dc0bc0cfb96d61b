// The event: its type with the guide's description, validation errors with their JSON
// path, and its fields as a tree.
import { parseEvent } from '../pkg/web.js';
import { $, decoder, el } from './dom.js';
import { state } from './state.js';

// Levels of the tree drawn: events are a few levels deep, and a pasted body nested
// thousands of levels deep must not exhaust the stack or the page.
export const TREE_DEPTH_LIMIT = 32;

function leaf(value, key) {
  if (value === null) return el('span', { class: 'null' }, 'null');
  if (typeof value === 'string') return el('span', { class: 'string' }, JSON.stringify(value));
  const node = el('span', { class: typeof value }, String(value));
  if (typeof value === 'number' && /_at$/.test(key) && Number.isInteger(value)) {
    const date = new Date(value * 1000);
    if (!Number.isNaN(date.getTime())) {
      return el('span', {}, node, el('span', { class: 'when' }, ` ${date.toISOString().replace('.000', '')}`));
    }
  }
  return node;
}

function tree(value, path, errorPath, depth = 1) {
  const list = el('ul', { class: 'tree' });
  const entries = Array.isArray(value) ? value.map((v, i) => [String(i), v]) : Object.entries(value);
  for (const [key, child] of entries) {
    const childPath = Array.isArray(value) ? `${path}[${key}]` : path === '' ? key : `${path}.${key}`;
    const item = el('li', { class: childPath === errorPath ? 'error-node' : '' }, el('span', { class: 'key' }, key), ': ');
    if (child !== null && typeof child === 'object') {
      item.append(Array.isArray(child) ? `[${child.length}]` : '{…}');
      if (depth < TREE_DEPTH_LIMIT) item.append(tree(child, childPath, errorPath, depth + 1));
      else item.append(el('span', { class: 'end', 'data-testid': 'tree-cut' }, ` deeper than ${TREE_DEPTH_LIMIT} levels: not shown`));
    } else {
      item.append(leaf(child, key));
    }
    list.append(item);
  }
  return list;
}

export function renderEvent(bytes) {
  const type = $('event-type');
  const errors = $('event-errors');
  const box = $('event-tree');
  errors.replaceChildren();
  box.replaceChildren();
  if (bytes.length === 0) {
    type.textContent = 'Paste a body to see its event.';
    return;
  }
  let value;
  let error = null;
  try {
    value = parseEvent(bytes);
  } catch (failure) {
    error = failure;
    try {
      value = JSON.parse(decoder.decode(bytes).replace(/^\ufeff/, ''));
    } catch {
      value = undefined;
    }
  }
  const name = value !== null && typeof value === 'object' ? value.type : undefined;
  if (typeof name === 'string' && state.known.has(name)) {
    type.replaceChildren(el('code', {}, name), ` — ${state.known.get(name)}`);
  } else if (typeof name === 'string' && name !== '') {
    type.replaceChildren(
      'Unknown event type ',
      el('code', {}, name),
      ': not one of the sixteen in the guide. The package passes it through as an unknown event ' +
        '(isKnownEvent(event) is false) instead of rejecting it.',
    );
  } else {
    type.textContent = 'No event type.';
  }
  if (error !== null) {
    errors.append(
      el('li', {}, el('code', {}, error.code), error.path ? ' at ' : '', error.path ? el('code', {}, error.path) : null, `: ${error.message}`),
    );
  }
  if (value !== null && typeof value === 'object') box.append(tree(value, '', error?.path));
}

/** When the event could not be shown: say so, rather than keep the previous body's. */
export function renderEventFailure(failure) {
  $('event-type').textContent = 'The event could not be shown.';
  $('event-errors').replaceChildren(el('li', {}, `The event view failed: ${failure.message}`));
  $('event-tree').replaceChildren();
}
