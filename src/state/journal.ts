// The durable BatchJournal: records each batch as it is sent, acknowledged or given up on, so a rerun
// of the same command resumes where the last attempt stopped and keeps each batch's retry window.
import fs from 'node:fs';
import path from 'node:path';
import type { Context } from '../context.js';
import type { BatchRange, JournalTarget, BatchJournal } from '../send/journal.js';
import type { RunReport } from '../report/run-report.js';
import { stateUnavailable } from './database.js';
import { fingerprintFile, runKey } from './fingerprint.js';
import { JournalWrites } from './journal-writes.js';
import { decodeLines, encodeLines, LineSet } from './line-set.js';
import type { RunRecord, RunStatus } from './runs.js';
import { acquireRunLock, runLockKey, type RunLock } from './run-lock.js';
import { openStateStore, type StateStore } from './store.js';

export interface RunJournalOptions {
  command: 'push' | 'sync';
  operation: 'ADD' | 'REMOVE' | 'MIRROR';
  /** The input file, or '-' for standard input (never resumable: it cannot be read twice). */
  input: string;
  /** Everything that changes what is sent: columns, format, audience, ad account, batch options… */
  requestShape: Record<string, unknown>;
  /** --restart: ignore an unfinished earlier run and start over. */
  restart?: boolean;
  /** --retry-for in ms: how long a failing batch is retried, counted from its first attempt. */
  retryForMs: number;
  /**
   * A lock the caller already holds for this run (a fan-out holds one for all its audiences,
   * acquireSharedRunLock): the journal takes none of its own, and records the lock's key so that
   * `pinsync runs` can tell a live run from one killed hard.
   */
  heldLock?: SharedRunLock;
}

/** One lock held for several journals of one run, with what its key was made of. */
export interface SharedRunLock {
  key: string;
  /** The input's fingerprint, computed once for every journal (undefined for standard input). */
  fingerprint: string | undefined;
  release(): void;
}

/**
 * The lock of a run that keeps a journal per audience (--audience-column): keyed like a journal of the
 * same command without its audience, so a second identical command stops at once, as it would on the
 * first audience's own lock. A thousand audiences then hold one lock, not a thousand.
 */
export async function acquireSharedRunLock(ctx: Context, options: Omit<RunJournalOptions, 'restart' | 'retryForMs' | 'heldLock'>): Promise<SharedRunLock> {
  const resumable = options.input !== '-';
  const fingerprint = resumable ? await fingerprintFile(options.input) : undefined;
  const key = runLockKey(journalKey(ctx, options, fingerprint));
  const lock = await acquireRunLock(ctx.paths.stateDir, key, describeRun(options), { oneOff: !resumable });
  return { key, fingerprint, release: () => lock.release() };
}

function journalKey(ctx: Context, options: Pick<RunJournalOptions, 'command' | 'operation' | 'requestShape'>, fingerprint: string | undefined): string {
  return runKey({
    profile: ctx.profile,
    command: options.command,
    operation: options.operation,
    fingerprint: fingerprint ?? `stdin:${ctx.now()}:${process.pid}`,
    ...options.requestShape,
  });
}

export interface ResumeInfo {
  runId: number;
  attempt: number;
  /** Lines Pinterest acknowledged in earlier attempts; they are read and counted, not sent again. */
  deliveredLines: number;
}

export class DurableRunJournal implements BatchJournal {
  private readonly writes: JournalWrites;

  constructor(
    private readonly store: StateStore,
    readonly run: RunRecord,
    readonly resumed: ResumeInfo | undefined,
    private readonly delivered: LineSet,
    private readonly retryForMs: number,
    private readonly now: () => number,
    private readonly ownsStore: boolean,
    private readonly lock: RunLock | undefined,
    signal?: AbortSignal,
  ) {
    this.writes = new JournalWrites(store.db, store.file, { signal, releaseReserve: () => releaseReserve(store.file) });
  }

  get runId(): number {
    return this.run.id;
  }

  alreadyDelivered(line: number): boolean {
    return this.delivered.has(line);
  }

  deadlineFor(firstLine: number, lastLine: number): number | undefined {
    const earliest = this.store.db
      .prepare(
        `SELECT min(first_attempt_at) AS at FROM batches
         WHERE run_id = ? AND state IN ('sent', 'split') AND first_line <= ? AND last_line >= ?`,
      )
      .get(this.run.id, lastLine, firstLine) as { at: number | null };
    return earliest.at === null ? undefined : earliest.at + this.retryForMs;
  }

  /** Recorded before the request goes out: a batch the journal cannot record is never sent. */
  batchSent(batch: BatchRange): Promise<void> {
    return this.writes.add(() => this.store.runs.batchSent(this.run.id, batch, batch.records, this.now()), true);
  }

  /** Pinterest took the batch: kept in memory while the state file is busy, never dropped while this process lives. */
  batchAcknowledged(batch: BatchRange): void {
    const lines = encodeLines(batch.lines.length > 0 ? batch.lines : [batch.firstLine, batch.lastLine]);
    const at = this.now();
    void this.writes.add(() => this.store.runs.batchAcknowledged(this.run.id, batch, batch.records, lines, at));
  }

  batchFailed(batch: BatchRange, reason: string): void {
    // The uploader splits a rejected batch to isolate bad records; the halves report their own fate.
    const state = reason.startsWith('split') ? 'split' : 'failed';
    const at = this.now();
    void this.writes.add(() => this.store.runs.batchFailed(this.run.id, batch, batch.records, reason, at, state));
  }

  /** Every entry written (waiting for a busy state file, bounded); rejects with the sentence when it gave up. */
  flush(): Promise<void> {
    return this.writes.flush();
  }

  /** Names the audience and list once push has resolved them (runs are listed per audience). */
  describeTarget(target: JournalTarget): void {
    this.store.runs.describeTarget(this.run.id, target);
  }

  finish(report: RunReport, exitCode: number): void {
    const target = report as unknown as Record<string, unknown>;
    const stored = { ...report, runId: this.run.id, exitCode };
    try {
      this.describeTarget({
        adAccountId: stringOrUndefined(target.adAccountId),
        audienceId: stringOrUndefined(target.audienceId),
        audienceName: stringOrUndefined(target.audienceName),
        customerListId: stringOrUndefined(target.customerListId),
      });
      this.store.runs.finish(this.run.id, statusFor(exitCode), exitCode, JSON.stringify(stored), this.now());
    } catch (error) {
      // Busy or full: every batch is already recorded, so a rerun resumes right; `pinsync runs` shows
      // the run as interrupted once this process has gone.
      if (!stateUnavailable(this.store.file, error)) throw error;
    }
  }

  /** The sentence printed on Ctrl-C or a crash-like stop: how to pick up where this run left off. */
  resumeHint(): string {
    if (!this.run.resumable) return 'Standard input cannot be resumed: send the rest again (ADD and REMOVE are idempotent).';
    return `Run the same command again to resume run ${this.run.id} (acknowledged batches are not sent again), or add --restart to start over.`;
  }

  close(): void {
    this.writes.abandon();
    if (this.ownsStore) this.store.close();
    this.lock?.release();
  }
}

/**
 * Starts a run, or resumes the newest unfinished run of the same command on the same input (also a
 * finished one whose batches errored: only those are sent again).
 */
export async function startRunJournal(
  ctx: Context,
  options: RunJournalOptions,
  store?: StateStore,
): Promise<DurableRunJournal> {
  const ownsStore = store === undefined;
  const state = store ?? (await openStateStore(ctx.paths.stateFile));
  let lock: RunLock | undefined;
  try {
    keepReserve(state.file);
    const resumable = options.input !== '-';
    const held = options.heldLock;
    const fingerprint = held ? held.fingerprint : resumable ? await fingerprintFile(options.input) : undefined;
    const key = journalKey(ctx, options, fingerprint);
    // Standard input runs lock too, though no other run shares their key: `pinsync runs` tells a run
    // that still holds its lock from one killed hard.
    if (!held) lock = await acquireRunLock(ctx.paths.stateDir, runLockKey(key), describeRun(options), { oneOff: !resumable });
    const lockKey = held?.key ?? null;
    const now = ctx.now();
    const earlier = resumable && !options.restart ? state.runs.latestWithKey(key) : undefined;
    if (earlier && isResumable(earlier)) {
      state.runs.startAttempt(earlier.id, now, lockKey);
      const run = state.runs.get(earlier.id)!;
      const delivered = new LineSet(acknowledgedIntervals(state, run.id));
      const deliveredLines = delivered.size;
      const resumed = { runId: run.id, attempt: run.attempts, deliveredLines };
      const journal = new DurableRunJournal(state, run, resumed, delivered, options.retryForMs, ctx.now, ownsStore, lock, ctx.signal);
      ctx.info(
        `Resuming run ${run.id} (attempt ${run.attempts}): ${deliveredLines.toLocaleString('en-US')} lines Pinterest already acknowledged are not sent again; add --restart to start over.`,
      );
      return journal;
    }
    const run = state.runs.create(
      {
        runKey: key,
        profile: ctx.profile,
        command: options.command,
        operation: options.operation,
        resumable,
        inputName: resumable ? path.resolve(options.input) : '-',
        adAccountId: stringOrUndefined(options.requestShape.adAccount),
        audience: stringOrUndefined(options.requestShape.audience),
        lockKey: lockKey ?? undefined,
      },
      now,
    );
    return new DurableRunJournal(state, run, undefined, new LineSet([]), options.retryForMs, ctx.now, ownsStore, lock, ctx.signal);
  } catch (error) {
    if (ownsStore) state.close();
    lock?.release();
    throw error;
  }
}

function describeRun(options: Pick<RunJournalOptions, 'command' | 'operation' | 'input' | 'requestShape'>): string {
  const verb = options.command === 'sync' ? 'syncing' : options.operation === 'REMOVE' ? 'removing the users of' : 'pushing';
  const preposition = options.operation === 'REMOVE' ? 'from' : 'into';
  const { audience, audienceColumn } = options.requestShape;
  const where = audience === '*' ? `the audiences of column ${String(audienceColumn ?? '')}` : `audience "${String(audience ?? '')}"`;
  return `${verb} ${path.basename(options.input)} ${preposition} ${where}`;
}

function isResumable(run: RunRecord): boolean {
  return run.resumable && (run.status !== 'finished' || run.exitCode === 3);
}

function acknowledgedIntervals(store: StateStore, runId: number): [number, number][] {
  const out: [number, number][] = [];
  for (const batch of store.runs.batches(runId, 'acknowledged')) {
    if (batch.lines) out.push(...decodeLines(batch.lines));
    else out.push([batch.firstLine, batch.lastLine]);
  }
  return out;
}

function statusFor(exitCode: number): RunStatus {
  if (exitCode === 0 || exitCode === 3) return 'finished';
  if (exitCode === 130) return 'interrupted';
  return 'failed';
}

function stringOrUndefined(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/**
 * Room kept beside the state file for the last journal entries when the disk fills up mid-run: far more
 * than one batch's entry needs, small next to any export. Made before anything is sent; a disk too
 * full for it stops the run before it starts.
 */
const RESERVE_BYTES = 1024 * 1024;

function reserveFile(stateFile: string): string {
  return `${stateFile}-reserve`;
}

function keepReserve(stateFile: string): void {
  const file = reserveFile(stateFile);
  try {
    if (fs.statSync(file, { throwIfNoEntry: false })?.size === RESERVE_BYTES) return;
    fs.writeFileSync(file, Buffer.alloc(RESERVE_BYTES), { mode: 0o600 });
  } catch (error) {
    fs.rmSync(file, { force: true });
    throw stateUnavailable(stateFile, error) ?? error;
  }
}

function releaseReserve(stateFile: string): boolean {
  try {
    fs.unlinkSync(reserveFile(stateFile));
    return true;
  } catch {
    return false;
  }
}

