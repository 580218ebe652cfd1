import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { readStdin } from '../../lib/cli/read-stdin.ts';

describe('readStdin', () => {
  it('joins byte and string chunks into the bytes that were sent, broken UTF-8 included', async () => {
    // Prepare
    const stream = Readable.from([Buffer.from('{"a":'), '"é"', Buffer.from([0xff, 0x7d])]);
    // Act
    const bytes = await readStdin(stream);
    // Assess
    expect([...bytes]).toStrictEqual([...Buffer.from('{"a":"é"'), 0xff, 0x7d]);
  });

  it('reads an empty stream as no bytes', async () => {
    // Act
    const bytes = await readStdin(Readable.from([]));
    // Assess
    expect(bytes.length).toBe(0);
  });
});
