// Runs normalise → hash for blocks of rows on a worker thread (hash-worker.ts), so a big file is
// read, tokenised and de-duplicated on one core while its identifiers are hashed on the other (the
// two halves cost about the same). Values travel as one NUL-joined string (the input cannot hold
// NUL bytes); the records come back concatenated in one string.
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
  private readonly worker: Worker;
  private readonly waiting = new Map<number, { resolve(result: HashResult): void; reject(error: unknown): void }>();
  private nextId = 1;
  private failure: unknown;

  constructor(kinds: IdentifierKind[], options: NormaliseOptions = {}) {
    const url = new URL('./hash-worker.js', import.meta.url);
    // Its strings live for one block: a small heap keeps the process's peak memory flat.
    this.worker = new Worker(url, { workerData: { kinds, options }, resourceLimits: { maxYoungGenerationSizeMb: 4, maxOldGenerationSizeMb: 64 } });
    this.worker.on('message', (result: HashResult) => {
      const waiter = this.waiting.get(result.id);
      this.waiting.delete(result.id);
      waiter?.resolve(result);
    });
    this.worker.on('error', (error) => this.fail(error));
  }

  hash(values: string, count: number): Promise<HashResult> {
    if (this.failure !== undefined) return Promise.reject(this.failure);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      this.worker.postMessage({ id, values, count } satisfies HashRequest);
    });
  }

  async close(): Promise<void> {
    await this.worker.terminate();
  }

  private fail(error: unknown): void {
    this.failure = error;
    for (const waiter of this.waiting.values()) waiter.reject(error);
    this.waiting.clear();
  }
}
