// Sends batches with as many requests in flight as the client's rate limiter lets through, and
// settles each row's fate in the tally. A batch Pinterest rejects for a record is split in halves
// (bounded: a request-wide refusal errors the batch after at most 3 requests); a revoked token,
// deleted list, spam answer or spent quota stops the run.
import { InterruptedError, PinsyncError } from '../errors.js';
import { redact } from '../redact.js';
import { splitBatch, type Batch } from './batch.js';
import type { BatchRange, BatchJournal } from './journal.js';
import type { Tally } from './tally.js';

/** Where records go: one PATCH (or the create call of the first batch). Throws the client's errors. Records may be records_v2 rows (row-record.ts). */
export interface ListWriter {
  send(records: readonly string[], deadline: number): Promise<void>;
}

/** One audience's write requests (a client's counters are for its whole run). */
export interface SendCounts {
  requests: number;
}

/** The writer, counting each request it is asked to send into `sends`. */
export function countingSends(writer: ListWriter, sends: SendCounts): ListWriter {
  return {
    send: async (records, deadline) => {
      sends.requests++;
      await writer.send(records, deadline);
    },
  };
}

export interface UploaderOptions {
  writer: ListWriter;
  tally: Tally;
  journal: BatchJournal;
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

  /** Stops the run with `error` (the first one wins): nothing more is sent. */
  stopWith(error: unknown): void {
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
    const sent = await this.sendOnce(batch, deadline);
    if (!sent) return;
    if (isRecordRejection(sent.error) && batch.lines.length > 1) {
      if (namesARecord(sent.error)) await this.bisect(batch, sent, deadline, true);
      else this.requestWide(batch, sent);
      return;
    }
    this.failed(batch, sent.range, sent.error);
  }

  /** One request for the batch; settles it when Pinterest takes it, else hands back the error. */
  private async sendOnce(batch: Batch, deadline: number): Promise<Failure | undefined> {
    const { tally, journal, writer } = this.options;
    const range = rangeOf(batch, this.options.now());
    if (this.fatal !== undefined) return undefined; // stopped meanwhile: its rows stay pending
    if (!(await this.recordedAsSent(range))) return undefined;
    if (this.fatal !== undefined) return undefined;
    try {
      await writer.send(batch.records, deadline);
    } catch (error) {
      return { range, error };
    }
    tally.rowsSynced(batch.lines.length, batch.identifiers);
    journal.batchAcknowledged(range);
    return undefined;
  }

  /**
   * Whether the journal recorded the batch as sent (it may wait for a busy state file: sending pauses
   * meanwhile). Not recorded, it is not sent and its rows stay pending: the run was stopped (Ctrl-C),
   * or the state gave up, which stops the run.
   */
  private async recordedAsSent(range: BatchRange): Promise<boolean> {
    try {
      await this.options.journal.batchSent(range);
      return true;
    } catch (error) {
      if (!(error instanceof InterruptedError)) this.stopWith(error);
      return false;
    }
  }

  /**
   * Halves a batch Pinterest refused for a record, and goes on halving only the halves it refuses:
   * k bad records in n cost about 2·k·log2(n) requests. When both halves of the first split are
   * refused too, the fault is the request, not a record: the batch errors after 3 requests.
   */
  private async bisect(batch: Batch, refused: Failure, deadline: number, firstSplit: boolean): Promise<void> {
    this.options.journal.batchFailed(refused.range, 'split to isolate rejected records');
    const halves = splitBatch(batch, () => this.nextSubId++);
    const outcomes = await Promise.all(halves.map((half) => this.sendOnce(half, deadline)));
    const rejected = outcomes.filter((outcome) => outcome && isRecordRejection(outcome.error));
    if (firstSplit && rejected.length === halves.length) {
      halves.forEach((half, i) => this.requestWide(half, outcomes[i]!));
      return;
    }
    await Promise.all(
      halves.map(async (half, i) => {
        const outcome = outcomes[i];
        if (!outcome) return;
        if (!isRecordRejection(outcome.error) || half.lines.length === 1) this.failed(half, outcome.range, outcome.error);
        else if (!namesARecord(outcome.error)) this.requestWide(half, outcome);
        else await this.bisect(half, outcome, deadline, false);
      }),
    );
  }

  /** Pinterest refused the request as a whole: every row of it errors, with Pinterest's words. */
  private requestWide(batch: Batch, { range, error }: Failure): void {
    const detail = `request refused as a whole: ${pinterestMessage(error)}`;
    this.options.tally.rowsErrored(batch.lines, 'rejected_by_pinterest', detail);
    this.options.journal.batchFailed(range, `rejected_by_pinterest: ${detail}`);
  }

  private failed(batch: Batch, range: BatchRange, error: unknown): void {
    const { tally, journal } = this.options;
    // Ctrl-C cut this request short: its rows stay pending and the journal keeps it in flight, so a
    // rerun sends it again; counting it as errored would turn an interruption (130) into exit 3.
    if (error instanceof InterruptedError) return;
    const kind = kindOf(error);
    // A spent quota stops the run and sends nothing more; these rows were not taken (or not sent while
    // another batch's answer stopped the run), so they stay pending and a rerun sends them.
    if (kind === 'quota' || (error as { unsent?: unknown }).unsent === true) {
      this.stopWith(error);
      return;
    }
    const reason = reasonOf(kind);
    if (isFatal(kind) || isMarkedFatal(error) || !(error instanceof PinsyncError)) this.stopWith(error);
    const detail = kind === 'bad_request' ? pinterestMessage(error) : undefined;
    tally.rowsErrored(batch.lines, reason, detail);
    journal.batchFailed(range, detail ? `${reason}: ${detail}` : reason);
  }
}

interface Failure {
  range: BatchRange;
  error: unknown;
}

/** A 400 that may be about the records sent (not one that stops the run, like a failed create). */
function isRecordRejection(error: unknown): boolean {
  return kindOf(error) === 'bad_request' && !isMarkedFatal(error);
}

/** Whether Pinterest's 400 points at a record ("Record at index 12 …"): only then can halving find it. */
function namesARecord(error: unknown): boolean {
  const apiMessage = (error as { apiMessage?: unknown }).apiMessage;
  return typeof apiMessage === 'string' && /\brecords?\b[^.]*\d/i.test(apiMessage);
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
  return kind === 'auth' || kind === 'permission' || kind === 'not_found' || kind === 'spam';
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
    case 'spam':
      return 'blocked_as_spam';
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
