// Runs normalise → hash for blocks of rows on a worker thread (hash-worker.ts), so a big file is
// read, tokenised and de-duplicated on one core while its identifiers are hashed on the other (the
// two halves cost about the same). Phones cost ~15 µs each to parse (libphonenumber-js), far more than
// the rest of a row: a file with phones hashes on one worker per core, blocks taking turns. Values
// travel as one NUL-joined string (the input cannot hold NUL bytes); the records come back
// concatenated in one string.
import { Worker } from 'node:worker_threads';
import type { IdentifierKind, NormaliseOptions } from './normalise.js';

export const BLANK = 0;
export const INVALID = 1;
/** Usable: its record is in `records`. */
export const OK = 2;
/** The all-zero device id: not synced (reason opted_out_device). */
export const OPTED_OUT_DEVICE = 3;

export interface HashRequest {
  id: number;
  /** `count` raw values joined by U+0000, row after row, one per identifier column. */
  values: string;
  count: number;
}

export interface HashResult {
  id: number;
  /** Per value: BLANK, INVALID, OK or OPTED_OUT_DEVICE. */
  status: Uint8Array;
  /** Per OK value: the length of its record in `records`. */
  lengths: Uint8Array;
  /** The OK values' records (lowercase hex), concatenated in order. */
  records: string;
}

export class HashPool {
  private readonly workers: Worker[];
  private readonly waiting = new Map<number, { resolve(result: HashResult): void; reject(error: unknown): void }>();
  private nextId = 1;
  private failure: unknown;

  constructor(kinds: IdentifierKind[], options: NormaliseOptions = {}, size = 1) {
    const url = new URL('./hash-worker.js', import.meta.url);
    // Its strings live for one block: a small heap keeps the process's peak memory flat (phones
    // allocate more per value: a larger young generation saves ~13% of their parsing).
    const youngMb = kinds.includes('phone') ? 16 : 4;
    this.workers = Array.from({ length: size }, () => {
      const worker = new Worker(url, { workerData: { kinds, options }, resourceLimits: { maxYoungGenerationSizeMb: youngMb, maxOldGenerationSizeMb: 64 } });
      worker.on('message', (result: HashResult) => {
        const waiter = this.waiting.get(result.id);
        this.waiting.delete(result.id);
        waiter?.resolve(result);
      });
      worker.on('error', (error) => this.fail(error));
      return worker;
    });
  }

  /** Workers hashing blocks side by side. */
  get size(): number {
    return this.workers.length;
  }

  hash(values: string, count: number): Promise<HashResult> {
    if (this.failure !== undefined) return Promise.reject(this.failure);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      this.workers[id % this.workers.length]!.postMessage({ id, values, count } satisfies HashRequest);
    });
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((worker) => worker.terminate()));
  }

  private fail(error: unknown): void {
    this.failure = error;
    for (const waiter of this.waiting.values()) waiter.reject(error);
    this.waiting.clear();
  }
}
