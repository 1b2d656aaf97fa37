// Groups rows into requests of at most `maxRecords` records (a records_v2 row is one record: batches
// of them count rows). A batch goes out when the next row would not fit, or `flushIntervalMs` after its
// first row, so a slow producer (tail -f) is synced in near real time. A row never straddles two batches.

import { identifierCount, identifiersIn } from '../identify/row-record.js';

export interface Batch {
  id: number;
  /** Hashed records, in row order. */
  records: string[];
  /** Input line of each row. */
  lines: number[];
  /** rowEnds[i]: records.length after row i, to split a batch between rows. */
  rowEnds: number[];
  /** Identifiers in `records` (a records_v2 row holds several), counted as rows come, while their strings are at hand. */
  identifiers: number;
}

export interface BatcherOptions {
  maxRecords: number;
  flushIntervalMs: number;
  /** `byTimer`: the flush interval ran out before the batch was full. */
  onBatch(batch: Batch, byTimer: boolean): void;
}

export class Batcher {
  private current: Batch | undefined;
  private timer: NodeJS.Timeout | undefined;
  private nextId = 1;

  constructor(private readonly options: BatcherOptions) {}

  /** Adds one row's first `count` records. */
  addRow(line: number, rowRecords: readonly string[], count: number): void {
    if (this.current && this.current.records.length + count > this.options.maxRecords) this.flush();
    const batch = this.current ?? this.open();
    for (let i = 0; i < count; i++) {
      const record = rowRecords[i]!;
      batch.records.push(record);
      batch.identifiers += identifiersIn(record);
    }
    batch.lines.push(line);
    batch.rowEnds.push(batch.records.length);
    if (batch.records.length >= this.options.maxRecords) this.flush();
  }

  /** Sends the partial batch now (end of input, or its interval is up). */
  flush(byTimer = false): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const batch = this.current;
    this.current = undefined;
    if (batch && batch.lines.length > 0) this.options.onBatch(batch, byTimer);
  }

  /** Drops the timer and the unsent batch, returning its lines (interrupted or fatal stop). */
  abandon(): number[] {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const lines = this.current?.lines ?? [];
    this.current = undefined;
    return lines;
  }

  private open(): Batch {
    this.current = { id: this.nextId++, records: [], lines: [], rowEnds: [], identifiers: 0 };
    this.timer = setTimeout(() => this.flush(true), this.options.flushIntervalMs);
    return this.current;
  }
}

/** Splits a batch between rows into two halves (for isolating records Pinterest rejects). */
export function splitBatch(batch: Batch, nextId: () => number): [Batch, Batch] {
  const middle = Math.floor(batch.lines.length / 2);
  const cut = batch.rowEnds[middle - 1]!;
  const leftRecords = batch.records.slice(0, cut);
  const rightRecords = batch.records.slice(cut);
  const left: Batch = {
    id: nextId(),
    records: leftRecords,
    lines: batch.lines.slice(0, middle),
    rowEnds: batch.rowEnds.slice(0, middle),
    identifiers: identifierCount(leftRecords),
  };
  const right: Batch = {
    id: nextId(),
    records: rightRecords,
    lines: batch.lines.slice(middle),
    rowEnds: batch.rowEnds.slice(middle).map((end) => end - cut),
    identifiers: identifierCount(rightRecords),
  };
  return [left, right];
}
