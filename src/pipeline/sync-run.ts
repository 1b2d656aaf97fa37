// One sync end to end: stage the identified rows in SQLite (identified-rows.ts), diff them against
// the last snapshot of the list, guard against mass removals, send the ADDs then the REMOVEs as rows
// sent (sent-rows.ts) with a durable journal, and replace the snapshot only once Pinterest
// acknowledged everything. Loaded lazily by src/commands/sync.ts.
import { setMaxListeners } from 'node:events';
import type { Context } from '../context.js';
import { ExitCode, UsageError } from '../errors.js';
import type { PinterestClient } from '../pinterest/client.js';
import { columnNames, type ColumnPlan } from './columns.js';
import type { DigestSet } from './dedupe.js';
import { MappingGuard } from './guard.js';
import { IdentifiedRows } from './identified-rows.js';
import { Verdict } from './identify.js';
import type { PushJournal } from './journal.js';
import { exitCodeOf, outcomeName, type RunEnd, type StopReason } from './outcome.js';
import type { SyncOptions } from './run-options.js';
import { MAX_BATCH_SIZE, runSettings, type RunSettings } from './settings.js';
import { SentRows } from './sent-rows.js';
import { openInput, type InputSource } from './source.js';
import { Tally } from './tally.js';
import type { UploadTarget } from './upload.js';
import { bytesRead, progressInterval, startProgress, type Progress, type ProgressSource } from '../report/progress.js';
import { RejectsFile } from '../report/rejects.js';
import { buildRunReport, writeReportFile, type RunReport } from '../report/run-report.js';
import { formatSummary } from '../report/summary.js';
import { startRunJournal, type DurableRunJournal } from '../state/journal.js';
import { audiencePendingKeys, audiencePendingNote, customerListTarget, resolveAudienceTarget, settleAudience, type AudienceTarget } from './audience-target.js';
import { acquireRunLock, type RunLock } from '../state/run-lock.js';
import { listKey, type DiffCounts, type MirrorDiff } from '../state/snapshot.js';
import { openStateStore, type StateStore } from '../state/store.js';

const IN_FLIGHT_GRACE_MS = 30_000;
const MAX_IN_FLIGHT = 32;

interface Settings extends RunSettings {
  maxInFlight: number;
}

interface Staged {
  plan: ColumnPlan | undefined;
  /** Rows with at least one record not seen earlier in the file (pending until sent or found unchanged). */
  newRows: number;
  /** The last input line read: REMOVE records are numbered after it in the journal. */
  lastLine: number;
  interrupted: boolean;
}

interface Sent extends RunEnd {
  removals: Tally;
}

export async function runSync(ctx: Context, options: SyncOptions, input: string): Promise<number> {
  const settings = checkOptions(options);
  const startedAt = ctx.now();
  const source = await openInput(input, ctx.stdin, options.format);
  const { connectClient } = await import('../connect.js');
  // Ctrl-C stops the reading and sending loops at once (ctx.signal) but lets requests in flight finish,
  // so their acknowledgements reach the journal; they are cut off only after a grace period.
  const requestSignal = abortLater(ctx.signal, IN_FLIGHT_GRACE_MS);
  const client = await connectClient({ ...ctx, signal: requestSignal }, { writeRate: settings.rate, retryFor: settings.retryForMs });
  let store: StateStore | undefined;
  let diff: MirrorDiff | undefined;
  let journal: DurableRunJournal | undefined;
  let rejects: RejectsFile | undefined;
  let progress: Progress | undefined;
  let lock: RunLock | undefined;
  try {
    store = await openStateStore(ctx.paths.stateFile);
    const target = await resolveAudienceTarget(ctx, client, options);
    const key = target.customerListId ? listKey(target.adAccountId, target.customerListId) : `new:${target.adAccountId}/${target.audienceName}`;
    // A dry run only reads the snapshot (in a transaction), so it may look while another sync runs.
    if (!options.dryRun) lock = await acquireRunLock(ctx.paths.stateDir, `mirror:${ctx.profile}:${target.adAccountId}:${target.audienceName}`, `syncing a file into audience "${target.audienceName}"`);
    const snapshot = store.snapshots.generation(key);
    diff = store.snapshots.startDiff(key);
    rejects = options.rejects ? new RejectsFile(options.rejects) : undefined;
    const tally = new Tally(rejects);
    const progressOptions = {
      stderr: ctx.stderr,
      isTTY: ctx.stderrIsTTY,
      enabled: options.progress !== false,
      intervalSeconds: progressInterval(ctx.env),
      now: ctx.now,
    };
    progress = await startProgress(bytesRead(tally, source), progressOptions);
    const staged = await stageInput(ctx, source, options, settings, tally, diff);
    progress.stop();
    const counts = diff.diff();
    staged.newRows = diff.newRows;
    for (let i = 0; i < diff.duplicateRows; i++) tally.rowDuplicate();
    const unchangedRows = staged.newRows - counts.addedRows;
    const settle = (ended: boolean) =>
      settleAudience(client, target, ended, { waitMs: options.audienceWait, stop: ctx.signal, now: ctx.now });
    const report = (sent: Sent | undefined, outcome: string): RunReport =>
      syncReport({ options, target, tally, counts, unchangedRows, sent, outcome, client, startedAt, finishedAt: ctx.now(), staged, source, journal });

    if (staged.interrupted) {
      ctx.info('Interrupted while reading: nothing was sent. Run the same command again to sync.');
      return finish(ctx, options, source, report(undefined, 'interrupted'), ExitCode.interrupted);
    }
    describeDiff(ctx, target, counts);
    if (options.dryRun) {
      tally.rowsSynced(tally.pending, 0);
      return finish(ctx, options, source, report(undefined, 'dry_run'), ExitCode.ok);
    }
    await confirmRemovals(ctx, options, target, counts);
    if (target.toCreate && counts.added === 0) {
      throw new UsageError(`Audience "${target.audienceName}" does not exist and the file has no usable identifier to create it with.`);
    }

    journal = await startRunJournal(
      ctx,
      {
        command: 'sync',
        operation: 'MIRROR',
        input,
        restart: options.restart,
        retryForMs: settings.retryForMs,
        requestShape: {
          audience: options.audience.trim(),
          adAccount: target.adAccountId,
          columns: { email: options.emailColumn, maid: options.maidColumn, idfa: options.idfaColumn },
          format: options.format,
          delimiter: settings.delimiter,
          snapshot: snapshot?.generation ?? 0,
        },
      },
      store,
    );
    journal.describeTarget(target);
    tally.rowsSynced(unchangedRows, 0); // already in the audience since the last sync
    if (counts.added === 0 && counts.removed === 0) {
      diff.commitSnapshot(journal.runId, ctx.now(), key);
      await settle(true);
      const final = report(undefined, 'completed');
      journal.finish(final, ExitCode.ok);
      if (final.audiencePending) ctx.info(audiencePendingNote(target)!);
      return finish(ctx, options, source, final, ExitCode.ok);
    }
    const removals = new Tally();
    progress = await startProgress(diffSent(tally, removals, counts), progressOptions);
    const sent = await sendDiff(ctx, client, target, staged, settings, diff, tally, removals, journal);
    progress.stop();
    await settle(sent.stop === 'end');
    const exitCode = exitCodeOf(sent, tally.errored + sent.removals.errored);
    const final = report(sent, outcomeName(sent));
    if (exitCode === ExitCode.ok) {
      diff.commitSnapshot(journal.runId, ctx.now(), listKey(target.adAccountId, target.customerListId!));
    }
    journal.finish(final, exitCode);
    tellWhyItStopped(ctx, sent, final, journal);
    if (final.audiencePending) ctx.info(audiencePendingNote(target)!);
    return finish(ctx, options, source, final, exitCode);
  } finally {
    progress?.stop();
    rejects?.close();
    source.close();
    diff?.dispose();
    journal?.close();
    store?.close();
    lock?.release();
    await client.close();
  }
}

function abortLater(signal: AbortSignal, delayMs: number): AbortSignal {
  const later = new AbortController();
  setMaxListeners(0, later.signal); // one listener per request in flight: not a leak
  signal.addEventListener('abort', () => setTimeout(() => later.abort(signal.reason), delayMs).unref(), { once: true });
  return later.signal;
}

function checkOptions(options: SyncOptions): Settings {
  const settings = runSettings(options);
  return {
    ...settings,
    // Enough to keep the rate busy at ~2 s latency; capped so a first sync of millions at a high
    // --rate does not hold hundreds of batches (and their records) in memory at once.
    maxInFlight: Math.min(MAX_IN_FLIGHT, Math.max(4, Math.ceil(settings.rate * 2))),
  };
}

/** Duplicates are found by the staging table's primary key, not in memory: this set keeps nothing. */
const keepEveryRecord = { add: () => true } as unknown as DigestSet;

/** Rows identified (source → columns → normalise → hash), then into the staging table (which also deduplicates). */
async function stageInput(
  ctx: Context,
  source: InputSource,
  options: SyncOptions,
  settings: Settings,
  tally: Tally,
  diff: MirrorDiff,
): Promise<Staged> {
  const guard = new MappingGuard(Boolean(options.force));
  const staged: Staged = { plan: undefined, newRows: 0, lastLine: 1, interrupted: false };
  const { emailColumn, maidColumn, idfaColumn } = options;
  const rows = new IdentifiedRows(
    { source, delimiter: settings.delimiter, emailColumn, maidColumn, idfaColumn, seen: keepEveryRecord, signal: ctx.signal },
    {
      planned: (plan) => (staged.plan = plan),
      identified(line, verdict, row) {
        staged.lastLine = line;
        tally.rowEntered();
        if (guard.count(verdict !== Verdict.NotSynced)) guard.decide(staged.plan);
        if (verdict === Verdict.NotSynced) tally.rowNotSynced(line, row.reason);
        else diff.stageRow(line, row.records, row.count); // new or duplicate: settled by the diff
      },
    },
  );
  staged.interrupted = (await rows.readAll()) === 'interrupted';
  if (!staged.interrupted) guard.decide(staged.plan);
  return staged;
}

function describeDiff(ctx: Context, target: AudienceTarget, counts: DiffCounts): void {
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
  const addTarget = customerListTarget(client, target, { operation: 'ADD', listType, stop: ctx.signal, now: ctx.now });
  const adds = await sendPhase(ctx, addTarget, diff.addedRows(), settings, tally, journal);
  if (adds.stop !== 'end') return { ...adds, removals };
  // REMOVE records have no input line: the journal numbers them after the last line, in a stable order.
  let pseudoLine = staged.lastLine;
  const removalRows = (function* () {
    for (const record of diff.removedRecords()) {
      removals.rowEntered();
      yield { line: ++pseudoLine, records: [record] };
    }
  })();
  const removes = await sendPhase(ctx, customerListTarget(client, target, { operation: 'REMOVE', listType }), removalRows, settings, removals, journal);
  return { ...removes, removals };
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
): Promise<RunEnd> {
  const sent = new SentRows({ ...settings, target, tally, journal, signal: ctx.signal, now: ctx.now });
  let stop: StopReason = 'end';
  for (const row of rows) {
    stop = sent.stopReason() ?? 'end';
    if (stop !== 'end') break;
    sent.send(row.line, row.records, row.records.length);
    await sent.room();
  }
  return sent.finish(stop);
}

interface ReportInput {
  options: SyncOptions;
  target: AudienceTarget;
  tally: Tally;
  counts: DiffCounts;
  unchangedRows: number;
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
 * audience). `added` and `removed` count identifiers (records) in the diff; `removeErrored` and
 * `removePending` say how many of the removals did not get through.
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
    falseDuplicateProbability: 0,
  });
  report.added = counts.added;
  report.removed = counts.removed;
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
  return report;
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

function finish(ctx: Context, options: SyncOptions, source: InputSource, report: RunReport, exitCode: number): number {
  ctx.stderr.write(formatSummary(report, source.name));
  const n = (value: unknown) => Number(value).toLocaleString('en-US');
  ctx.stderr.write(
    `  Mirror: ${n(report.added)} added, ${n(report.removed)} removed, ${n(report.unchanged)} rows unchanged${report.firstSync ? ' (first sync: nothing to remove)' : ''}.\n`,
  );
  if (options.report) writeReportFile(options.report, report);
  if (options.json) ctx.stdout.write(JSON.stringify(report, null, 2) + '\n');
  return exitCode;
}
