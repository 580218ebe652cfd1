import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { escapeJsonText, sqsBody } from '../../lib/aws/sqs-body.ts';
import { utf8Bytes } from '../../lib/aws/sqs-split.ts';

// SQS accepts #x9 | #xA | #xD | #x20-#xD7FF | #xE000-#xFFFD | #x10000-#x10FFFF (SendMessage reference).
const PRINTABLE_ASCII = /^[\x20-\x7e]*$/;

describe('sqsBody', () => {
  it.each([
    ['an emoji key', { key: '😀', value: 'x' }, '{"key":"\\ud83d\\ude00","value":"x"}'],
    ['U+FFFF, which SQS refuses raw', { value: '\uffff' }, '{"value":"\\uffff"}'],
    ['a lone surrogate', { value: '\ud800' }, '{"value":"\\ud800"}'],
    ['DEL and an accented letter', { value: '\u007fé' }, '{"value":"\\u007f\\u00e9"}'],
    ['a control character, escaped by JSON itself', { value: '\u0001' }, '{"value":"\\u0001"}'],
    ['plain ASCII, left alone', { key: 'env', value: 'a"b\\c' }, '{"key":"env","value":"a\\"b\\\\c"}'],
  ])('writes %s as printable ASCII', (_name, value, expected) => {
    // Act
    const body = sqsBody(value);
    // Assess
    expect(body).toBe(expected);
    expect(JSON.parse(body)).toStrictEqual(value);
  });

  it('gives back any value through JSON.parse, as plain ASCII whose length is its byte count', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 3 }), fc.string({ unit: 'binary' }), (value, text) => {
        // Prepare: any JSON value, plus a string of any UTF-16 code units (lone surrogates included)
        const input = { value, text };
        // Act
        const body = sqsBody(input);
        // Assess
        expect(body).toMatch(PRINTABLE_ASCII);
        expect(utf8Bytes(body)).toBe(body.length);
        expect(JSON.parse(body)).toStrictEqual(JSON.parse(JSON.stringify(input)));
      }),
    );
  });
});

describe('escapeJsonText', () => {
  it('keeps the whitespace between tokens and escapes only inside strings', () => {
    // Prepare
    const text = '{\n\t"key": "所有者",\r\n  "tags": ["🗼"]\n}';
    // Act
    const escaped = escapeJsonText(text);
    // Assess
    expect(escaped).toBe('{\n\t"key": "\\u6240\\u6709\\u8005",\r\n  "tags": ["\\ud83d\\uddfc"]\n}');
    expect(JSON.parse(escaped)).toStrictEqual(JSON.parse(text));
  });
});
