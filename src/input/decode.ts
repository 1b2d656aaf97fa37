// Bytes to text for the tokenizers: strips a UTF-8 BOM, refuses binary (NUL bytes) and invalid
// UTF-8 with one sentence, and carries a character split across two chunks over to the next one.
import { isUtf8 } from 'node:buffer';
import { UsageError } from '../errors.js';

export class Utf8Decoder {
  private carry: Buffer | undefined;
  private started = false;

  /** `lineHint` names the line being read, for the error message. */
  decode(chunk: Buffer, lineHint: () => number): string {
    let bytes = this.carry ? Buffer.concat([this.carry, chunk]) : chunk;
    this.carry = undefined;
    if (!this.started && bytes.length > 0) {
      if (bytes.length < 3 && isPrefixOfBom(bytes)) {
        this.carry = bytes;
        return '';
      }
      this.started = true;
      if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) bytes = bytes.subarray(3);
    }
    if (bytes.indexOf(0) !== -1) {
      throw new UsageError(`The input looks binary (it holds NUL bytes near line ${lineAt(bytes, bytes.indexOf(0), lineHint())}): pinsync reads CSV or NDJSON text, optionally gzip-compressed (.gz).`);
    }
    const end = completeCharsEnd(bytes);
    if (end < bytes.length) this.carry = Buffer.from(bytes.subarray(end));
    const whole = bytes.subarray(0, end);
    if (!isUtf8(whole)) {
      throw new UsageError(`Line ${lineAt(whole, firstInvalidByte(whole), lineHint())} is not valid UTF-8: save the file as UTF-8 and try again.`);
    }
    return whole.toString('utf8');
  }

  /** Call at the end of input: bytes left over are a truncated character. */
  finish(lineHint: () => number): void {
    if (this.carry && this.started) {
      throw new UsageError(`Line ${lineHint()} is not valid UTF-8 (the input ends inside a character).`);
    }
    this.carry = undefined;
  }
}

function isPrefixOfBom(bytes: Buffer): boolean {
  const bom = [0xef, 0xbb, 0xbf];
  return [...bytes].every((b, i) => b === bom[i]);
}

/** Index after the last complete UTF-8 character (a trailing lead byte and its few followers wait). */
function completeCharsEnd(bytes: Buffer): number {
  const n = bytes.length;
  for (let back = 1; back <= Math.min(3, n); back++) {
    const b = bytes[n - back]!;
    if ((b & 0xc0) === 0x80) continue; // continuation byte: look further back
    const need = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : b >= 0xc0 ? 2 : 1;
    return need > back ? n - back : n;
  }
  return n;
}

function firstInvalidByte(bytes: Buffer): number {
  const text = bytes.toString('utf8');
  const bad = text.indexOf('\uFFFD');
  return bad === -1 ? 0 : Buffer.byteLength(text.slice(0, bad));
}

function lineAt(bytes: Buffer, index: number, firstLine: number): number {
  let line = firstLine;
  for (let i = bytes.indexOf(0x0a); i !== -1 && i < index; i = bytes.indexOf(0x0a, i + 1)) line++;
  return line;
}
