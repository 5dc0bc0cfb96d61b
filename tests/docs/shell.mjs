// Shell blocks of the docs, read the way bash reads them (well enough for the commands we
// document): continuation lines joined, comments dropped, quotes and $VARIABLES resolved. Each
// command is then classified by what it runs (see docs.test.mjs for what is checked of each).

/**
 * The commands of a shell block: { line, words, assignments, raw } where `assignments` are the
 * leading NAME=value words (a line of only assignments sets them for the lines after it, as a
 * shell does; `export` too). `env` is read for $NAME and ${NAME} and updated by assignments.
 */
export function commands(code, env) {
  const result = [];
  const lines = code.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = i + 1;
    let text = lines[i];
    while (/(^|[^\\])\\$/.test(text) && i + 1 < lines.length) text = text.slice(0, -1) + ' ' + lines[++i];
    const words = split(text, env);
    if (words.length === 0) continue;
    if (words[0] === 'export') words.shift();
    const assignments = {};
    while (words.length > 0 && /^[A-Za-z_][A-Za-z0-9_]*=/.test(words[0])) {
      const word = words.shift();
      const at = word.indexOf('=');
      assignments[word.slice(0, at)] = word.slice(at + 1);
    }
    if (words.length === 0) Object.assign(env, assignments);
    result.push({ line, words, assignments, raw: text.replace(/\s+#.*$/, '').trim() });
  }
  return result;
}

/** Splits one line into words: quotes, backslashes, $NAME and ${NAME} expansion; `#` at a word's start ends it. */
export function split(text, env) {
  const words = [];
  let word = null;
  let quote = null;
  const expand = (at) => {
    const match = /^\$(?:\{([A-Za-z_][A-Za-z0-9_]*)\}|([A-Za-z_][A-Za-z0-9_]*))/.exec(text.slice(at));
    if (!match) return null;
    const name = match[1] ?? match[2];
    if (env[name] === undefined) throw new Error(`$${name} is used before the block sets it: ${text.trim()}`);
    return { value: env[name], length: match[0].length };
  };
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quote === "'") {
      if (c === "'") quote = null;
      else word += c;
    } else if (quote === '"') {
      if (c === '"') quote = null;
      else if (c === '\\' && /["\\$`]/.test(text[i + 1] ?? '')) word += text[++i];
      else if (c === '$' && expand(i)) {
        const { value, length } = expand(i);
        word += value;
        i += length - 1;
      } else word += c;
    } else if (/\s/.test(c)) {
      if (word !== null) words.push(word);
      word = null;
    } else if (c === '#' && word === null) {
      break;
    } else if (c === "'" || c === '"') {
      quote = c;
      word ??= '';
    } else if (c === '\\') {
      word = (word ?? '') + (text[++i] ?? '');
    } else if (c === '$' && expand(i)) {
      const { value, length } = expand(i);
      word = (word ?? '') + value;
      i += length - 1;
    } else if (/[|;&<>`]/.test(c)) {
      throw new Error(`shell syntax the docs test does not read (${c}): ${text.trim()}`);
    } else {
      word = (word ?? '') + c;
    }
  }
  if (quote) throw new Error(`unclosed ${quote} in: ${text.trim()}`);
  if (word !== null) words.push(word);
  return words;
}

/** The `--option` names a command line uses (without values). */
export const optionNames = (words) => words.filter((word) => /^--[a-z]/.test(word)).map((word) => word.split('=')[0]);
