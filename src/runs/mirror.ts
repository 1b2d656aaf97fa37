// Mirroring one audience to its staged rows (a sync, or one audience of a --audience-column sync):
// diff the staged rows against the last snapshot of the list, guard against mass removals, send the
// ADDs then the REMOVEs as rows sent (sent-rows.ts) with a durable journal, and replace the snapshot
// only once Pinterest acknowledged everything.
import type { Context } from '../context.js';
import { ExitCode, UsageError } from '../errors.js';
import type { PinterestClient } from '../pinterest/client.js';
import { columnNames, type ColumnPlan } from '../input/columns.js';
import { exclusionShape } from '../identify/exclusions.js';
import { MappingGuard } from '../send/guard.js';
import type { IdentifiedRowSink } from '../identify/identified-rows.js';
import { hadValidIdentifier, Verdict } from '../identify/identify.js';
import type { PushJournal } from '../send/journal.js';
import { exitCodeOf, outcomeName, stoppedBy, type RunEnd, type StopReason } from '../send/outcome.js';
import type { SyncOptions } from './options.js';
import { MAX_BATCH_SIZE, runSettings, type RunSettings } from './settings.js';
import { SentRows } from '../send/sent-rows.js';
import { requestSignal } from '../send/stop-signal.js';
import type { InputSource } from '../input/source.js';
import { Tally } from '../send/tally.js';
import type { UploadTarget } from '../send/upload.js';
import { startProgress, type Progress, type ProgressOptions, type ProgressSource } from '../report/progress.js';
import { buildRunReport, type RunReport } from '../report/run-report.js';
import { addLimitKeys } from '../report/limits.js';
import { startRunJournal, type DurableRunJournal } from '../state/journal.js';
import { audiencePendingKeys, audiencePendingNote, customerListTarget, resolveAudienceTarget, settleAudience, type AudienceTarget } from '../audiences/target.js';
import { acquireRunLock, type RunLock } from '../state/run-lock.js';
import { listKey, type DiffCounts, type MirrorDiff } from '../state/snapshot.js';
import type { StateStore } from '../state/store.js';

const MAX_IN_FLIGHT = 32;

export interface Settings extends RunSettings {
  maxInFlight: number;
}

export interface Staged {
  plan: ColumnPlan | undefined;
  /** Rows with at least one record not seen earlier in the file (pending until sent or found unchanged). */
  newRows: number;
  /** The last input line read: REMOVE records are numbered after it in the journal. */
  lastLine: number;
  interrupted: boolean;
}

export interface Sent extends RunEnd {
  removals: Tally;
  /** Records acknowledged in an earlier attempt of this run (a resumed sync skips them): ADDs, REMOVEs. */
  earlier: { added: number; removed: number };
}

interface PhaseEnd extends RunEnd {
  recordsDeliveredEarlier: number;
}

/** One audience's staged input, ready to be diffed and mirrored (a sync, or one audience of a fan-out). */
export interface MirrorInput {
  ctx: Context;
  client: PinterestClient;
  store: StateStore;
  options: SyncOptions;
  input: string;
  settings: Settings;
  target: AudienceTarget;
  /** The snapshot's list key. */
  key: string;
  snapshot: { generation: number } | undefined;
  diff: MirrorDiff;
  staged: Staged;
  tally: Tally;
  counts: DiffCounts;
  unchangedRows: number;
  startedAt: number;
  source: InputSource;
  progressOptions: ProgressOptions;
  /** The audience as asked for (--audience, or the --audience-column value): part of the journal's key. */
  audience: string;
}

/** After staging: the diff, and the staged rows counted as duplicates (settled by the staging table). */
export function settleStaged(diff: MirrorDiff, staged: Staged, tally: Tally): { counts: DiffCounts; unchangedRows: number } {
  const counts = diff.diff();
  staged.newRows = diff.newRows;
  for (let i = 0; i < diff.duplicateRows; i++) tally.rowDuplicate();
  return { counts, unchangedRows: staged.newRows - counts.addedRows };
}

/** What must hold before anything is sent: removals within --max-remove, something to create an audience with. */
export async function checkBeforeSending(ctx: Context, options: SyncOptions, target: AudienceTarget, counts: DiffCounts): Promise<void> {
  await confirmRemovals(ctx, options, target, counts);
  if (target.toCreate && counts.added === 0) {
    throw new UsageError(`Audience "${target.audienceName}" does not exist and the file has no usable identifier to create it with.`);
  }
}

export const COMPLETED: RunEnd = { stop: 'end', fatal: undefined };
export const INTERRUPTED: RunEnd = { stop: 'interrupted', fatal: undefined };
/** The input's producer failed (`pinsync run`'s command job): stoppedBy "input", nothing sent. */
export const INPUT_INCOMPLETE: RunEnd = { stop: 'input', fatal: undefined };

/** `end` says how the run ended (src/pipeline/outcome.ts); `outcome` overrides its name ('dry_run'). */
export function mirrorReport(m: MirrorInput, end: RunEnd, sent: Sent | undefined, journal: DurableRunJournal | undefined, outcome = outcomeName(end)): RunReport {
  const { options, target, tally, counts, unchangedRows, client, startedAt, staged, source } = m;
  return syncReport({ options, target, tally, counts, unchangedRows, end, sent, outcome, client, startedAt, finishedAt: m.ctx.now(), staged, source, journal });
}

/** Sends one audience's diff with its own journal; the snapshot is replaced only when all got through. */
export async function mirrorAudience(m: MirrorInput): Promise<{ report: RunReport; exitCode: number }> {
  const { ctx, client, store, options, input, settings, target, key, snapshot, diff, staged, tally, counts, unchangedRows } = m;
  if (options.dryRun) {
    tally.rowsSynced(tally.pending, 0);
    return { report: mirrorReport(m, COMPLETED, undefined, undefined, 'dry_run'), exitCode: ExitCode.ok };
  }
  let journal: DurableRunJournal | undefined;
  let progress: Progress | undefined;
  try {
    journal = await startRunJournal(
      ctx,
      {
        command: 'sync',
        operation: 'MIRROR',
        input,
        restart: options.restart,
        retryForMs: settings.retryForMs,
        requestShape: {
          audience: m.audience,
          ...(options.audienceColumn ? { audienceColumn: options.audienceColumn.trim() } : {}),
          adAccount: target.adAccountId,
          columns: { email: options.emailColumn, maid: options.maidColumn, idfa: options.idfaColumn },
          format: options.format,
          delimiter: settings.delimiter,
          snapshot: snapshot?.generation ?? 0,
          ...exclusionShape(options.exclude),
        },
      },
      store,
    );
    journal.describeTarget(target);
    tally.rowsSynced(unchangedRows, 0); // already in the audience since the last sync
    const settle = (ended: boolean) =>
      settleAudience(client, target, ended, { waitMs: options.audienceWait, stop: ctx.signal, now: ctx.now, tell: ctx.info });
    if (counts.added === 0 && counts.removed === 0) {
      diff.commitSnapshot(journal.runId, ctx.now(), key);
      await settle(true); // a waiting list the last run filled may be ready now
      const final = mirrorReport(m, COMPLETED, undefined, journal);
      journal.finish(final, ExitCode.ok);
      if (final.audiencePending) ctx.info(audiencePendingNote(target)!);
      return { report: final, exitCode: ExitCode.ok };
    }
    const removals = new Tally();
    progress = await startProgress(diffSent(tally, removals, counts), m.progressOptions);
    const sent = await sendDiff(ctx, client, target, staged, settings, diff, tally, removals, journal);
    progress.stop();
    await settle(sent.stop === 'end');
    const exitCode = exitCodeOf(sent, tally.errored + sent.removals.errored);
    const final = mirrorReport(m, sent, sent, journal);
    if (exitCode === ExitCode.ok) {
      diff.commitSnapshot(journal.runId, ctx.now(), listKey(target.adAccountId, target.customerListId!));
    }
    journal.finish(final, exitCode);
    tellWhyItStopped(ctx, sent, final, journal);
    if (final.audiencePending) ctx.info(audiencePendingNote(target)!);
    return { report: final, exitCode };
  } finally {
    progress?.stop();
    journal?.close();
  }
}

export interface AudienceMirror {
  target: AudienceTarget;
  key: string;
  lock: RunLock | undefined;
  snapshot: { generation: number } | undefined;
  diff: MirrorDiff;
}

/** The audience resolved, its mirror lock taken (not for a dry run) and a diff against its snapshot started. */
export async function openAudienceMirror(ctx: Context, client: PinterestClient, store: StateStore, options: SyncOptions, audience: string): Promise<AudienceMirror> {
  const target = await resolveAudienceTarget(ctx, client, { ...options, audience });
  const key = target.customerListId ? listKey(target.adAccountId, target.customerListId) : `new:${target.adAccountId}/${target.audienceName}`;
  // A dry run only reads the snapshot (in a transaction), so it may look while another sync runs.
  const lock = options.dryRun
    ? undefined
    : await acquireRunLock(ctx.paths.stateDir, `mirror:${ctx.profile}:${target.adAccountId}:${target.audienceName}`, `syncing a file into audience "${target.audienceName}"`);
  return { target, key, lock, snapshot: store.snapshots.generation(key), diff: store.snapshots.startDiff(key) };
}

export function checkOptions(options: SyncOptions): Settings {
  const settings = runSettings(options);
  return {
    ...settings,
    // Enough to keep the rate busy at ~2 s latency; capped so a first sync of millions at a high
    // --rate does not hold hundreds of batches (and their records) in memory at once.
    maxInFlight: Math.min(MAX_IN_FLIGHT, Math.max(4, Math.ceil(settings.rate * 2))),
  };
}

/** Nothing is sent before the whole file is staged, so the guard judges every row; --force lifts only --max-remove. */
export function syncGuard(options: SyncOptions): MappingGuard {
  return new MappingGuard(Boolean(options.allowMissingIdentifiers), { liftFlag: '--allow-missing-identifiers', verb: 'sync', window: Infinity });
}

/** Counts each row and stages its records (new or duplicate: settled by the diff); the guard judges the first rows. */
export function stagingSink(staged: Staged, tally: Tally, guard: MappingGuard, diff: MirrorDiff): Pick<IdentifiedRowSink, 'identified'> {
  return {
    identified(line, verdict, row) {
      staged.lastLine = line;
      tally.rowEntered();
      if (guard.count(hadValidIdentifier(verdict, row.reason))) guard.decide(staged.plan);
      if (verdict === Verdict.NotSynced) tally.rowNotSynced(line, row.reason);
      else diff.stageRow(line, row.records, row.count);
    },
  };
}

export function describeDiff(ctx: Context, target: AudienceTarget, counts: DiffCounts): void {
  const n = (value: number) => value.toLocaleString('en-US');
  const name = `"${target.audienceName}"`;
  if (!counts.hasSnapshot) {
    ctx.info(
      `First sync of audience ${name}: adding all ${n(counts.added)} identifiers; nothing is removed this time (pinsync does not know who was added by other means).`,
    );
    return;
  }
  ctx.info(
    `Audience ${name}: ${n(counts.added)} identifiers to add, ${n(counts.removed)} to remove, ${n(counts.inputSize - counts.added)} unchanged since the last sync.`,
  );
}

/** A sync that would empty much of the audience is more likely a wrong file than a wish. */
async function confirmRemovals(ctx: Context, options: SyncOptions, target: AudienceTarget, counts: DiffCounts): Promise<void> {
  if (!counts.hasSnapshot || counts.removed === 0 || options.force) return;
  const share = (counts.removed / Math.max(1, counts.snapshotSize)) * 100;
  if (share <= options.maxRemove) return;
  const what = `This sync would remove ${counts.removed.toLocaleString('en-US')} of the ${counts.snapshotSize.toLocaleString('en-US')} identifiers last synced to audience "${target.audienceName}" (${share.toFixed(1)}%), more than --max-remove ${options.maxRemove}%`;
  if (ctx.canPrompt) {
    const go = await ctx.prompter.confirm(`${what}. Go ahead?`, false);
    if (go) return;
    throw new UsageError('Stopped before sending anything: the audience is unchanged.');
  }
  throw new UsageError(`${what}: nothing was sent. Check the file, or pass --force (or a higher --max-remove) to go ahead.`);
}

/** ADD the new rows, then REMOVE the gone records, through the pipeline's batcher and uploader. */
async function sendDiff(
  ctx: Context,
  client: PinterestClient,
  target: AudienceTarget,
  staged: Staged,
  settings: Settings,
  diff: MirrorDiff,
  tally: Tally,
  removals: Tally,
  journal: PushJournal,
): Promise<Sent> {
  const listType = staged.plan?.listType ?? 'EMAIL';
  // A write on its way when the run is stopped gets a short grace to be acknowledged.
  const signal = requestSignal(ctx.signal);
  const adds = await sendPhase(ctx, customerListTarget(client, target, { operation: 'ADD', listType, signal, stop: ctx.signal, now: ctx.now }), diff.addedRows(), settings, tally, journal);
  const earlier = { added: adds.recordsDeliveredEarlier, removed: 0 };
  if (adds.stop !== 'end') return { ...adds, removals, earlier };
  // REMOVE records have no input line: the journal numbers them after the last line, in a stable order.
  let pseudoLine = staged.lastLine;
  const removalRows = (function* () {
    for (const record of diff.removedRecords()) {
      removals.rowEntered();
      yield { line: ++pseudoLine, records: [record] };
    }
  })();
  const removes = await sendPhase(ctx, customerListTarget(client, target, { operation: 'REMOVE', listType, signal }), removalRows, settings, removals, journal);
  earlier.removed = removes.recordsDeliveredEarlier;
  return { ...removes, removals, earlier };
}

/** While the diff is sent: rows to add and records to remove that are done, of all there are to send. */
function diffSent(tally: Tally, removals: Tally, counts: DiffCounts): ProgressSource {
  const toSend = Math.max(1, counts.addedRows + counts.removed);
  const done = () => counts.addedRows - tally.pending + (removals.entered - removals.pending);
  return { tally, share: () => Math.min(1, done() / toSend), rate: { rows: done, label: 'done' } };
}

/** Rows sent (batch → upload → tally) for one operation of the diff; the guard judged the rows when staged. */
async function sendPhase(
  ctx: Context,
  target: UploadTarget,
  rows: Iterable<{ line: number; records: string[] }>,
  settings: Settings,
  tally: Tally,
  journal: PushJournal,
): Promise<PhaseEnd> {
  const sent = new SentRows({ ...settings, target, tally, journal, signal: ctx.signal, now: ctx.now });
  let stop: StopReason = 'end';
  for (const row of rows) {
    stop = sent.stopReason() ?? 'end';
    if (stop !== 'end') break;
    sent.send(row.line, row.records, row.records.length);
    await sent.room();
  }
  return { ...(await sent.finish(stop)), recordsDeliveredEarlier: sent.recordsDeliveredEarlier };
}

interface ReportInput {
  options: SyncOptions;
  target: AudienceTarget;
  tally: Tally;
  counts: DiffCounts;
  unchangedRows: number;
  end: RunEnd;
  sent: Sent | undefined;
  outcome: string;
  client: PinterestClient;
  startedAt: number;
  finishedAt: number;
  staged: Staged;
  source: InputSource;
  journal: DurableRunJournal | undefined;
}

/**
 * The push report with operation MIRROR. Rows: an unchanged row counts as synced (it is in the
 * audience). `added` and `removed` count the identifiers (records) Pinterest acknowledged for this
 * run, earlier attempts of a resumed run included (a dry run: those it would send); `toAdd` and
 * `toRemove` are the planned diff. `removeErrored` and `removePending` say how many of the removals
 * did not get through.
 */
function syncReport(input: ReportInput): RunReport {
  const { tally, counts, sent, options, staged } = input;
  const removals = sent?.removals.counts();
  const report = buildRunReport({
    command: 'sync',
    operation: 'MIRROR',
    dryRun: Boolean(options.dryRun),
    target: input.target,
    counts: { ...tally.counts(), records: tally.records + (removals?.records ?? 0) },
    client: input.client.stats,
    startedAt: input.startedAt,
    finishedAt: input.finishedAt,
    listType: staged.plan?.listType,
    runId: input.journal?.runId,
    input: input.source.name,
    columns: columnNames(staged.plan),
    outcome: input.outcome,
    stoppedBy: stoppedBy(input.end),
    falseDuplicateProbability: 0,
  });
  report.added = options.dryRun ? counts.added : tally.records + (sent?.earlier.added ?? 0);
  report.removed = options.dryRun ? counts.removed : (removals?.records ?? 0) + (sent?.earlier.removed ?? 0);
  report.toAdd = counts.added;
  report.toRemove = counts.removed;
  report.unchanged = input.unchangedRows;
  report.removeErrored = removals?.errored ?? 0;
  report.removePending = removals ? removals.pending : options.dryRun ? 0 : counts.removed;
  report.snapshotSize = counts.snapshotSize;
  report.firstSync = !counts.hasSnapshot;
  if (options.dryRun) {
    const batches = (records: number) => Math.ceil(records / (options.batchSize ?? MAX_BATCH_SIZE));
    report.wouldSend = { requests: batches(counts.added) + batches(counts.removed), records: counts.added + counts.removed };
  }
  if (input.target.toCreate || input.target.waitingList) report.createdAudience = input.target.audienceId !== undefined;
  if (!options.dryRun) Object.assign(report, audiencePendingKeys(input.target));
  return addLimitKeys(report, input.client, sent?.fatal);
}

function tellWhyItStopped(ctx: Context, sent: Sent, report: RunReport, journal: DurableRunJournal): void {
  if (sent.stop === 'fatal') {
    const message = sent.fatal instanceof Error ? sent.fatal.message : String(sent.fatal);
    ctx.info(`pinsync: stopped: ${message}`);
    ctx.info(`Once fixed, ${lowerFirst(journal.resumeHint())}`);
  } else if (sent.stop === 'interrupted') {
    ctx.info(`Interrupted: ${lowerFirst(journal.resumeHint())} The snapshot is replaced only when a sync completes.`);
  } else if (report.errored > 0 || sent.removals.errored > 0) {
    ctx.info(
      `${report.errored.toLocaleString('en-US')} rows and ${sent.removals.errored.toLocaleString('en-US')} removals could not be delivered; ${lowerFirst(journal.resumeHint())}`,
    );
  }
}

function lowerFirst(text: string): string {
  return text.charAt(0).toLowerCase() + text.slice(1);
}
