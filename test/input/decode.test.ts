import { describe, expect, it } from 'vitest';
import { UsageError } from '../../src/errors.js';
import { Utf8Decoder } from '../../src/input/decode.js';

/** Decodes the chunks in order, as the readers do; the text and the error, if any. */
function decode(chunks: Buffer[], firstLine = 1): string {
  const decoder = new Utf8Decoder();
  let text = '';
  for (const chunk of chunks) text += decoder.decode(chunk, () => firstLine);
  decoder.finish(() => firstLine);
  return text;
}

function bytewise(text: string | Buffer): Buffer[] {
  return [...(Buffer.isBuffer(text) ? text : Buffer.from(text))].map((byte) => Buffer.from([byte]));
}

describe('decoding input bytes', () => {
  it('drops a UTF-8 byte order mark, even one split across chunks', () => {
    expect(decode([Buffer.from('\uFEFFemail\n')])).toBe('email\n');
    expect(decode(bytewise('\uFEFFemail\n'))).toBe('email\n');
  });

  it('keeps a character split across chunks whole', () => {
    expect(decode(bytewise('zoë 😀\n'))).toBe('zoë 😀\n');
  });

  it('refuses binary input, naming the line near the NUL byte', () => {
    const binary = Buffer.concat([Buffer.from('email\na@example.com\n'), Buffer.from([0x00, 0x01])]);
    expect(() => decode([binary])).toThrow(UsageError);
    expect(() => decode([binary])).toThrow(/^The input looks binary \(it holds NUL bytes near line 3\)/);
  });

  it('refuses invalid UTF-8 (a Latin-1 file), naming the line, counted from the chunk it is in', () => {
    const latin1 = Buffer.from('email\nren\xe9@example.com\n', 'latin1');
    expect(() => decode([latin1])).toThrow('Line 2 is not valid UTF-8: save the file as UTF-8 and try again.');
    expect(() => decode([latin1], 40)).toThrow('Line 41 is not valid UTF-8');
  });

  it('refuses an input that ends inside a character', () => {
    const cut = Buffer.from('email\nzoë').subarray(0, -1);
    expect(() => decode([cut])).toThrow('is not valid UTF-8 (the input ends inside a character)');
  });
});
