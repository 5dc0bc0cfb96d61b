// Argument parsing shared by the command line's subcommands: node:util's parseArgs with
// errors worded for the user.
import { parseArgs } from 'node:util';

/** node:util's parseArgs, its errors as one-line TypeErrors for the user. */
export function parseCommandLine(argv, options) {
  try {
    return parseArgs({ args: argv, options, strict: true, allowPositionals: true });
  } catch (err) {
    const unknown = /^Unknown option '([^']*)'/.exec(err.message);
    throw new TypeError(unknown ? `unknown option ${unknown[1]}` : err.message.replaceAll('\n', ' '));
  }
}

/** A number option, or `fallback` when absent; throws a TypeError below `min`. */
export function numberOption(values, name, fallback, min, { integer = false } = {}) {
  if (values[name] === undefined) return fallback;
  const value = Number(values[name]);
  if (!Number.isFinite(value) || value < min) throw new TypeError(`--${name} must be a number >= ${min}`);
  if (integer && !Number.isInteger(value)) throw new TypeError(`--${name} must be a whole number`);
  return value;
}
