/**
 * The one way a message body is written for SQS. SQS accepts only #x9 | #xA | #xD | #x20-#xD7FF |
 * #xE000-#xFFFD | #x10000-#x10FFFF in a body (SendMessage API reference), and some SQS servers refuse
 * astral characters as well, while a manifest `run` accepts may hold any of them (an emoji key, a U+FFFF
 * value, a lone surrogate). Escaping every character outside printable ASCII as `\uXXXX` keeps the JSON
 * identical for JSON.parse and leaves nothing any SQS could refuse.
 */

// Outside strings JSON holds only ASCII, and JSON.stringify already escapes C0 controls inside them, so
// this class only ever hits characters inside strings, where `\uXXXX` means the same code unit. It works on
// UTF-16 code units (no `u` flag): an astral character becomes its surrogate pair, a lone surrogate itself.
const NOT_PRINTABLE_ASCII = /[\u007f-\uffff]/g;

/** Rewrites a JSON text so that it is plain printable ASCII: every other character becomes `\uXXXX`. */
export function escapeJsonText(json: string): string {
  return json.replace(NOT_PRINTABLE_ASCII, (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/**
 * A value as an SQS message body: JSON, plain ASCII, so `JSON.parse(sqsBody(x))` deep-equals `x` and its
 * length in characters is the byte count SQS charges. Every sender uses it (enqueue, continuations, DLQ,
 * sweep), and the splitter measures with it, so what is measured is what is sent.
 */
export function sqsBody(value: unknown): string {
  return escapeJsonText(JSON.stringify(value));
}
