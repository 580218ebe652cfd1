/**
 * Text from manifests, policies and the API reaches the terminal only through here. C0 and C1 controls
 * (ESC sequences recolour the terminal or set its title, a newline fakes a line) and the Unicode bidi
 * controls (U+202E turns text around) are shown as escapes instead of being obeyed.
 */
// C0 (U+0000-U+001F), DEL and C1 (U+007F-U+009F), the bidi embeddings and overrides (U+202A-U+202E),
// the bidi isolates (U+2066-U+2069) and the marks U+200E, U+200F, U+061C.
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point.
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c]/g;

/** The text with every control character written as a visible escape (`\n`, `\x1b`, `\u202e`). */
export function terminalSafe(text: string): string {
  return text.replace(UNSAFE, (c) => {
    if (c === '\n') return '\\n';
    if (c === '\r') return '\\r';
    if (c === '\t') return '\\t';
    const code = c.charCodeAt(0);
    return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
  });
}
