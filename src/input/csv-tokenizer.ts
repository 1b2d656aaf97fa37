// A streaming RFC 4180 tokenizer on strings: quoted fields, escaped quotes, CRLF, newlines inside
// quotes. It hands each record to a callback with a reused fields array (no object per row), and
// the physical line the record starts on, so reports can point at the user's own line numbers.
import { UsageError } from '../errors.js';

const QUOTE = 0x22;
const LF = 0x0a;
const CR = 0x0d;

/** Called once per record; `fields` is reused, only its first `count` entries belong to this record. */
export type RecordCallback = (fields: string[], count: number, line: number) => void;

export class CsvTokenizer {
  private tail = '';
  private line = 1;
  private readonly fields: string[] = [];
  private readonly delimiter: number;
  /** Fields past this many are skipped without copying (only the identifier columns matter). */
  keepFields = Number.POSITIVE_INFINITY;

  constructor(
    delimiter: string,
    private readonly onRecord: RecordCallback,
    private readonly maxRecordChars = 1 << 20,
  ) {
    this.delimiter = delimiter.charCodeAt(0);
  }

  /** The line the next record starts on. */
  get currentLine(): number {
    return this.line;
  }

  push(text: string): void {
    const input = this.tail.length > 0 ? this.tail + text : text;
    const consumed = this.parse(input, false);
    this.tail = consumed === input.length ? '' : input.slice(consumed);
    if (this.tail.length > this.maxRecordChars) {
      throw new UsageError(`Line ${this.line} is longer than ${this.maxRecordChars} characters (or opens a quote that is never closed): is this really a CSV file?`);
    }
  }

  end(): void {
    if (this.tail.length > 0) this.parse(this.tail, true);
    this.tail = '';
  }

  /** Emits every complete record of `s`; returns where the first incomplete one starts. */
  private parse(s: string, final: boolean): number {
    const n = s.length;
    const delimiter = this.delimiter;
    const fields = this.fields;
    let pos = 0;
    while (pos < n) {
      const recordStart = pos;
      const first = s.charCodeAt(pos);
      if (first === LF || first === CR) {
        if (first === CR && pos + 1 >= n && !final) return recordStart;
        pos += first === CR && s.charCodeAt(pos + 1) === LF ? 2 : 1;
        this.line++;
        continue; // blank line: not a record
      }
      let count = 0;
      let innerLines = 0;
      for (;;) {
        let value: string;
        if (pos < n && s.charCodeAt(pos) === QUOTE) {
          value = '';
          let p = pos + 1;
          for (;;) {
            const q = s.indexOf('"', p);
            if (q === -1 || (q + 1 >= n && !final)) {
              if (final) throw new UsageError(`Line ${this.line}: a quoted field is never closed.`);
              return recordStart;
            }
            const piece = s.slice(p, q);
            innerLines += countLineBreaks(piece);
            value += piece;
            if (s.charCodeAt(q + 1) === QUOTE) {
              value += '"';
              p = q + 2;
              continue;
            }
            p = q + 1;
            break;
          }
          // Lenient: text between a closing quote and the delimiter is kept.
          let e = p;
          while (e < n) {
            const c = s.charCodeAt(e);
            if (c === delimiter || c === LF || c === CR) break;
            e++;
          }
          if (e >= n && !final) return recordStart;
          if (e > p) value += s.slice(p, e);
          pos = e;
        } else {
          let e = pos;
          while (e < n) {
            const c = s.charCodeAt(e);
            if (c === delimiter || c === LF || c === CR) break;
            e++;
          }
          if (e >= n && !final) return recordStart;
          value = count < this.keepFields ? s.slice(pos, e) : '';
          pos = e;
        }
        fields[count++] = value;
        if (pos >= n) break;
        const c = s.charCodeAt(pos);
        if (c === delimiter) {
          pos++;
          continue;
        }
        if (c === CR) {
          if (pos + 1 >= n && !final) return recordStart;
          pos += s.charCodeAt(pos + 1) === LF ? 2 : 1;
        } else {
          pos++;
        }
        break;
      }
      this.onRecord(fields, count, this.line);
      this.line += 1 + innerLines;
    }
    return pos;
  }
}

function countLineBreaks(text: string): number {
  let count = 0;
  let i = text.indexOf('\n');
  while (i !== -1) {
    count++;
    i = text.indexOf('\n', i + 1);
  }
  return count;
}
