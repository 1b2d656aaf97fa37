// The usual shared suppression list is one column of bare SHA-256s ("email_sha256\n<64 hex>\n…"):
// its rows are read straight from the bytes, without decoding them to text or tokenizing them
// (loading 1M such rows: about half the CPU). Any other line hands the rest of the file back to the
// CSV reader, so a file that is not all such rows reads exactly as before.

/** Value of each hex digit (either case) by byte; 0xff for every other byte. */
const DIGIT_VALUE = new Uint8Array(256).fill(0xff);
for (let i = 0; i < 16; i++) {
  DIGIT_VALUE['0123456789abcdef'.charCodeAt(i)] = i;
  DIGIT_VALUE['0123456789ABCDEF'.charCodeAt(i)] = i;
}

const LF = 0x0a;
const CR = 0x0d;
const DIGEST_LENGTH = 64;

export interface DigestWordSink {
  /** One record whose first 16 hex digits read as the words `hi`, `lo`. */
  addWords(hi: number, lo: number): void;
}

export class HashedLines {
  /** Rows read (each one a record). */
  rows = 0;
  /** Physical lines read, blank ones included (so the CSV reader can go on counting from here). */
  lines = 0;
  /** The start of a line that the next chunk completes. */
  private carry: Buffer | undefined;

  constructor(private readonly keys: DigestWordSink) {}

  /**
   * Reads the chunk's lines while each is a bare SHA-256 (or blank); returns the bytes from the first
   * line that is not (the CSV reader's from then on), or undefined when all were.
   */
  take(chunk: Buffer): Buffer | undefined {
    const bytes = this.carry ? Buffer.concat([this.carry, chunk]) : chunk;
    this.carry = undefined;
    let pos = 0;
    for (;;) {
      const newline = bytes.indexOf(LF, pos);
      if (newline === -1) {
        if (bytes.length - pos > DIGEST_LENGTH + 1) return bytes.subarray(pos);
        if (pos < bytes.length) this.carry = Buffer.from(bytes.subarray(pos));
        return undefined;
      }
      const end = newline > pos && bytes[newline - 1] === CR ? newline - 1 : newline;
      if (end !== pos && !this.addDigest(bytes, pos, end)) return bytes.subarray(pos);
      this.lines++;
      pos = newline + 1;
    }
  }

  /** At the end of the file: a last line without a newline, if it is not a bare SHA-256 (else undefined). */
  finish(): Buffer | undefined {
    const last = this.carry;
    this.carry = undefined;
    if (!last) return undefined;
    const end = last[last.length - 1] === CR ? last.length - 1 : last.length;
    return end !== 0 && this.addDigest(last, 0, end) ? undefined : last;
  }

  private addDigest(bytes: Buffer, start: number, end: number): boolean {
    if (end - start !== DIGEST_LENGTH) return false;
    for (let i = start; i < end; i++) if (DIGIT_VALUE[bytes[i]!] === 0xff) return false;
    this.keys.addWords(wordAt(bytes, start), wordAt(bytes, start + 8));
    this.rows++;
    return true;
  }
}

/** The 32-bit value of the 8 hex digits at `at` (checked hex). */
function wordAt(bytes: Buffer, at: number): number {
  let value = 0;
  for (let i = at; i < at + 8; i++) value = (value << 4) | DIGIT_VALUE[bytes[i]!]!;
  return value >>> 0;
}
