// Sets of input lines stored as sorted [first, last] intervals: a batch of 1,900 rows is usually a
// handful of intervals, so acknowledgements stay small on disk and lookups are a binary search.

/** Encodes ascending (or unordered) line numbers as Uint32 [first, last] pairs. */
export function encodeLines(lines: readonly number[]): Buffer {
  const sorted = isAscending(lines) ? lines : [...lines].sort((a, b) => a - b);
  const pairs: number[] = [];
  for (const line of sorted) {
    const last = pairs.length - 1;
    if (last > 0 && line <= pairs[last]! + 1) pairs[last] = Math.max(pairs[last]!, line);
    else pairs.push(line, line);
  }
  return Buffer.from(new Uint32Array(pairs).buffer);
}

export function decodeLines(blob: Buffer): [number, number][] {
  const view = new Uint32Array(blob.buffer.slice(blob.byteOffset, blob.byteOffset + blob.byteLength));
  const out: [number, number][] = [];
  for (let i = 0; i + 1 < view.length; i += 2) out.push([view[i]!, view[i + 1]!]);
  return out;
}

export class LineSet {
  private readonly starts: number[] = [];
  private readonly ends: number[] = [];
  /** Lines in the set (counted once even when intervals overlap). */
  readonly size: number;

  constructor(intervals: Iterable<[number, number]>) {
    const sorted = [...intervals].sort((a, b) => a[0] - b[0]);
    let size = 0;
    for (const [first, last] of sorted) {
      const i = this.ends.length - 1;
      if (i >= 0 && first <= this.ends[i]! + 1) {
        if (last > this.ends[i]!) {
          size += last - this.ends[i]!;
          this.ends[i] = last;
        }
      } else {
        this.starts.push(first);
        this.ends.push(last);
        size += last - first + 1;
      }
    }
    this.size = size;
  }

  has(line: number): boolean {
    let low = 0;
    let high = this.starts.length - 1;
    while (low <= high) {
      const mid = (low + high) >> 1;
      if (line < this.starts[mid]!) high = mid - 1;
      else if (line > this.ends[mid]!) low = mid + 1;
      else return true;
    }
    return false;
  }

  /** The intervals, merged and ascending (for reports: "lines 12-40, 77"). */
  intervals(): [number, number][] {
    return this.starts.map((start, i) => [start, this.ends[i]!]);
  }
}

function isAscending(lines: readonly number[]): boolean {
  for (let i = 1; i < lines.length; i++) if (lines[i]! < lines[i - 1]!) return false;
  return true;
}
