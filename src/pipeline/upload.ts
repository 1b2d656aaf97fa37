// Sends batches with as many requests in flight as the client's rate limiter lets through, and
// settles each row's fate in the tally. A batch Pinterest rejects as a bad request is split in
// halves until the offending rows are isolated; a revoked token or deleted list stops the run.
import { InterruptedError, PinsyncError } from '../errors.js';
import { redact } from '../redact.js';
import { splitBatch, type Batch } from './batch.js';
import type { BatchRange, PushJournal } from './journal.js';
import type { Tally } from './tally.js';

/** Where records go: one PATCH (or the create call of the first batch). Throws the client's errors. */
export interface UploadTarget {
  send(records: readonly string[], deadline: number): Promise<void>;
}

export interface UploaderOptions {
  target: UploadTarget;
  tally: Tally;
  journal: PushJournal;
  maxInFlight: number;
  retryForMs: number;
  now(): number;
  /** Told once when the run must stop (so a reader waiting on a slow input can stop at once). */
  onFatal?(): void;
}

type ErrorKind = string | undefined;

const fatalMark = Symbol('stops the run');

/** Marks an error as one that stops the run whatever its kind (e.g. creating the audience failed). */
export function markFatal(error: unknown): unknown {
  if (error !== null && typeof error === 'object') (error as Record<symbol, boolean>)[fatalMark] = true;
  return error;
}

function isMarkedFatal(error: unknown): boolean {
  return error !== null && typeof error === 'object' && (error as Record<symbol, boolean>)[fatalMark] === true;
}

export class Uploader {
  /** Set when the run must stop: token revoked (exit 4), list gone (exit 5), or a bug (exit 1). */
  fatal: unknown;
  private inFlight = 0;
  private readonly waiters: Array<() => void> = [];
  private readonly running = new Set<Promise<void>>();
  private nextSubId = 1_000_000;

  constructor(private readonly options: UploaderOptions) {}

  get requestsInFlight(): number {
    return this.inFlight;
  }

  submit(batch: Batch): void {
    if (this.fatal !== undefined) return; // never sent: its rows stay pending
    this.inFlight++;
    const deadline = this.options.journal.deadlineFor(batch.lines[0]!, batch.lines[batch.lines.length - 1]!) ?? this.options.now() + this.options.retryForMs;
    const delivery = this.deliver(batch, deadline)
      .catch((error: unknown) => this.stopWith(error)) // the journal could not record it (state busy or full)
      .finally(() => {
        this.inFlight--;
        this.running.delete(delivery);
        this.waiters.shift()?.();
      });
    this.running.add(delivery);
  }

  private stopWith(error: unknown): void {
    if (this.fatal !== undefined) return;
    this.fatal = error;
    this.options.onFatal?.();
  }

  /** Resolves once another batch may be submitted (keeps memory flat when Pinterest is slower than the input). */
  async room(): Promise<void> {
    while (this.inFlight >= this.options.maxInFlight) await new Promise<void>((resolve) => this.waiters.push(resolve));
  }

  /** Waits for every request in flight to settle. */
  async drain(): Promise<void> {
    while (this.running.size > 0) await Promise.all([...this.running]);
  }

  private async deliver(batch: Batch, deadline: number): Promise<void> {
    const { tally, journal, target } = this.options;
    const range = rangeOf(batch, this.options.now());
    if (this.fatal !== undefined) return;
    journal.batchSent(range);
    try {
      await target.send(batch.records, deadline);
    } catch (error) {
      await this.failed(batch, range, error, deadline);
      return;
    }
    tally.rowsSynced(batch.lines.length, batch.records.length);
    journal.batchAcknowledged(range);
  }

  private async failed(batch: Batch, range: BatchRange, error: unknown, deadline: number): Promise<void> {
    const { tally, journal } = this.options;
    // Ctrl-C cut this request short: its rows stay pending and the journal keeps it in flight, so a
    // rerun sends it again; counting it as errored would turn an interruption (130) into exit 3.
    if (error instanceof InterruptedError) return;
    const kind = kindOf(error);
    if (kind === 'bad_request' && batch.lines.length > 1 && !isMarkedFatal(error)) {
      journal.batchFailed(range, 'split to isolate rejected records');
      const [left, right] = splitBatch(batch, () => this.nextSubId++);
      await Promise.all([this.deliver(left, deadline), this.deliver(right, deadline)]);
      return;
    }
    const reason = reasonOf(kind);
    if (isFatal(kind) || isMarkedFatal(error) || !(error instanceof PinsyncError)) this.stopWith(error);
    const detail = kind === 'bad_request' ? pinterestMessage(error) : undefined;
    tally.rowsErrored(batch.lines, reason, detail);
    journal.batchFailed(range, detail ? `${reason}: ${detail}` : reason);
  }
}

function rangeOf(batch: Batch, now: number): BatchRange {
  return {
    id: batch.id,
    firstLine: batch.lines[0]!,
    lastLine: batch.lines[batch.lines.length - 1]!,
    records: batch.records.length,
    startedAt: now,
    lines: batch.lines,
  };
}

function kindOf(error: unknown): ErrorKind {
  const kind = (error as { kind?: unknown } | undefined)?.kind;
  return typeof kind === 'string' ? kind : undefined;
}

function isFatal(kind: ErrorKind): boolean {
  return kind === 'auth' || kind === 'permission' || kind === 'not_found';
}

function reasonOf(kind: ErrorKind): string {
  switch (kind) {
    case 'bad_request':
      return 'rejected_by_pinterest';
    case 'auth':
      return 'token_rejected';
    case 'permission':
      return 'no_permission';
    case 'not_found':
      return 'list_not_found';
    case undefined:
      return 'internal_error';
    default:
      return 'retries_exhausted';
  }
}

/** Pinterest's own words, without anything that could be a record or an address. */
function pinterestMessage(error: unknown): string {
  const { apiMessage, message } = error as { apiMessage?: unknown; message?: unknown };
  if (typeof apiMessage === 'string' && apiMessage) return scrub(apiMessage);
  return scrub(typeof message === 'string' ? message : 'bad request');
}

function scrub(text: string): string {
  return redact(text)
    .replace(/[0-9a-f]{16,}/gi, '…')
    .replace(/\S+@\S+/g, '…')
    .replace(/[\r\n]+/g, ' ')
    .slice(0, 200);
}
