// parseEvent's and constructEvent's fast path (issue 20): JSON.parse builds the event, and the
// checkers generated from the core's shape tables (event-checkers.js) check the value it
// built, counting the keys of the fields the tables name. The core's pre-scan
// (`plainKeyCount`) counts every key the text writes, and answers only for text JSON.parse
// reads as the core does (no `\u` escapes, integers only, ...). Equal counts mean no key was
// written twice (JSON.parse keeps one of two) and none the tables do not name. Anything else
// returns a count that differs, or NaN, and the core's validator decides: the answers, errors
// included, stay the core's; this check can only say "valid". (Fields are read as
// `object.name`, so a process whose Object.prototype was given a required field's name could
// have that field's absence hidden by an unknown key's count, as a zod schema would read it;
// own-property checks on every read would cost a few percent for a process already subverted.)
import { isInteger, isObject, objectCheckers } from './event-checkers.js';

// serde_json refuses nesting deeper than 128: deeper than this is left to the core.
const MAX_DEPTH = 100;

/** Keys under `value`, any JSON value (the object of a type this version does not know). */
function keysIn(value, depth) {
  if (typeof value !== 'object' || value === null) return 0;
  if (depth === 0) return NaN;
  let keys = 0;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) keys += keysIn(value[i], depth - 1);
    return keys;
  }
  for (const key in value) keys += 1 + keysIn(value[key], depth - 1);
  return keys;
}

/** The keys of a valid `event` (the envelope's four, `object`, and the counted ones under it), else NaN. */
export function checkedKeys(event) {
  if (!isObject(event)) return NaN;
  const { id, type, created_at: createdAt, data } = event;
  if (typeof id !== 'string' || id === '' || typeof type !== 'string' || type === '' || !isInteger(createdAt) || !isObject(data)) {
    return NaN;
  }
  const object = data.object;
  if (!isObject(object)) return NaN;
  // A receiver mostly sees a few types in a row: comparing with the last is cheaper than
  // hashing the type (a new string each time) for the map.
  if (type !== lastType) {
    lastType = type;
    lastCheck = objectCheckers.get(type);
  }
  return 5 + (lastCheck === undefined ? keysIn(object, MAX_DEPTH) : lastCheck(object));
}

let lastType = '';
let lastCheck;
