/**
 * Reads JSON text strictly: a syntax error is placed at its line and column, and a key that appears twice
 * in one object is refused. JSON.parse silently keeps the last of two keys, so `"dryRun":true,"dryRun":false`
 * would run for real; a manifest must never mean something other than what its author reads.
 */
import { ManifestError, type ValidationIssue } from '../errors.ts';
import { formatPath } from './issues.ts';

/** Where a character sits in a text, both 1-based; columns count UTF-16 units, as editors do. */
export interface TextPosition {
  readonly line: number;
  readonly column: number;
}

/** The line and column of offset `at` in `text`. Only called for a problem, so the walk costs nothing on success. */
export function positionAt(text: string, at: number): TextPosition {
  let line = 1;
  let lineStart = 0;
  for (let nl = text.indexOf('\n'); nl !== -1 && nl < at; nl = text.indexOf('\n', nl + 1)) {
    line++;
    lineStart = nl + 1;
  }
  return { line, column: at - lineStart + 1 };
}

// Past this many keys an object's duplicate check switches from a list to a Set.
const LIST_KEYS = 16;
// One absurd file must not produce an absurd message: duplicates past this count are summed up.
const MAX_DUPLICATES = 20;
const NUMBER = /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/y;
const HEX4 = /[0-9A-Fa-f]{4}/y;

/** Thrown inside the scanner at the first syntax error; caught in {@link readJsonText}. */
class SyntaxProblem {
  constructor(
    readonly at: number,
    readonly what: string,
  ) {}
}

/** A key seen twice in one object: where the second one is, and the path of the object holding it. */
interface Duplicate {
  readonly at: number;
  readonly key: string;
  readonly path: readonly (string | number)[];
}

/**
 * An open object (with the keys read so far) or array (with the index of its current element). One is kept
 * per depth and reused, since a manifest opens over a million small objects.
 */
interface Container {
  object: boolean;
  /** An object's keys so far, while there are few of them. */
  readonly keys: string[];
  /** An object's keys once there are many. */
  set: Set<string> | undefined;
  index: number;
}

/**
 * A single-pass checker of RFC 8259 JSON (the grammar JSON.parse accepts). It builds no values, only the
 * keys of the objects open at the moment, and keeps its own stack, so no nesting depth can overflow it.
 */
class JsonScanner {
  readonly duplicates: Duplicate[] = [];
  duplicateCount = 0;
  #pos = 0;
  readonly #text: string;
  /** `#containers[0 .. #depth - 1]` are the containers open now, outermost first. */
  readonly #containers: Container[] = [];
  #depth = 0;
  /** The path of the value being read: a key per open object, an index per open array. */
  readonly #path: (string | number)[] = [];

  /** The text is known to be valid JSON (JSON.parse took it), so string values need not be checked. */
  readonly #valid: boolean;

  constructor(text: string, valid: boolean) {
    this.#text = text;
    this.#valid = valid;
  }

  /** Checks the whole text: one value, and nothing after it but whitespace. */
  scan(): void {
    do this.#value();
    while (this.#afterValue());
    this.#skipSpace();
    if (this.#pos < this.#text.length) this.#fail('unexpected text after the end of the JSON value');
  }

  #fail(what: string, at = this.#pos): never {
    throw new SyntaxProblem(at, what);
  }

  #skipSpace(): void {
    const text = this.#text;
    let pos = this.#pos;
    for (let c = text.charCodeAt(pos); c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09; c = text.charCodeAt(pos)) {
      pos++;
    }
    this.#pos = pos;
  }

  /** Reads a scalar, or opens containers down to the first scalar or empty container; then a value has ended. */
  #value(): void {
    for (;;) {
      this.#skipSpace();
      const c = this.#text.charCodeAt(this.#pos);
      if (c === 0x7b || c === 0x5b) {
        this.#pos++;
        this.#skipSpace();
        if (this.#text.charCodeAt(this.#pos) === c + 2) {
          this.#pos++; // `{}` or `[]`: the brackets are two code points apart
          return;
        }
        const container = this.#open(c === 0x7b);
        this.#path.push(container.object ? this.#key(container) : 0);
      } else {
        this.#scalar(c);
        return;
      }
    }
  }

  #open(object: boolean): Container {
    let container = this.#containers[this.#depth];
    if (container === undefined) {
      container = { object, keys: [], set: undefined, index: 0 };
      this.#containers.push(container);
    } else {
      container.object = object;
      container.keys.length = 0;
      container.set = undefined;
      container.index = 0;
    }
    this.#depth++;
    return container;
  }

  #scalar(c: number): void {
    if (c === 0x22) {
      if (this.#valid) this.#skipString();
      else this.#string();
    } else if (c === 0x2d || (c >= 0x30 && c <= 0x39)) this.#number();
    else if (!this.#literal('true') && !this.#literal('false') && !this.#literal('null')) {
      this.#fail(Number.isNaN(c) ? 'the text ends where a value was expected' : 'expected a value');
    }
  }

  /** After a value: true at a comma (the next member follows), closing brackets until then; false at the end. */
  #afterValue(): boolean {
    while (this.#depth > 0) {
      const top = this.#containers[this.#depth - 1] as Container;
      this.#skipSpace();
      const c = this.#text.charCodeAt(this.#pos);
      this.#pos++;
      if (c === 0x2c) {
        top.index++;
        this.#path[this.#path.length - 1] = top.object ? this.#key(top) : top.index;
        return true;
      }
      if (c !== (top.object ? 0x7d : 0x5d)) this.#fail(this.#unclosed(c, top), this.#pos - 1);
      this.#depth--;
      this.#path.pop();
    }
    return false;
  }

  #unclosed(c: number, top: Container): string {
    if (Number.isNaN(c)) return 'the text ends before the closing bracket';
    return top.object ? 'expected "," or "}" after a property value' : 'expected "," or "]" after an array element';
  }

  /** Reads a property name of `object` and its colon, and notes a duplicate; returns the name. */
  #key(object: Container): string {
    this.#skipSpace();
    const at = this.#pos;
    if (this.#text.charCodeAt(at) !== 0x22) this.#fail('expected a property name in double quotes');
    // A key with an escape is decoded, so "a" and "\u0061" are seen as the one key they are.
    const key = this.#string() ?? (JSON.parse(this.#text.slice(at, this.#pos)) as string);
    this.#remember(object, key, at);
    this.#skipSpace();
    if (this.#text.charCodeAt(this.#pos) !== 0x3a) this.#fail('expected ":" after a property name');
    this.#pos++;
    return key;
  }

  #literal(word: string): boolean {
    if (!this.#text.startsWith(word, this.#pos)) return false;
    this.#pos += word.length;
    return true;
  }

  #number(): void {
    NUMBER.lastIndex = this.#pos;
    if (!NUMBER.test(this.#text)) this.#fail('malformed number');
    this.#pos = NUMBER.lastIndex;
  }

  /**
   * Moves past a string value in text JSON.parse accepted: its end is the next quote not escaped, found
   * natively, which is what keeps this pass cheap on manifests made mostly of tag text.
   */
  #skipString(): void {
    const text = this.#text;
    let end = text.indexOf('"', this.#pos + 1);
    for (;;) {
      let backslashes = 0;
      while (text.charCodeAt(end - 1 - backslashes) === 0x5c) backslashes++;
      if (backslashes % 2 === 0) break;
      end = text.indexOf('"', end + 1);
    }
    this.#pos = end + 1;
  }

  /** Reads a string starting at its opening quote; returns its text when it holds no escape, else undefined. */
  #string(): string | undefined {
    const text = this.#text;
    const start = this.#pos + 1;
    let pos = start;
    let escaped = false;
    for (;;) {
      const c = text.charCodeAt(pos);
      if (c === 0x22) break;
      if (c === 0x5c) {
        escaped = true;
        pos = this.#escape(pos);
      } else if (c < 0x20) {
        this.#fail(`unescaped control character \\x${c.toString(16).padStart(2, '0')} in a string`, pos);
      } else if (Number.isNaN(c)) {
        this.#fail('the text ends inside a string', this.#pos);
      } else pos++;
    }
    this.#pos = pos + 1;
    return escaped ? undefined : text.slice(start, pos);
  }

  /** Checks the escape at `pos` (a backslash) and returns the offset just after it. */
  #escape(pos: number): number {
    const next = this.#text[pos + 1];
    if (next === 'u') {
      HEX4.lastIndex = pos + 2;
      if (!HEX4.test(this.#text)) this.#fail('\\u must be followed by four hex digits', pos);
      return pos + 6;
    }
    if (next === undefined || !'"\\/bfnrt'.includes(next)) this.#fail('invalid escape in a string', pos);
    return pos + 2;
  }

  /** Records a key of `object` (the innermost open one), and a duplicate when it had that key already. */
  #remember(object: Container, key: string, at: number): void {
    const { keys, set } = object;
    if (set === undefined ? keys.includes(key) : set.has(key)) {
      this.duplicateCount++;
      const path = this.#path.slice(0, this.#depth - 1);
      if (this.duplicates.length < MAX_DUPLICATES) this.duplicates.push({ at, key, path });
    } else if (set !== undefined) set.add(key);
    else if (keys.push(key) > LIST_KEYS) object.set = new Set(keys);
  }
}

function where(text: string, at: number): string {
  const { line, column } = positionAt(text, at);
  return `line ${line}, column ${column}`;
}

function duplicateIssues(text: string, scanner: JsonScanner): ValidationIssue[] {
  const issues: ValidationIssue[] = scanner.duplicates.map((d) => ({
    path: formatPath([...d.path, d.key]),
    reason: `duplicate key ${JSON.stringify(d.key)} at ${where(text, d.at)}; each field may appear only once in an object`,
  }));
  const more = scanner.duplicateCount - scanner.duplicates.length;
  if (more > 0) issues.push({ path: '', reason: `and ${more} more duplicate keys not listed` });
  return issues;
}

/**
 * Parses JSON text like JSON.parse, but throws {@link ManifestError} naming the line and column of a
 * syntax error, and listing every key that appears twice in one object (path, key, line and column).
 */
export function readJsonText(text: string): unknown {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    // JSON.parse words and places its errors differently in each Node version; the scanner finds the spot.
    throw new ManifestError([{ path: '', reason: `body is not valid JSON at ${syntaxProblemIn(text)}` }], {
      cause: error,
    });
  }
  const scanner = new JsonScanner(text, true);
  scanner.scan();
  if (scanner.duplicateCount > 0) throw new ManifestError(duplicateIssues(text, scanner));
  return value;
}

/** Where and what the first syntax error of `text` is, for text JSON.parse refused. */
function syntaxProblemIn(text: string): string {
  try {
    new JsonScanner(text, false).scan();
  } catch (error) {
    if (error instanceof SyntaxProblem) return `${where(text, error.at)}: ${error.what}`;
    throw error;
  }
  // Only a value JSON.parse cannot hold (nesting past its own limit) gets here.
  return `${where(text, 0)}: the value is too deeply nested to read`;
}
