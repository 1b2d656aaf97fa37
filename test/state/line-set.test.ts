import { describe, expect, it } from 'vitest';
import { decodeLines, encodeLines, LineSet } from '../../src/state/line-set.js';

describe('line sets', () => {
  it('stores a batch of mostly contiguous lines as a few intervals', () => {
    const blob = encodeLines([2, 3, 4, 5, 7, 8, 20]);
    expect(decodeLines(blob)).toEqual([
      [2, 5],
      [7, 8],
      [20, 20],
    ]);
  });

  it('answers membership and merges overlapping batches', () => {
    const set = new LineSet([
      [10, 20],
      [2, 5],
      [15, 30],
    ]);
    expect(set.size).toBe(4 + 21);
    expect([1, 2, 5, 6, 9, 10, 30, 31].map((line) => set.has(line))).toEqual([false, true, true, false, false, true, true, false]);
    expect(set.intervals()).toEqual([
      [2, 5],
      [10, 30],
    ]);
  });
});
