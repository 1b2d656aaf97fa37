// One sync end to end: stage the identified rows in SQLite (identified-rows.ts), then mirror the
// audience to them (audience-mirror.ts: diff, guard, ADDs then REMOVEs, snapshot). With
// --audience-column the rows fan out to one mirror per audience (sync-fan-out.ts). Loaded lazily by
// src/commands/sync.ts and the jobs runner.
import type { Context } from '../context.js';
import { ExitCode } from '../errors.js';
import { keepEveryRecord } from '../identify/dedupe.js';
import { exclusionsReady, type Exclusions } from '../identify/exclusions.js';
import { IdentifiedRows } from '../identify/identified-rows.js';
import type { SyncHooks, SyncOptions } from './options.js';
import type { InputSource } from '../input/source.js';
import { Tally } from '../send/tally.js';
import { bytesRead, progressInterval, startProgress, type Progress } from '../report/progress.js';
import { RejectsFile } from '../report/rejects.js';
import { publishReport, type RunReport } from '../report/run-report.js';
import { formatSummary } from '../report/summary.js';
import type { RunLock } from '../state/run-lock.js';
import type { MirrorDiff } from '../state/snapshot.js';
import { openStateStore, type StateStore } from '../state/store.js';
import { openRunInputs } from './inputs.js';
import {
  checkBeforeSending,
  checkOptions,
  describeDiff,
  INPUT_INCOMPLETE,
  INTERRUPTED,
  mirrorAudience,
  mirrorReport,
  openAudienceMirror,
  settleStaged,
  stagingSink,
  syncGuard,
  type MirrorInput,
  type Settings,
  type Staged,
} from './mirror.js';

export async function runSync(ctx: Context, options: SyncOptions, input: string, hooks: SyncHooks = {}): Promise<number> {
  if (options.audienceColumn !== undefined) {
    const { runSyncFanOut } = await import('./sync-fan-out.js');
    return runSyncFanOut(ctx, options, input, hooks);
  }
  const settings = checkOptions(options);
  const startedAt = ctx.now();
  const { connectClient } = await import('../connect.js');
  const { source, loadingExclusions, client } = await openRunInputs(ctx, input, options, settings, () =>
    connectClient(ctx, { writeRate: settings.rate, retryFor: settings.retryForMs }),
  );
  let store: StateStore | undefined;
  let diff: MirrorDiff | undefined;
  let rejects: RejectsFile | undefined;
  let progress: Progress | undefined;
  let lock: RunLock | undefined;
  try {
    store = await openStateStore(ctx.paths.stateFile);
    const opened = await openAudienceMirror(ctx, client, store, options, options.audience);
    const exclusions = await exclusionsReady(loadingExclusions, (message) => ctx.info(message));
    const { target, key, snapshot } = opened;
    lock = opened.lock;
    diff = opened.diff;
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
    const staged = await stageInput(ctx, source, options, settings, tally, diff, exclusions);
    progress.stop();
    const { counts, unchangedRows } = settleStaged(diff, staged, tally);
    const mirror: MirrorInput = { ctx, client, store, options, input, settings, target, key, snapshot, diff, staged, tally, counts, unchangedRows, startedAt, source, progressOptions, audience: options.audience.trim() };
    if (staged.interrupted) {
      ctx.info('Interrupted while reading: nothing was sent. Run the same command again to sync.');
      return finish(ctx, options, source, mirrorReport(mirror, INTERRUPTED, undefined, undefined), ExitCode.interrupted, rejects);
    }
    // A truncated export would remove every user it missed: nothing is sent, the snapshot stays.
    if (!(await (hooks.inputComplete ?? true))) {
      ctx.info('The input ended early (its command failed): nothing was sent and the last snapshot is kept.');
      return finish(ctx, options, source, mirrorReport(mirror, INPUT_INCOMPLETE, undefined, undefined, 'input_incomplete'), ExitCode.usage, rejects);
    }
    describeDiff(ctx, target, counts);
    if (!options.dryRun) await checkBeforeSending(ctx, options, target, counts);
    const result = await mirrorAudience(mirror);
    return finish(ctx, options, source, result.report, result.exitCode, rejects);
  } finally {
    progress?.stop();
    rejects?.close();
    source.close();
    diff?.dispose();
    store?.close();
    lock?.release();
    await client.close();
  }
}

/** Rows identified (source → columns → normalise → hash), then into the staging table (which also deduplicates). */
async function stageInput(
  ctx: Context,
  source: InputSource,
  options: SyncOptions,
  settings: Settings,
  tally: Tally,
  diff: MirrorDiff,
  exclusions: Exclusions,
): Promise<Staged> {
  const guard = syncGuard(options);
  const staged: Staged = { plan: undefined, newRows: 0, lastLine: 1, interrupted: false };
  const { emailColumn, maidColumn, idfaColumn } = options;
  const rows = new IdentifiedRows(
    { source, delimiter: settings.delimiter, emailColumn, maidColumn, idfaColumn, seen: keepEveryRecord, exclusions, signal: ctx.signal },
    { planned: (plan) => (staged.plan = plan), ...stagingSink(staged, tally, guard, diff) },
  );
  staged.interrupted = (await rows.readAll()) === 'interrupted';
  if (!staged.interrupted) guard.decide(staged.plan);
  return staged;
}

function finish(ctx: Context, options: SyncOptions, source: InputSource, report: RunReport, exitCode: number, rejects: RejectsFile | undefined): number {
  ctx.stderr.write(formatSummary(report, source.name));
  const n = (value: unknown) => Number(value).toLocaleString('en-US');
  const ofPlanned = (done: unknown, planned: unknown) => (done === planned ? n(done) : `${n(done)} of ${n(planned)}`);
  ctx.stderr.write(
    `  Mirror: ${ofPlanned(report.added, report.toAdd)} added, ${ofPlanned(report.removed, report.toRemove)} removed, ${n(report.unchanged)} rows unchanged${report.firstSync ? ' (first sync: nothing to remove)' : ''}.\n`,
  );
  publishReport(report, { ...options, stdout: ctx.stdout }, rejects);
  return exitCode;
}
