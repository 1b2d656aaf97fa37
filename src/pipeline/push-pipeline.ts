// The whole chain in one place:
//   source → columns → normalise → hash → dedupe → batch → upload → tally
// Chunks are read one at a time; each chunk's rows are judged synchronously (no object per row),
// full batches go to the uploader, and reading waits whenever the uploader has no room.
import type { ColumnFlags, ColumnPlan } from './columns.js';
import { Batcher, type Batch } from './batch.js';
import { DigestSet } from './dedupe.js';
import { MappingGuard } from './guard.js';
import { RowIdentifier, Verdict } from './identify.js';
import type { PushJournal } from './journal.js';
import { createRowReader, type InputFormat, type RowReader, type RowSink } from './read-rows.js';
import { sniffFormat, type InputSource } from './source.js';
import type { Tally } from './tally.js';
import { Uploader, type UploadTarget } from './upload.js';
import { HashPool, type HashResult } from './hash-pool.js';
import type { RunEnd, StopReason } from './outcome.js';

export interface PipelineOptions extends ColumnFlags {
  source: InputSource;
  delimiter?: string;
  batchSize: number;
  flushIntervalMs: number;
  force: boolean;
  tally: Tally;
  journal: PushJournal;
  /** Called once the header is read; returns where batches go (the list may be created from the first one). */
  targetFor(plan: ColumnPlan): UploadTarget;
  maxInFlight: number;
  retryForMs: number;
  signal: AbortSignal;
  now(): number;
  /** Capacity hint for the duplicate set. */
  expectedRecords?: number;
  /** Normalise and hash on a worker thread (big files); else all on this thread (small or streamed input). */
  hashOnWorker?: boolean;
}

/** Blocks handed to the hash pool before the oldest must be judged (keeps memory flat). */
const BLOCKS_AHEAD = 2;

interface PendingBlock {
  /** Input line of each row; negative for a malformed row. */
  lines: number[];
  result: Promise<HashResult>;
}

export interface PipelineOutcome extends RunEnd {
  plan: ColumnPlan | undefined;
  /** Chance that the 8-byte duplicate check wrongly dropped at least one record. */
  falseDuplicateProbability: number;
}

export async function runPipeline(options: PipelineOptions): Promise<PipelineOutcome> {
  const run = new PushPipeline(options);
  return run.run();
}

class PushPipeline implements RowSink {
  private plan: ColumnPlan | undefined;
  private identifier: RowIdentifier | undefined;
  private uploader: Uploader | undefined;
  private readonly seen: DigestSet;
  private readonly guard: MappingGuard;
  private readonly batcher: Batcher;
  private readonly held: Batch[] = [];
  private stopError: unknown;
  private wake: (() => void) | undefined;
  private pool: HashPool | undefined;
  private blockValues: string[] = [];
  private blockLines: number[] = [];
  private readonly blocks: PendingBlock[] = [];

  constructor(private readonly options: PipelineOptions) {
    this.seen = new DigestSet(options.expectedRecords);
    this.guard = new MappingGuard(options.force);
    this.batcher = new Batcher({
      maxRecords: options.batchSize,
      flushIntervalMs: options.flushIntervalMs,
      onBatch: (batch, byTimer) => this.batchReady(batch, byTimer),
    });
  }

  async run(): Promise<PipelineOutcome> {
    const { source, signal } = this.options;
    const onAbort = () => this.wake?.();
    signal.addEventListener('abort', onAbort);
    let stop: StopReason = 'end';
    try {
      stop = await this.readAll();
      if (stop === 'end') {
        this.batcher.flush();
        this.decideGuard();
        this.throwIfStopped();
      } else {
        if (this.pool) await this.hashBlock(0); // rows already read are still counted
        this.batcher.abandon();
      }
      await this.uploader?.drain();
      if (stop === 'end' && this.uploader?.fatal !== undefined) stop = 'fatal';
    } catch (error) {
      this.batcher.abandon();
      source.close();
      await this.uploader?.drain();
      throw error;
    } finally {
      signal.removeEventListener('abort', onAbort);
      await this.pool?.close();
    }
    return { plan: this.plan, stop, fatal: this.uploader?.fatal, falseDuplicateProbability: this.seen.falseDuplicateProbability() };
  }

  /** Reads chunk by chunk until the input ends or something asks the run to stop. */
  private async readAll(): Promise<StopReason> {
    const { source, signal } = this.options;
    const iterator = source.chunks[Symbol.asyncIterator]();
    let reader: RowReader | undefined;
    try {
      for (;;) {
        const stopped = this.stopReason();
        if (stopped) {
          source.close();
          return stopped;
        }
        const next = await this.nextOrStop(iterator);
        if (next === undefined) continue; // woken to stop
        if (next.done) break;
        reader ??= this.createReader(next.value);
        reader.push(next.value);
        if (this.pool) await this.hashBlock(BLOCKS_AHEAD);
        this.throwIfStopped();
        if (this.uploader) await this.roomOrStop();
      }
      if (!reader) reader = this.createReader(Buffer.alloc(0));
      reader.end();
      if (this.pool) await this.hashBlock(0);
      return signal.aborted ? 'interrupted' : 'end';
    } finally {
      if (this.stopReason()) void iterator.return?.().catch(() => {});
    }
  }

  /** Hands the rows read so far to the pool; judges finished blocks, in order, until at most `ahead` wait. */
  private async hashBlock(ahead: number): Promise<void> {
    if (this.blockLines.length > 0) {
      const lines = this.blockLines;
      const values = this.blockValues;
      this.blockLines = [];
      this.blockValues = [];
      this.blocks.push({ lines, result: this.pool!.hash(values.join('\u0000'), values.length) });
    }
    while (this.blocks.length > ahead) {
      const block = this.blocks.shift()!;
      this.judgeBlock(block.lines, await block.result);
    }
  }

  private judgeBlock(lines: number[], result: HashResult): void {
    const identifier = this.identifier!;
    const width = this.plan!.columns.length;
    let offset = 0;
    for (let r = 0; r < lines.length; r++) {
      const line = lines[r]!;
      if (line < 0) {
        this.settleMalformed(-line);
        continue;
      }
      offset = identifier.identifyHashed(result, r * width, offset);
      this.settle(line, identifier.verdict);
    }
  }

  private stopReason(): StopReason | undefined {
    if (this.options.signal.aborted) return 'interrupted';
    if (this.uploader?.fatal !== undefined) return 'fatal';
    this.throwIfStopped();
    return undefined;
  }

  private throwIfStopped(): void {
    if (this.stopError !== undefined) throw this.stopError;
  }

  /** The next chunk, or undefined when woken early (Ctrl-C, fatal error, guard verdict from a timer). */
  private nextOrStop(iterator: AsyncIterator<Buffer>): Promise<IteratorResult<Buffer> | undefined> {
    const woken = new Promise<undefined>((resolve) => (this.wake = () => resolve(undefined)));
    const next = iterator.next();
    return Promise.race([next, woken]).then((result) => {
      this.wake = undefined;
      if (result === undefined) next.catch(() => {});
      return result;
    });
  }

  private async roomOrStop(): Promise<void> {
    const woken = new Promise<void>((resolve) => (this.wake = resolve));
    await Promise.race([this.uploader!.room(), woken]);
    this.wake = undefined;
  }

  private createReader(firstChunk: Buffer): RowReader {
    const { source, delimiter, emailColumn, maidColumn, idfaColumn } = this.options;
    const format: InputFormat = source.format ?? sniffFormat(firstChunk.subarray(0, 64).toString('utf8').replace(/^\uFEFF/, ''));
    return createRowReader({ format, delimiter, emailColumn, maidColumn, idfaColumn }, this);
  }

  // RowSink: columns are known.
  planned(plan: ColumnPlan): void {
    this.plan = plan;
    this.identifier = new RowIdentifier(plan, this.seen);
    const o = this.options;
    if (o.hashOnWorker) this.pool = new HashPool(plan.columns.map((c) => c.kind));
    this.uploader = new Uploader({
      target: o.targetFor(plan),
      tally: o.tally,
      journal: o.journal,
      maxInFlight: o.maxInFlight,
      retryForMs: o.retryForMs,
      now: o.now,
      onFatal: () => this.wake?.(),
    });
  }

  // RowSink: one data row (hot path).
  row(line: number, values: string[]): void {
    if (this.pool) {
      for (let i = 0; i < this.plan!.columns.length; i++) this.blockValues.push(values[i]!);
      this.blockLines.push(line);
      return;
    }
    this.settle(line, this.identifier!.identify(values));
  }

  /** Counts a row whose verdict is known, and batches its new records. */
  private settle(line: number, verdict: Verdict): void {
    const { tally, journal } = this.options;
    const identifier = this.identifier!;
    tally.rowEntered();
    if (this.guard.count(verdict !== Verdict.NotSynced)) this.decideGuard();
    if (verdict === Verdict.NotSynced) {
      tally.rowNotSynced(line, identifier.reason);
    } else if (verdict === Verdict.Duplicate) {
      tally.rowDuplicate();
    } else if (journal.alreadyDelivered(line)) {
      tally.rowAlreadySynced();
    } else {
      this.batcher.addRow(line, identifier.records, identifier.count);
    }
  }

  malformed(line: number): void {
    if (this.pool) {
      for (let i = 0; i < this.plan!.columns.length; i++) this.blockValues.push('');
      this.blockLines.push(-line);
      return;
    }
    this.settleMalformed(line);
  }

  private settleMalformed(line: number): void {
    const { tally } = this.options;
    tally.rowEntered();
    if (this.guard.count(false)) this.decideGuard();
    tally.rowNotSynced(line, 'malformed_row');
  }

  private batchReady(batch: Batch, byTimer: boolean): void {
    if (this.stopError !== undefined) return;
    if (!this.guard.decided) {
      this.held.push(batch);
      // A batch flushed by its timer before the window filled: judge on the rows so far (streaming).
      if (byTimer) this.decideGuard();
      return;
    }
    this.uploader!.submit(batch);
  }

  /** Applies the guard once; a verdict from a timer wakes the read loop to stop. */
  private decideGuard(): void {
    if (this.guard.decided) return;
    try {
      this.guard.decide(this.plan);
    } catch (error) {
      this.stopError = error;
      this.held.length = 0;
      this.wake?.();
      return;
    }
    for (const batch of this.held.splice(0)) this.uploader!.submit(batch);
  }
}
