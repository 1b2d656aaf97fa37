// Rows identified: source → columns → normalise → hash → exclude → dedupe. Reads the input chunk by chunk and
// hands each row's verdict (new records, duplicate, or not synced and why) to a consumer in input
// order. Whether hashing runs on this thread or on the worker HashPool stays in here.
import { availableParallelism } from 'node:os';
import type { ColumnFlags, ColumnPlan } from '../input/columns.js';
import type { DigestSet } from './dedupe.js';
import { disjointKindWarnings, type Exclusions } from './exclusions.js';
import { HashPool, type HashResult } from './hash-pool.js';
import { RowIdentifier, Verdict, type NotSyncedReason } from './identify.js';
import type { NormaliseOptions } from './normalise.js';
import { createRowReader, type InputFormat, type RowReader, type RowSink } from '../input/read-rows.js';
import { sniffFormat, type InputSource } from '../input/source.js';
import { UsageError } from '../errors.js';

/**
 * Why reading (and sending) stops: 'input' when the input turned out corrupt after sending began (a
 * bad gzip tail, an overlong line), 'fatal' for an error that stops the run.
 */
export type StopReason = 'end' | 'interrupted' | 'input' | 'fatal';

/** What a judged row carries; valid only during the call that hands it over (nothing is allocated per row). */
export interface RowIdentity {
  /** With Verdict.New: the row's new records are records[0 .. count-1]. */
  readonly records: readonly string[];
  readonly count: number;
  /** With Verdict.NotSynced: why. */
  readonly reason: NotSyncedReason;
}

export interface IdentifiedRowSink {
  /** The header (or the first NDJSON object) decided which columns to read. */
  planned(plan: ColumnPlan): void;
  /**
   * One row, in input order; a malformed row comes as NotSynced with reason 'malformed_row'.
   * With an --audience-column, `audience` is the row's raw value there ('' when absent).
   */
  identified(line: number, verdict: Verdict, row: RowIdentity, audience?: string): void;
  /** Why reading must stop now, if it must (may throw the error that stops the run). Asked between chunks. */
  stopReason?(): StopReason | undefined;
  /** A promise while the consumer has no room for more rows; awaited between chunks. */
  room?(): Promise<void> | undefined;
}

export interface ReadOptions extends ColumnFlags {
  source: InputSource;
  delimiter?: string;
}

export interface IdentifyOptions extends ReadOptions, NormaliseOptions {
  /** Records seen earlier in the run: a row whose usable records are all in it is a duplicate. */
  seen: DigestSet;
  /** Users who must never be sent (--exclude): their rows are not synced, reason 'excluded'. */
  exclusions?: Exclusions;
  /** Normalise and hash on a worker thread (big files); else all on this thread (small or streamed input). */
  hashOnWorker?: boolean;
  signal: AbortSignal;
  /** Told of an exclusion list that can exclude nobody from this input (its kinds are not the input's). */
  warn?(message: string): void;
}

/** Blocks handed to each worker of the hash pool before the oldest must be judged (keeps memory flat). */
const BLOCKS_AHEAD_PER_WORKER = 2;
/**
 * While the exclusion set still loads on its thread, rows cannot be judged: read and hash up to this
 * many blocks (256 KiB of input each; ~35 MiB of hashed records) ahead instead of waiting for it.
 * Measured on 1M rows with 1M plain exclusions: 0 blocks +37% wall, 32 +33%, 96 +25% (peak RSS
 * 228, 264, 276 MiB).
 */
const BLOCKS_AHEAD_WHILE_EXCLUSIONS_LOAD = 64;

const MALFORMED: RowIdentity = { records: [], count: 0, reason: 'malformed_row' };

interface PendingBlock {
  /** Input line of each row; negative for a malformed row. */
  lines: number[];
  /** With an --audience-column: each row's audience value (else empty). */
  audiences: string[];
  result: Promise<HashResult>;
}

export class IdentifiedRows implements RowSink {
  /** Known once the header is read. */
  plan: ColumnPlan | undefined;
  private identifier: RowIdentifier | undefined;
  private pool: HashPool | undefined;
  private blockValues: string[] = [];
  private blockLines: number[] = [];
  private blockAudiences: string[] = [];
  private readonly blocks: PendingBlock[] = [];
  private wakeReader: (() => void) | undefined;
  private exclusionsLoaded: boolean;

  constructor(
    private readonly options: IdentifyOptions,
    private readonly sink: IdentifiedRowSink,
  ) {
    this.exclusionsLoaded = options.exclusions?.complete ?? true;
    // Judge as soon as the set is complete, not when the read-ahead is full.
    if (!this.exclusionsLoaded) options.exclusions!.loaded.then(() => (this.exclusionsLoaded = true), () => {});
  }

  /**
   * Reads until the input ends ('end') or the signal or the consumer stops it. Rows already read
   * are judged either way, so they are counted.
   */
  async readAll(): Promise<StopReason> {
    const { signal } = this.options;
    const onAbort = () => this.wake();
    signal.addEventListener('abort', onAbort);
    try {
      const stop = await this.readChunks();
      if (this.pool) await this.hashBlock(0);
      return stop === 'end' && signal.aborted ? 'interrupted' : stop;
    } finally {
      signal.removeEventListener('abort', onAbort);
      await this.pool?.close();
    }
  }

  /** Stops waiting for input or room: the consumer has news (a fatal error, a guard verdict from a timer). */
  wake(): void {
    this.wakeReader?.();
  }

  private async readChunks(): Promise<StopReason> {
    const { source } = this.options;
    const iterator = source.chunks[Symbol.asyncIterator]();
    let reader: RowReader | undefined;
    let finished = false;
    try {
      for (;;) {
        const stopped = this.stopReason();
        if (stopped) {
          source.close();
          return stopped;
        }
        const next = await this.nextOrWoken(iterator);
        if (next === undefined) continue;
        if (next.done) break;
        // Rows judged on this thread need the complete exclusion set; the pool's wait in hashBlock.
        if (!this.options.hashOnWorker) await this.exclusionsComplete();
        reader ??= readerFor(this.options, next.value, this);
        reader.push(next.value);
        if (this.pool) await this.hashBlock(BLOCKS_AHEAD_PER_WORKER * this.pool.size);
        const room = this.sink.room?.();
        if (room) await this.roomOrWoken(room);
      }
      finished = true;
      (reader ?? readerFor(this.options, Buffer.alloc(0), this)).end();
      return 'end';
    } finally {
      if (!finished) void iterator.return?.().catch(() => {});
    }
  }

  private stopReason(): StopReason | undefined {
    if (this.options.signal.aborted) return 'interrupted';
    return this.sink.stopReason?.();
  }

  /** The next chunk, or undefined when woken early (Ctrl-C, fatal error, guard verdict from a timer). */
  private nextOrWoken(iterator: AsyncIterator<Buffer>): Promise<IteratorResult<Buffer> | undefined> {
    const woken = new Promise<undefined>((resolve) => (this.wakeReader = () => resolve(undefined)));
    const next = iterator.next();
    return Promise.race([next, woken]).then((result) => {
      this.wakeReader = undefined;
      if (result === undefined) next.catch(() => {});
      return result;
    });
  }

  private async roomOrWoken(room: Promise<void>): Promise<void> {
    const woken = new Promise<void>((resolve) => (this.wakeReader = resolve));
    await Promise.race([room, woken]);
    this.wakeReader = undefined;
  }

  /** Hands the rows read so far to the pool; judges finished blocks, in order, until at most `ahead` wait. */
  private async hashBlock(ahead: number): Promise<void> {
    if (this.blockLines.length > 0) {
      const lines = this.blockLines;
      const values = this.blockValues;
      this.blockLines = [];
      this.blockValues = [];
      const audiences = this.blockAudiences;
      this.blockAudiences = [];
      this.blocks.push({ lines, audiences, result: this.pool!.hash(values.join('\u0000'), values.length) });
    }
    if (!this.exclusionsLoaded) {
      if (ahead > 0 && this.blocks.length <= BLOCKS_AHEAD_WHILE_EXCLUSIONS_LOAD) return;
      await this.exclusionsComplete();
    }
    while (this.blocks.length > ahead) {
      const block = this.blocks.shift()!;
      this.judgeBlock(block.lines, block.audiences, await block.result);
    }
  }

  /** Waits for the exclusion set loading on its thread; a load that failed stops the run here (nothing was sent). */
  private async exclusionsComplete(): Promise<void> {
    if (this.exclusionsLoaded) return;
    await this.options.exclusions!.loaded;
    this.exclusionsLoaded = true;
  }

  private judgeBlock(lines: number[], audiences: string[], result: HashResult): void {
    const identifier = this.identifier!;
    const width = this.plan!.columns.length;
    let offset = 0;
    for (let r = 0; r < lines.length; r++) {
      const line = lines[r]!;
      if (line < 0) {
        this.sink.identified(-line, Verdict.NotSynced, MALFORMED, audiences[r]);
        continue;
      }
      offset = identifier.identifyHashed(result, r * width, offset);
      this.sink.identified(line, identifier.verdict, identifier, audiences[r]);
    }
  }

  // RowSink: columns are known.
  planned(plan: ColumnPlan): void {
    this.plan = plan;
    this.warnOfDisjointExclusions(plan);
    const normalising = { phoneCountry: this.options.phoneCountry };
    this.identifier = new RowIdentifier(plan, this.options.seen, this.options.exclusions, normalising);
    if (this.options.hashOnWorker) this.pool = new HashPool(plan.columns.map((c) => c.kind), normalising, poolSize(plan));
    this.sink.planned(plan);
  }

  /** Once both are known: an exclusion list of other identifier kinds than the input's columns. */
  private warnOfDisjointExclusions(plan: ColumnPlan): void {
    const { exclusions, warn } = this.options;
    if (!exclusions || !warn) return;
    const inputKinds = plan.columns.filter((column) => column.name.trim().length > 0).map((column) => column.kind);
    const tell = () => disjointKindWarnings(exclusions, inputKinds).forEach((message) => warn(message));
    if (exclusions.complete) tell();
    else exclusions.loaded.then(tell, () => {});
  }

  // RowSink: one data row (hot path).
  row(line: number, values: string[]): void {
    const width = this.plan!.columns.length;
    const audience = this.plan!.audience ? values[width] : undefined;
    if (this.pool) {
      for (let i = 0; i < width; i++) this.blockValues.push(values[i]!);
      this.blockLines.push(line);
      if (audience !== undefined) this.blockAudiences.push(audience);
      return;
    }
    const identifier = this.identifier!;
    this.sink.identified(line, identifier.identify(values), identifier, audience);
  }

  // RowSink: a row that cannot be read at all (it names no audience either).
  malformed(line: number): void {
    if (this.pool) {
      for (let i = 0; i < this.plan!.columns.length; i++) this.blockValues.push('');
      this.blockLines.push(-line);
      if (this.plan!.audience) this.blockAudiences.push('');
      return;
    }
    this.sink.identified(line, Verdict.NotSynced, MALFORMED, this.plan!.audience ? '' : undefined);
  }
}

/** One worker; with phones (their parsing outweighs the rest of a row) one per core, up to 4. */
function poolSize(plan: ColumnPlan): number {
  return plan.recordsV2 && plan.columns.some((c) => c.kind === 'phone') ? Math.max(1, Math.min(4, availableParallelism())) : 1;
}

/** Reads just enough of the input to find its identifier columns (doctor's file check); undefined when empty. */
export async function readColumnPlan(options: ReadOptions): Promise<ColumnPlan | undefined> {
  let plan: ColumnPlan | undefined;
  const sink: RowSink = { planned: (found) => (plan = found), row: () => {}, malformed: () => {} };
  for await (const chunk of options.source.chunks) {
    const reader = readerFor(options, chunk, sink);
    reader.push(chunk);
    if (!plan) reader.end();
    break;
  }
  return plan;
}

/**
 * Reads the whole input for its --audience-column values, without judging the identifiers: every
 * distinct value `accept` keeps (it cleans and checks them), at most `limit` of them.
 */
export async function readAudienceValues(options: ReadOptions, accept: (raw: string) => string | undefined, limit: number): Promise<Set<string>> {
  const values = new Set<string>();
  let width = 0;
  const sink: RowSink = {
    planned: (plan) => (width = plan.columns.length),
    row: (_line, row) => {
      const value = accept(row[width] ?? '');
      if (value === undefined || values.has(value)) return;
      if (values.size >= limit) {
        throw new UsageError(`Column ${options.audienceColumn?.trim()} holds more than ${limit.toLocaleString('en-US')} different values: it does not look like a column of audience names.`);
      }
      values.add(value);
    },
    malformed: () => {},
  };
  let reader: RowReader | undefined;
  for await (const chunk of options.source.chunks) {
    reader ??= readerFor(options, chunk, sink);
    reader.push(chunk);
  }
  (reader ?? readerFor(options, Buffer.alloc(0), sink)).end();
  return values;
}

/** The reader for the input's format: given, else sniffed from the first chunk. */
function readerFor(options: ReadOptions, firstChunk: Buffer, sink: RowSink): RowReader {
  const { source, delimiter, emailColumn, maidColumn, idfaColumn, phoneColumn, rows, audienceColumn } = options;
  const format: InputFormat = source.format ?? sniffFormat(firstChunk.subarray(0, 64).toString('utf8').replace(/^\uFEFF/, ''));
  return createRowReader({ format, delimiter, emailColumn, maidColumn, idfaColumn, phoneColumn, rows, audienceColumn }, sink);
}
