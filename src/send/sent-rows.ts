// Rows sent: guard → batch → upload → tally. Takes identified rows in input order, holds the first
// batches until the wrong-mapping guard has judged the first rows, sends batches through the
// uploader, and counts every row's fate in the tally.
import { Batcher, type Batch } from './batch.js';
import type { ColumnPlan } from '../input/columns.js';
import { MappingGuard } from './guard.js';
import type { IdentifiedRowSink, RowIdentity } from '../identify/identified-rows.js';
import { hadValidIdentifier, Verdict } from '../identify/identify.js';
import type { BatchJournal } from './journal.js';
import type { RunEnd, StopReason } from './outcome.js';
import type { Tally } from './tally.js';
import { Uploader, type ListWriter } from './upload.js';

export interface SendOptions {
  tally: Tally;
  journal: BatchJournal;
  batchSize: number;
  flushIntervalMs: number;
  maxInFlight: number;
  retryForMs: number;
  signal: AbortSignal;
  now(): number;
  /** Where batches go, known now (sync's diff) … */
  writer?: ListWriter;
  /** … or once the header is read (push: the list may be created from the first batch). */
  writerFor?(plan: ColumnPlan): ListWriter;
  /** Judges the first rows before any batch goes out; without one, batches go at once. */
  guard?: MappingGuard;
  /** Told when the run must stop (fatal error, guard verdict from a timer), so a waiting reader wakes. */
  onStop?(): void;
}

export class SentRows implements IdentifiedRowSink {
  private plan: ColumnPlan | undefined;
  private uploader: Uploader | undefined;
  private readonly guard: MappingGuard;
  private readonly batcher: Batcher;
  private readonly held: Batch[] = [];
  private stopError: unknown;
  private batchesSubmitted = 0;
  /** Records of rows an earlier attempt of this run delivered (a resumed run skips them). */
  recordsDeliveredEarlier = 0;

  constructor(private readonly options: SendOptions) {
    this.guard = options.guard ?? new MappingGuard(true);
    this.batcher = new Batcher({
      maxRecords: options.batchSize,
      flushIntervalMs: options.flushIntervalMs,
      onBatch: (batch, byTimer) => this.batchReady(batch, byTimer),
    });
    if (options.writer) this.uploader = this.uploaderFor(options.writer);
  }

  /** A batch went to the uploader: from now on an error cannot say "nothing was sent". */
  get sendingBegan(): boolean {
    return this.batchesSubmitted > 0;
  }

  /** The error that stops the run (revoked token, deleted list, internal), once there is one. */
  get fatal(): unknown {
    return this.uploader?.fatal;
  }

  planned(plan: ColumnPlan): void {
    this.plan = plan;
    if (this.options.writerFor) this.uploader ??= this.uploaderFor(this.options.writerFor(plan));
  }

  /** Counts a row whose verdict is known, and batches its new records (hot path). */
  identified(line: number, verdict: Verdict, row: RowIdentity): void {
    const { tally } = this.options;
    tally.rowEntered();
    if (this.guard.count(hadValidIdentifier(verdict, row.reason))) this.decideGuard();
    if (verdict === Verdict.NotSynced) tally.rowNotSynced(line, row.reason);
    else if (verdict === Verdict.Duplicate) tally.rowDuplicate();
    else this.send(line, row.records, row.count);
  }

  /** Batches a row's first `count` records, unless an earlier attempt of this run delivered them. */
  send(line: number, records: readonly string[], count: number): void {
    if (this.options.journal.alreadyDelivered(line)) {
      this.options.tally.rowAlreadySynced();
      this.recordsDeliveredEarlier += count;
    } else this.batcher.addRow(line, records, count);
  }

  /** 'interrupted' (Ctrl-C) or 'fatal' when sending must stop; throws the guard's verdict. */
  stopReason(): StopReason | undefined {
    if (this.options.signal.aborted) return 'interrupted';
    if (this.uploader?.fatal !== undefined) return 'fatal';
    this.throwIfStopped();
    return undefined;
  }

  /** A promise while as many requests as allowed are in flight (keeps memory flat when Pinterest is slower than the input). */
  room(): Promise<void> | undefined {
    const uploader = this.uploader;
    return uploader && uploader.requestsInFlight >= this.options.maxInFlight ? uploader.room() : undefined;
  }

  /** At the end of the input sends the last batch; else drops it. Waits for every request in flight. */
  async finish(stop: StopReason): Promise<RunEnd> {
    if (stop === 'end') {
      this.batcher.flush();
      this.decideGuard();
      this.throwIfStopped();
    } else {
      this.batcher.abandon();
    }
    await this.uploader?.drain();
    await this.journalFlushed();
    if (stop === 'end' && this.fatal !== undefined) stop = 'fatal';
    // Stopped while the last requests were on their way: rows they carried stay pending.
    if (stop === 'end' && this.options.signal.aborted && this.options.tally.pending > 0) stop = 'interrupted';
    return { stop, fatal: this.fatal };
  }

  /** After an error: drops the unsent batch and waits for the requests in flight (and their acknowledgements). */
  async abandon(): Promise<void> {
    this.batcher.abandon();
    await this.uploader?.drain();
    await this.options.journal.flush?.().catch(() => {});
  }

  /** The acknowledgements kept in memory while the state file was busy are written before the run reports. */
  private async journalFlushed(): Promise<void> {
    try {
      await this.options.journal.flush?.();
    } catch (error) {
      this.uploader?.stopWith(error);
    }
  }

  private uploaderFor(writer: ListWriter): Uploader {
    const { tally, journal, maxInFlight, retryForMs, now, onStop } = this.options;
    return new Uploader({ writer, tally, journal, maxInFlight, retryForMs, now, onFatal: onStop });
  }

  private throwIfStopped(): void {
    if (this.stopError !== undefined) throw this.stopError;
  }

  private batchReady(batch: Batch, byTimer: boolean): void {
    if (this.stopError !== undefined) return;
    if (!this.guard.decided) {
      this.held.push(batch);
      // A batch flushed by its timer before the window filled: judge on the rows so far (streaming).
      if (byTimer) this.decideGuard();
      return;
    }
    this.submit(batch);
  }

  /** Applies the guard once; a verdict from a timer wakes the reader to stop. */
  private decideGuard(): void {
    if (this.guard.decided) return;
    try {
      this.guard.decide(this.plan);
    } catch (error) {
      this.stopError = error;
      this.held.length = 0;
      this.options.onStop?.();
      return;
    }
    for (const batch of this.held.splice(0)) this.submit(batch);
  }

  private submit(batch: Batch): void {
    this.batchesSubmitted++;
    this.uploader!.submit(batch);
  }
}
