// Mirroring one audience (a sync, or one audience of a --audience-column sync) as a route: its rows are
// staged against the audience's last snapshot while the input is read; then the diff is guarded
// (--max-remove), the ADDs then the REMOVEs are sent as rows sent (send/sent-rows.ts) under a durable
// journal, and the snapshot is replaced only once Pinterest acknowledged everything.
import type { Context } from '../context.js';
import { NotFoundError, UsageError } from '../errors.js';
import { clean } from '../report/table.js';
import { customerListWriter, resolveAudienceTarget, settleAudience, audiencePendingKeys, audiencePendingNote, type AudienceTarget } from '../audiences/target.js';
import type { ColumnPlan } from '../input/columns.js';
import type { RowIdentity } from '../identify/identified-rows.js';
import { hadValidIdentifier, Verdict } from '../identify/identify.js';
import { startProgress, type ProgressSource } from '../report/progress.js';
import type { RunReport } from '../report/run-report.js';
import { MappingGuard } from '../send/guard.js';
import { COMPLETED, endAsOfNow, exitCodeOf, type RunEnd, type StopReason } from '../send/outcome.js';
import { SentRows } from '../send/sent-rows.js';
import { requestSignal } from '../send/stop-signal.js';
import { Tally, type RejectSink } from '../send/tally.js';
import { countingSends, type ListWriter, type SendCounts } from '../send/upload.js';
import { acquireRunLock, type RunLock } from '../state/run-lock.js';
import { listKey, type DiffCounts, type MirrorDiff } from '../state/snapshot.js';
import type { StateStore } from '../state/store.js';
import type { RunFrame } from './frame.js';
import { noRunJournal, openRunJournal, type RunJournal } from './journal.js';
import type { SyncOptions } from './options.js';
import { progressOptions } from './progress.js';
import { segmentHint } from './segment-values.js';
import { audienceReport, type AudienceEnd } from './report.js';
import type { Route } from './routes.js';
import type { RunSettings } from './settings.js';
import { MatchHealth } from './match-health.js';

/** What the mirrors of one sync share. */
export interface SyncPlan {
  ctx: Context;
  options: SyncOptions;
  settings: RunSettings;
  input: string;
  frame: RunFrame;
  /** With --audience-column: whose audiences these are (profile, ad account, column, job), to find the ones no row names any more. */
  segmentScope?: string;
}

/** The input's producer failed (`pinsync run`'s command job): stoppedBy "input", nothing sent. */
export const INPUT_INCOMPLETE: RunEnd = { stop: 'input', fatal: undefined };

/** How the sending of one audience's diff ended. */
interface Sent extends RunEnd {
  removals: Tally;
  /** Records acknowledged in an earlier attempt of this run (a resumed sync skips them): ADDs, REMOVEs. */
  earlier: { added: number; removed: number };
}

export class MirrorRoute implements Route {
  readonly tally: Tally;
  plan: ColumnPlan | undefined;
  /** Rows with at least one record not seen earlier in the file (pending until sent or found unchanged). */
  private newRows = 0;
  /** The last input line read: REMOVE records are numbered after it in the journal. */
  private lastLine = 1;
  private counts: DiffCounts | undefined;
  private unchangedRows = 0;
  private journal: RunJournal = noRunJournal;
  private sent: Sent | undefined;
  /** An earlier sync of the column filled it and no row names it today: it is mirrored to empty. */
  private vanished = false;
  /** This audience's write requests (a fan-out's audiences share the run's client, whose counters are the run's). */
  private readonly sends: SendCounts = { requests: 0 };
  /** How Pinterest matched the list: read before anything is sent, recorded in the history (under the run's journal). */
  private health: MatchHealth | undefined;

  private constructor(
    private readonly sync: SyncPlan,
    /** The audience as asked for (--audience, or the --audience-column value): part of the journal's key. */
    readonly audience: string,
    readonly target: AudienceTarget,
    /** The run's connection: every mirror stages its diff there, in tables of its own. */
    private readonly store: StateStore,
    private readonly key: string,
    private readonly lock: RunLock | undefined,
    private readonly snapshot: { generation: number } | undefined,
    private readonly diff: MirrorDiff,
    private readonly guard: MappingGuard,
    rejects: RejectSink | undefined,
  ) {
    this.tally = new Tally(rejects);
  }

  /** The audience a value names, or its creation planned with --create (a look-up, nothing taken). */
  static resolve(sync: SyncPlan, audience: string): Promise<AudienceTarget> {
    const { ctx, options, frame } = sync;
    return resolveAudienceTarget(ctx, frame.directory!, { audience, create: options.create, ...segmentHint(options.audienceColumn, audience) });
  }

  /** The resolved audience's mirror: its lock taken (not for a dry run) and a diff against its snapshot started. */
  static async open(sync: SyncPlan, audience: string, target: AudienceTarget): Promise<MirrorRoute> {
    const { ctx, options, frame } = sync;
    const store = frame.store!;
    let lock: RunLock | undefined;
    try {
      const key = target.customerListId ? listKey(target.adAccountId, target.customerListId) : `new:${target.adAccountId}/${target.audienceName}`;
      // A dry run only reads the snapshot (in a transaction), so it may look while another sync runs.
      lock = options.dryRun
        ? undefined
        : await acquireRunLock(ctx.paths.stateDir, `mirror:${ctx.profile}:${target.adAccountId}:${target.audienceName}`, `syncing a file into audience "${target.audienceName}"`);
      const guard = new MappingGuard(Boolean(options.allowMissingIdentifiers), { liftFlag: '--allow-missing-identifiers', verb: 'sync', window: Infinity });
      return new MirrorRoute(sync, audience, target, store, key, lock, store.snapshots.generation(key), store.snapshots.startDiff(key), guard, frame.rejects);
    } catch (error) {
      lock?.release();
      throw error;
    }
  }

  planned(plan: ColumnPlan): void {
    this.plan = plan;
  }

  /** Counts each row and stages its records (new or duplicate: settled by the diff); the guard judges the first rows. */
  identified(line: number, verdict: Verdict, row: RowIdentity): void {
    this.lastLine = line;
    this.tally.rowEntered();
    if (this.guard.count(hadValidIdentifier(verdict, row.reason))) this.guard.decide(this.plan);
    if (verdict === Verdict.NotSynced) this.tally.rowNotSynced(line, row.reason);
    else this.diff.stageRow(line, row.records, row.count);
  }

  /** The input is read (to its end, or `interrupted`): the guard judges the rows, and the staged rows settle into the diff. */
  staged(interrupted: boolean): DiffCounts {
    if (!interrupted) this.guard.decide(this.plan);
    const counts = this.diff.diff();
    this.newRows = this.diff.newRows;
    for (let i = 0; i < this.diff.duplicateRows; i++) this.tally.rowDuplicate();
    this.unchangedRows = this.newRows - counts.addedRows;
    this.counts = counts;
    return counts;
  }

  describeDiff(): void {
    const counts = this.counts!;
    const n = (value: number) => value.toLocaleString('en-US');
    const name = `"${this.target.audienceName}"`;
    if (this.vanished) {
      const column = this.sync.options.audienceColumn?.trim();
      this.sync.ctx.info(`No row names audience ${name} today, but an earlier sync of column ${column} filled it: it is mirrored to empty (${n(counts.removed)} identifiers to remove).`);
      return;
    }
    if (!counts.hasSnapshot) {
      this.sync.ctx.info(
        `First sync of audience ${name}: adding all ${n(counts.added)} identifiers; nothing is removed this time (pinsync does not know who was added by other means).`,
      );
      return;
    }
    this.sync.ctx.info(`Audience ${name}: ${n(counts.added)} identifiers to add, ${n(counts.removed)} to remove, ${n(counts.inputSize - counts.added)} unchanged since the last sync.`);
  }

  /** What must hold before anything is sent: removals within --max-remove, something to create an audience with. */
  async checkBeforeSending(): Promise<void> {
    const counts = this.counts!;
    await this.confirmRemovals(counts);
    if (this.target.toCreate && counts.added === 0) {
      throw new UsageError(`Audience "${this.target.audienceName}" does not exist and the file has no usable identifier to create it with.`);
    }
  }

  /** Nothing (more) sent: the run was stopped while reading or opening, or its input was incomplete. */
  unsent(end: RunEnd, outcome?: string): AudienceEnd {
    if (!this.counts) this.staged(true); // stopped before the input was read to its end: the rows read so far
    return { report: this.report(end, outcome), end, exitCode: exitCodeOf(end, 0) };
  }

  /** Sends the diff under its own journal; the snapshot is replaced only when all got through. */
  async mirror(): Promise<AudienceEnd> {
    const { ctx, options, settings, input } = this.sync;
    const counts = this.counts!;
    if (options.dryRun) {
      this.tally.rowsSynced(this.tally.pending, 0);
      return { report: this.report(COMPLETED, 'dry_run'), end: COMPLETED, exitCode: 0 };
    }
    const { target } = this;
    this.journal = await openRunJournal(ctx, this.store, options, settings, {
      command: 'sync',
      operation: 'MIRROR',
      input,
      audience: this.audience,
      adAccountId: target.adAccountId,
      snapshot: this.snapshot?.generation ?? 0,
    });
    this.journal.describeTarget(target);
    this.tally.rowsSynced(this.unchangedRows, 0); // already in the audience since the last sync
    this.health = new MatchHealth(ctx, this.store, this.sync.frame.client!, target, options, this.journal.runId);
    await this.health.readEarlier();
    if (counts.added === 0 && counts.removed === 0) {
      this.diff.commitSnapshot(this.journal.runId, ctx.now(), this.key, (size) => this.noteSegment(this.key, size));
      await this.settle(true); // a waiting list the last run filled may be ready now
      return this.healthAfter(this.finish(COMPLETED));
    }
    const removals = new Tally();
    const progress = await startProgress(diffSent(this.tally, removals, counts), progressOptions(ctx, options));
    try {
      this.sent = await this.sendDiff(removals);
    } finally {
      progress.stop();
    }
    await this.settle(this.sent.stop === 'end');
    return this.healthAfter(
      this.finish(this.sent, () => {
        const key = listKey(target.adAccountId, target.customerListId!);
        this.diff.commitSnapshot(this.journal.runId, ctx.now(), key, (size) => this.noteSegment(key, size));
      }),
    );
  }

  /**
   * A column's sync remembers the audiences it filled, so that one no row names any more is mirrored to
   * empty next time; once emptied, it is no longer the column's.
   */
  private noteSegment(key: string, size: number): void {
    const scope = this.sync.segmentScope;
    if (scope === undefined) return;
    const { target } = this;
    if (size === 0) this.store.snapshots.forgetSegmentAudience(scope, key);
    else this.store.snapshots.rememberSegmentAudience(scope, { listKey: key, adAccountId: target.adAccountId, audienceId: target.audienceId ?? null, audienceName: target.audienceName });
  }

  /**
   * The audiences an earlier sync of this column filled that no row names today, each as a mirror with
   * nothing staged (so it is mirrored to empty, behind --max-remove). One that is gone from Pinterest
   * (deleted, archived) is forgotten, and said.
   */
  static async vanished(sync: SyncPlan, present: readonly MirrorRoute[], plan: ColumnPlan | undefined): Promise<MirrorRoute[]> {
    const { ctx, segmentScope } = sync;
    if (segmentScope === undefined) return [];
    const keys = new Set(present.flatMap((mirror) => (mirror.target.customerListId ? [listKey(mirror.target.adAccountId, mirror.target.customerListId)] : [])));
    const store = sync.frame.store!;
    const mirrors: MirrorRoute[] = [];
    try {
      for (const earlier of store.snapshots.segmentAudiences(segmentScope).filter((audience) => !keys.has(audience.listKey))) {
        let target: AudienceTarget;
        try {
          target = await resolveAudienceTarget(ctx, sync.frame.directory!, { audience: earlier.audienceId ?? earlier.audienceName });
        } catch (error) {
          if (!(error instanceof NotFoundError)) throw error;
          ctx.info(`Audience "${clean(earlier.audienceName)}", which an earlier sync of this column filled, is gone from Pinterest: it is forgotten.`);
          store.snapshots.forgetSegmentAudience(segmentScope, earlier.listKey);
          continue;
        }
        const mirror = await MirrorRoute.open(sync, earlier.audienceName, target);
        mirror.vanished = true;
        if (plan) mirror.planned(plan);
        mirrors.push(mirror);
      }
    } catch (error) {
      for (const mirror of mirrors) mirror.close();
      throw error;
    }
    return mirrors;
  }

  /** With --wait-ready: waits for Pinterest to match what this sync sent, and records it. */
  private async healthAfter(ended: AudienceEnd): Promise<AudienceEnd> {
    await this.health?.finish(ended.report, ended.exitCode);
    return ended;
  }

  /** Said after the summary: the audience still waits for Pinterest. */
  notes(): string[] {
    if (this.sync.options.dryRun) return [];
    const note = audiencePendingNote(this.target);
    return note ? [note] : [];
  }

  get journalOfRun(): RunJournal {
    return this.journal;
  }

  close(): void {
    this.journal.close();
    this.diff.dispose();
    this.lock?.release();
  }

  /** The audience's report and exit code; `whenComplete` (the new snapshot) only when everything got through. */
  private finish(sent: RunEnd, whenComplete?: () => void): AudienceEnd {
    const end = endAsOfNow(sent, this.sync.ctx.signal);
    const report = this.report(end);
    const exitCode = exitCodeOf(end, this.tally.errored + (this.sent?.removals.errored ?? 0));
    if (exitCode === 0) whenComplete?.();
    this.journal.finish(report, exitCode);
    // Its run lock goes now: the audiences are mirrored one after another, so a fan-out holds one at a time.
    this.journal.close();
    return { report, end, exitCode };
  }

  private settle(ended: boolean): Promise<void> {
    const { ctx, options, frame } = this.sync;
    return settleAudience(frame.client!, this.target, ended, { waitMs: options.audienceWait, stop: ctx.signal, now: ctx.now, tell: ctx.info });
  }

  /** A sync that would empty much of the audience is more likely a wrong file than a wish. */
  private async confirmRemovals(counts: DiffCounts): Promise<void> {
    const { ctx, options } = this.sync;
    if (!counts.hasSnapshot || counts.removed === 0 || options.force) return;
    const share = (counts.removed / Math.max(1, counts.snapshotSize)) * 100;
    if (share <= options.maxRemove) return;
    const what = `This sync would remove ${counts.removed.toLocaleString('en-US')} of the ${counts.snapshotSize.toLocaleString('en-US')} identifiers last synced to audience "${this.target.audienceName}" (${share.toFixed(1)}%), more than --max-remove ${options.maxRemove}%`;
    if (ctx.canPrompt) {
      const go = await ctx.prompter.confirm(`${what}. Go ahead?`, false);
      if (go) return;
      throw new UsageError('Stopped before sending anything: the audience is unchanged.');
    }
    throw new UsageError(`${what}: nothing was sent. Check the file, or pass --force (or a higher --max-remove) to go ahead.`);
  }

  /** ADD the new rows, then REMOVE the gone records, through the batcher and uploader. */
  private async sendDiff(removals: Tally): Promise<Sent> {
    const { ctx, frame } = this.sync;
    const client = frame.client!;
    const listType = this.plan?.listType ?? 'EMAIL';
    // A write on its way when the run is stopped gets a short grace to be acknowledged.
    const signal = requestSignal(ctx.signal);
    const adds = await this.sendPhase(customerListWriter(client, this.target, { operation: 'ADD', listType, signal, stop: ctx.signal, now: ctx.now }), this.diff.addedRows(), this.tally);
    const earlier = { added: adds.deliveredEarlier, removed: 0 };
    if (adds.stop !== 'end') return { ...adds, removals, earlier };
    // REMOVE records have no input line: the journal numbers them after the last line, in a stable order.
    let pseudoLine = this.lastLine;
    const diff = this.diff;
    const removalRows = (function* () {
      for (const record of diff.removedRecords()) {
        removals.rowEntered();
        yield { line: ++pseudoLine, records: [record] };
      }
    })();
    const removes = await this.sendPhase(customerListWriter(client, this.target, { operation: 'REMOVE', listType, signal }), removalRows, removals);
    earlier.removed = removes.deliveredEarlier;
    return { ...removes, removals, earlier };
  }

  /** Rows sent (batch → upload → tally) for one operation of the diff; the guard judged the rows when staged. */
  private async sendPhase(writer: ListWriter, rows: Iterable<{ line: number; records: string[] }>, tally: Tally): Promise<RunEnd & { deliveredEarlier: number }> {
    const { ctx, settings } = this.sync;
    const sent = new SentRows({ ...settings, writer: countingSends(writer, this.sends), tally, journal: this.journal, signal: ctx.signal, now: ctx.now });
    let stop: StopReason = 'end';
    for (const row of rows) {
      stop = sent.stopReason() ?? 'end';
      if (stop !== 'end') break;
      sent.send(row.line, row.records, row.records.length);
      await sent.room();
    }
    return { ...(await sent.finish(stop)), deliveredEarlier: sent.recordsDeliveredEarlier };
  }

  /**
   * The push report with operation MIRROR. Rows: an unchanged row counts as synced (it is in the
   * audience). `added` and `removed` count the identifiers (records) Pinterest acknowledged for this
   * run, earlier attempts of a resumed run included (0 in a dry run); `toAdd` and `toRemove` are the
   * planned diff (what a dry run would send). `removeErrored` and `removePending` say how many of the removals
   * did not get through.
   */
  private report(end: RunEnd, outcome?: string): RunReport {
    const { ctx, options, frame } = this.sync;
    const counts = this.counts!;
    const sent = this.sent;
    const removals = sent?.removals.counts();
    const dryRun = Boolean(options.dryRun);
    const report = audienceReport({
      command: 'sync',
      operation: 'MIRROR',
      dryRun,
      target: this.target,
      counts: { ...this.tally.counts(), records: this.tally.records + (removals?.records ?? 0) },
      ...frame.reportParts(this.plan),
      requests: options.audienceColumn === undefined ? frame.client!.stats : { requests: this.sends.requests, retries: 0, rateLimited: 0 },
      runId: this.journal.runId,
      end,
      outcome,
      falseDuplicateProbability: 0,
    });
    // A dry run added and removed nothing: what it would do is toAdd, toRemove and wouldSend.
    report.added = dryRun ? 0 : this.tally.records + (sent?.earlier.added ?? 0);
    report.removed = dryRun ? 0 : (removals?.records ?? 0) + (sent?.earlier.removed ?? 0);
    report.toAdd = counts.added;
    report.toRemove = counts.removed;
    report.unchanged = this.unchangedRows;
    report.removeErrored = removals?.errored ?? 0;
    report.removePending = removals ? removals.pending : dryRun ? 0 : counts.removed;
    report.snapshotSize = counts.snapshotSize;
    report.firstSync = !counts.hasSnapshot;
    if (dryRun) {
      // A batch takes batchSize records, or batchSize records_v2 rows.
      const batches = (units: number) => Math.ceil(units / this.sync.settings.batchSize);
      const adds = this.plan?.recordsV2 ? counts.addedRows : counts.added;
      report.wouldSend = { requests: batches(adds) + batches(counts.removedRows), records: counts.added + counts.removed };
    }
    if (this.target.toCreate || this.target.waitingList) report.createdAudience = this.target.audienceId !== undefined;
    if (!dryRun) Object.assign(report, audiencePendingKeys(this.target));
    return report;
  }
}

/** While the diff is sent: rows to add and records to remove that are done, of all there are to send. */
function diffSent(tally: Tally, removals: Tally, counts: DiffCounts): ProgressSource {
  const toSend = Math.max(1, counts.addedRows + counts.removed);
  const done = () => counts.addedRows - tally.pending + (removals.entered - removals.pending);
  return { tally, share: () => Math.min(1, done() / toSend), rate: { rows: done, label: 'done' } };
}
