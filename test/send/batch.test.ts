import { afterEach, describe, expect, it, vi } from 'vitest';
import { Batcher, splitBatch, type Batch } from '../../src/send/batch.js';

function collectingBatcher(maxRecords: number, flushIntervalMs = 5000) {
  const sent: Array<{ batch: Batch; byTimer: boolean }> = [];
  const batcher = new Batcher({ maxRecords, flushIntervalMs, onBatch: (batch, byTimer) => sent.push({ batch, byTimer }) });
  return { batcher, sent };
}

const records = (line: number, count: number) => Array.from({ length: count }, (_, i) => `r${line}.${i}`);

afterEach(() => vi.useRealTimers());

describe('batching rows into requests', () => {
  it('never splits a row: a row that does not fit starts the next batch', () => {
    const { batcher, sent } = collectingBatcher(5);
    for (const line of [2, 3, 4]) batcher.addRow(line, records(line, 2), 2);
    batcher.flush();
    expect(sent.map(({ batch }) => batch.lines)).toEqual([[2, 3], [4]]);
    expect(sent.map(({ batch }) => batch.records)).toEqual([[...records(2, 2), ...records(3, 2)], records(4, 2)]);
    expect(sent.every(({ batch }) => batch.records.length <= 5)).toBe(true);
  });

  it('sends a full batch at once, without waiting for the interval', () => {
    const { batcher, sent } = collectingBatcher(3);
    batcher.addRow(2, records(2, 1), 1);
    batcher.addRow(3, records(3, 2), 2);
    expect(sent).toHaveLength(1);
    expect(sent[0]).toMatchObject({ byTimer: false, batch: { lines: [2, 3], rowEnds: [1, 3] } });
  });

  it('takes only the row records it is told to (the rest were duplicates)', () => {
    const { batcher, sent } = collectingBatcher(10);
    batcher.addRow(7, ['new', 'seen-before'], 1);
    batcher.flush();
    expect(sent[0]!.batch.records).toEqual(['new']);
  });

  it('sends a partial batch when the flush interval after its first row runs out', () => {
    vi.useFakeTimers();
    const { batcher, sent } = collectingBatcher(1900, 5000);
    batcher.addRow(2, records(2, 1), 1);
    vi.advanceTimersByTime(4000);
    batcher.addRow(3, records(3, 1), 1);
    vi.advanceTimersByTime(999);
    expect(sent).toHaveLength(0);
    vi.advanceTimersByTime(1);
    expect(sent).toHaveLength(1);
    expect(sent[0]).toMatchObject({ byTimer: true, batch: { lines: [2, 3] } });
  });

  it('on a stop, hands back the unsent rows and sends nothing later', () => {
    vi.useFakeTimers();
    const { batcher, sent } = collectingBatcher(1900, 5000);
    batcher.addRow(2, records(2, 1), 1);
    batcher.addRow(3, records(3, 1), 1);
    expect(batcher.abandon()).toEqual([2, 3]);
    vi.advanceTimersByTime(10_000);
    batcher.flush();
    expect(sent).toHaveLength(0);
  });

  it('numbers batches in the order they go out', () => {
    const { batcher, sent } = collectingBatcher(1);
    for (const line of [2, 3, 4]) batcher.addRow(line, records(line, 1), 1);
    expect(sent.map(({ batch }) => batch.id)).toEqual([1, 2, 3]);
  });
});

describe('counting identifiers', () => {
  it('counts one per plain record and every identifier of a records_v2 row', () => {
    const sent: Batch[] = [];
    const batcher = new Batcher({ maxRecords: 10, flushIntervalMs: 60_000, onBatch: (batch) => sent.push(batch) });
    const hash = 'a'.repeat(64);
    batcher.addRow(2, [hash, 'b'.repeat(64)], 2);
    batcher.addRow(3, [`E${hash}P${hash}M${hash}`], 1); // one user: email, phone, device id
    batcher.flush();
    expect(sent[0]!.records).toHaveLength(3);
    expect(sent[0]!.identifiers).toBe(5);
  });
});

describe('splitting a batch to isolate rejected records', () => {
  it('cuts between rows, each half keeping its rows, records and row ends', () => {
    const batch: Batch = { id: 1, records: ['a1', 'a2', 'b1', 'c1', 'c2', 'c3'], lines: [2, 5, 9], rowEnds: [2, 3, 6], identifiers: 6 };
    let id = 10;
    const [left, right] = splitBatch(batch, () => id++);
    expect(left).toEqual({ id: 10, records: ['a1', 'a2'], lines: [2], rowEnds: [2], identifiers: 2 });
    expect(right).toEqual({ id: 11, records: ['b1', 'c1', 'c2', 'c3'], lines: [5, 9], rowEnds: [1, 4], identifiers: 4 });
  });
});
