/** Text helpers for validation messages: code-point lengths and a short, safe rendering of any value. */

/** Length in Unicode code points (what users and the tag service count), stopping early past `stopAfter`. */
export function codePointLength(s: string, stopAfter = Number.POSITIVE_INFINITY): number {
  // A UTF-16 string has at least length/2 code points; skip the walk when that already exceeds the bound.
  if (s.length / 2 > stopAfter) return Math.ceil(s.length / 2);
  let n = 0;
  for (const _ of s) {
    n += 1;
    if (n > stopAfter) break;
  }
  return n;
}

function firstCodePoints(s: string, count: number): string {
  let out = '';
  let n = 0;
  for (const c of s) {
    if (n === count) break;
    out += c;
    n += 1;
  }
  return out;
}

/** Short, safe rendering of any value for a message: never throws (BigInt, symbols, null prototypes). */
export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  switch (typeof value) {
    case 'string': {
      return JSON.stringify(codePointLength(value, 40) > 40 ? `${firstCodePoints(value, 40)}…` : value);
    }
    case 'number':
    case 'boolean':
      return String(value);
    case 'bigint':
      return `${value.toString()}n`;
    case 'undefined':
      return 'nothing';
    case 'object':
      return 'an object';
    default:
      return `a ${typeof value}`;
  }
}
