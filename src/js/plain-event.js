// parseEvent's fast path (issue 20): JSON.parse builds the event, and this walk checks the
// value it built against the core's shape tables (`objectShapes`), counting keys as it goes.
// The core's pre-scan (`plainKeyCount`) counts the keys the text writes and answers only for
// text that JSON.parse reads as the core does (no escapes, integers only, ...); equal counts
// mean no key was written twice. Any doubt returns NaN and the core's full validator decides,
// so the answers, errors included, stay the core's: this walk can only say "valid".

// serde_json refuses nesting deeper than 128: deeper than this is left to the core.
const MAX_DEPTH = 100;

/** Keys under `value`, any JSON value; NaN past MAX_DEPTH. */
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

function isObject(value) {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** An integer a 64-bit field holds exactly (`-0` is a float to serde_json). */
function isInteger(value) {
  return Number.isSafeInteger(value) && (value !== 0 || 1 / value > 0);
}

const anyObject = (value, depth) => (isObject(value) ? keysIn(value, depth) : NaN);

/** A checker (value, depth) => keys under value, or NaN, for a shape `Kind::describe` wrote. */
function checker(shape) {
  if (shape === 's') return (value) => (typeof value === 'string' ? 0 : NaN);
  if (shape === 'i') return (value) => (isInteger(value) ? 0 : NaN);
  if (shape === 'u') return (value) => (isInteger(value) && value >= 0 ? 0 : NaN);
  if (shape === 'o') return anyObject;
  if (Array.isArray(shape)) {
    const element = checker(shape[0]);
    return (value, depth) => {
      if (!Array.isArray(value) || depth === 0) return NaN;
      let keys = 0;
      for (let i = 0; i < value.length; i++) keys += element(value[i], depth - 1);
      return keys;
    };
  }
  const fields = new Map();
  let required = 0;
  for (const [name, [kind, isRequired]] of Object.entries(shape)) {
    fields.set(name, { check: checker(kind), required: isRequired });
    if (isRequired) required += 1;
  }
  return (value, depth) => {
    if (!isObject(value) || depth === 0) return NaN;
    let keys = 0;
    let requiredSeen = 0;
    for (const key in value) {
      keys += 1;
      const field = fields.get(key);
      const inner = value[key];
      if (field === undefined) keys += keysIn(inner, depth - 1);
      else {
        if (field.required) requiredSeen += 1;
        else if (inner === null) continue;
        keys += field.check(inner, depth - 1);
      }
    }
    return requiredSeen === required ? keys : NaN;
  };
}

let objectCheckers = null;

/**
 * Keys in `event` if it is a valid event by the core's tables, else NaN. `bindings` is the
 * loaded wasm-bindgen module (the tables are read from it once).
 */
export function checkedKeys(event, bindings) {
  if (objectCheckers === null) {
    const byName = new Map(Object.entries(JSON.parse(bindings.objectShapes())).map(([name, shape]) => [name, checker(shape)]));
    objectCheckers = new Map(bindings.eventTypes().map(([type, , object]) => [type, byName.get(object)]));
  }
  if (!isObject(event)) return NaN;
  const { id, type, created_at: createdAt, data } = event;
  if (typeof id !== 'string' || id === '' || typeof type !== 'string' || type === '' || !isInteger(createdAt) || !isObject(data)) return NaN;
  let keys = 0;
  for (const key in event) keys += key === 'data' ? 1 : 1 + keysIn(event[key], MAX_DEPTH);
  const object = objectCheckers.get(type) ?? anyObject;
  let sawObject = false;
  for (const key in data) {
    if (key === 'object') {
      sawObject = true;
      keys += 1 + object(data.object, MAX_DEPTH - 1);
    } else keys += 1 + keysIn(data[key], MAX_DEPTH - 1);
  }
  return sawObject ? keys : NaN;
}
