// One push run end to end: open the input, resolve the audience (or plan its creation), stream the
// rows through the pipeline to Pinterest, then report and pick the exit code. Loaded lazily by
// src/commands/push.ts and src/commands/audiences.ts (create --from).
import { setMaxListeners } from 'node:events';
import { availableParallelism } from 'node:os';
import type { Context } from '../context.js';
import { ExitCode, PinsyncError, UsageError } from '../errors.js';
import { progressInterval, rowsDone, startProgress, type Progress } from '../report/progress.js';
import { RejectsFile } from '../report/rejects.js';
import { buildRunReport, publishReport, type Operation, type RunReport } from '../report/run-report.js';
import { formatSummary } from '../report/summary.js';
import { addLimitKeys } from '../report/limits.js';
import { columnNames, type ColumnPlan } from '../input/columns.js';
import { noopJournal, type PushJournal } from '../send/journal.js';
import { exitCodeOf, outcomeName, stoppedBy, type RunEnd } from '../send/outcome.js';
import { runPipeline, type PipelineOutcome } from './push-pipeline.js';
import type { InputSource } from '../input/source.js';
import { initialBytes } from '../identify/dedupe.js';
import { exclusionsReady } from '../identify/exclusions.js';
import type { PushHooks, PushOptions } from './options.js';
import { runSettings, type RunSettings } from './settings.js';
import { Tally } from '../send/tally.js';
import type { UploadTarget } from '../send/upload.js';
import { connectUnlessLocalDryRun, pushRequestShape, resolvePushTarget, uploadTarget, type PushTarget } from './push-target.js';
import { audiencePendingKeys, audiencePendingNote, settleAudience, type AudienceTarget } from '../audiences/target.js';
import { openRunInputs } from './inputs.js';

export async function runPush(ctx: Context, options: PushOptions, input: string, hooks: PushHooks = {}): Promise<number> {
  if (options.audienceColumn !== undefined) {
    const { runPushFanOut } = await import('./push-fan-out.js');
    return runPushFanOut(ctx, options, input, hooks);
  }
  const settings = checkOptions(options);
  // Every request in flight listens to the interrupt signal; dozens at once are expected here.
  setMaxListeners(Math.max(50, Math.ceil(settings.rate * 8)), ctx.signal);
  const operation: Operation = options.remove ? 'REMOVE' : 'ADD';
  const startedAt = ctx.now();
  const { source, loadingExclusions, client } = await openRunInputs(ctx, input, options, settings, () => connectUnlessLocalDryRun(ctx, options, settings));
  let journal: PushJournal = hooks.journal ?? noopJournal;
  let rejects: RejectsFile | undefined;
  let progress: Progress | undefined;
  try {
    const target = await resolvePushTarget(ctx, client, options, options.audience.trim());
    const exclusions = await exclusionsReady(loadingExclusions, (message) => ctx.info(message));
    if (!hooks.journal && !options.dryRun) journal = await openJournal(ctx, options, input, operation, settings);
    journal.describeTarget?.({
      adAccountId: target.adAccountId,
      audienceId: target.audienceId,
      audienceName: target.audienceName,
      customerListId: target.customerListId,
    });
    rejects = options.rejects ? new RejectsFile(options.rejects) : undefined;
    const tally = new Tally(rejects);
    const dryRunSends = { requests: 0, records: 0 };
    progress = await startProgress(
      rowsDone(tally, source),
      {
        stderr: ctx.stderr,
        isTTY: ctx.stderrIsTTY,
        enabled: options.progress !== false,
        intervalSeconds: progressInterval(ctx.env),
        now: ctx.now,
      },
    );
    let plan: ColumnPlan | undefined;
    let outcome: PipelineOutcome;
    // A capacity hint for the duplicate set: short identifier rows run about 32 bytes.
    const expectedRecords = source.totalBytes ? source.totalBytes / 32 : undefined;
    try {
      outcome = await runPipeline({
        source,
        delimiter: settings.delimiter,
        emailColumn: options.emailColumn,
        maidColumn: options.maidColumn,
        idfaColumn: options.idfaColumn,
        batchSize: settings.batchSize,
        flushIntervalMs: settings.flushIntervalMs,
        force: Boolean(options.force || options.allowMissingIdentifiers),
        tally,
        journal,
        targetFor: (columns) => {
          plan = columns;
          if (options.dryRun || !client) return dryRunTarget(dryRunSends);
          return uploadTarget(client, target, operation, columns, ctx.signal, options.description);
        },
        maxInFlight: Math.max(4, Math.ceil(settings.rate * 2)),
        retryForMs: settings.retryForMs,
        signal: ctx.signal,
        now: ctx.now,
        expectedRecords,
        hashOnWorker: hashOnWorker(ctx, source, expectedRecords, exclusions.bytes),
        exclusions,
      });
    } catch (error) {
      progress.stop();
      target.pendingAudience?.abandon();
      const report = finalReport({ stop: 'fatal', fatal: error });
      journal.finish(report, error instanceof PinsyncError ? error.exitCode : ExitCode.internal);
      throw error;
    }
    progress.stop();
    if (client && !options.dryRun) {
      await settleAudience(client, target as AudienceTarget, outcome.stop === 'end', {
        waitMs: options.audienceWait,
        description: options.description,
        stop: ctx.signal,
        now: ctx.now,
        tell: ctx.info,
      });
    }
    const report = finalReport(outcome);
    const exitCode = exitCodeOf(outcome, report.errored);
    journal.finish(report, exitCode);
    tellTheUser(ctx, options, source, report, outcome, journal, target);
    publishReport(report, { ...options, stdout: ctx.stdout }, rejects);
    return exitCode;

    function finalReport(result: RunEnd & Partial<PipelineOutcome>): RunReport {
      const report = buildRunReport({
        command: hooks.command ?? 'push',
        operation,
        dryRun: Boolean(options.dryRun),
        target,
        counts: tally.counts(),
        client: client?.stats ?? { requests: 0, retries: 0, rateLimited: 0 },
        startedAt,
        finishedAt: ctx.now(),
        listType: plan?.listType,
        runId: journal.runId,
        input: source.name,
        columns: columnNames(plan),
        outcome: outcomeName(result),
        stoppedBy: stoppedBy(result),
        falseDuplicateProbability: result.falseDuplicateProbability ?? 0,
      });
      if (options.dryRun) report.wouldSend = { ...dryRunSends };
      if (target.toCreate || target.waitingList) report.createdAudience = !options.dryRun && target.audienceId !== undefined;
      if (!options.dryRun) Object.assign(report, audiencePendingKeys(target as AudienceTarget));
      return addLimitKeys(report, client, result?.fatal);
    }
  } finally {
    progress?.stop();
    rejects?.close();
    source.close();
    journal.close?.();
    await client?.close();
  }
}

function checkOptions(options: PushOptions): RunSettings {
  const settings = runSettings(options);
  if (options.create && options.remove) throw new UsageError('--create and --remove do not go together: there is nothing to remove from a new audience.');
  return settings;
}

/**
 * Big files hash on a worker thread (about 1.7× the rows/s on two cores); small or streamed input
 * stays on one thread (lower latency). The worker costs ~70 MB, so a file whose duplicate set (plus
 * the --exclude set) needs 128 MB (~10M identifiers and up) stays on one thread to keep the peak near 250 MB.
 */
function hashOnWorker(ctx: Context, source: InputSource, expectedRecords: number | undefined, exclusionBytes = 0): boolean {
  const forced = ctx.env.PINSYNC_HASH_WORKER;
  if (forced !== undefined) return forced === '1';
  const bigFile = !source.isStdin && (source.totalBytes ?? 0) >= 8 * 2 ** 20;
  const tableBytes = initialBytes(expectedRecords ?? 0) + exclusionBytes;
  return bigFile && tableBytes < 100 * 2 ** 20 && availableParallelism() > 1;
}

async function openJournal(ctx: Context, options: PushOptions, input: string, operation: Operation, settings: RunSettings): Promise<PushJournal> {
  try {
    const { startRunJournal } = await import('../state/journal.js');
    return await startRunJournal(ctx, {
      command: 'push',
      operation,
      input,
      restart: options.restart,
      retryForMs: settings.retryForMs,
      requestShape: pushRequestShape(options, settings, options.audience.trim(), options.adAccount ?? ctx.config.profile(ctx.profile).adAccountId ?? ''),
    });
  } catch (error) {
    if (error instanceof PinsyncError) throw error;
    ctx.warn(`Run history is not available (${(error as Error).message}); this run cannot be resumed.`);
    return noopJournal;
  }
}

function dryRunTarget(counter: { requests: number; records: number }): UploadTarget {
  return {
    send: async (records) => {
      counter.requests++;
      counter.records += records.length;
    },
  };
}

/** Summary on stderr, plus one sentence when the run stopped early. */
function tellTheUser(ctx: Context, options: PushOptions, source: InputSource, report: RunReport, outcome: PipelineOutcome, journal: PushJournal, target: PushTarget): void {
  const hint = journal.resumeHint?.();
  if (outcome.stop === 'input') {
    const message = outcome.fatal instanceof Error ? outcome.fatal.message : String(outcome.fatal);
    ctx.info(`pinsync: stopped by the input after ${report.synced.toLocaleString('en-US')} rows were sent to Pinterest: ${message}`);
  } else if (outcome.stop === 'fatal') {
    const message = outcome.fatal instanceof Error ? outcome.fatal.message : String(outcome.fatal);
    ctx.info(`pinsync: stopped: ${message}`);
  }
  ctx.stderr.write(formatSummary(report, source.name));
  if (report.audiencePending) ctx.info(audiencePendingNote(target as AudienceTarget)!);
  if (report.createdAudience === false && !report.dryRun && outcome.stop === 'end' && !report.customerListId) {
    ctx.info('No usable identifiers to send, so the audience was not created (Pinterest cannot create an empty customer list).');
  }
  if (outcome.stop === 'interrupted') {
    ctx.info(
      hint ??
        (source.isStdin
          ? 'Interrupted: standard input cannot be resumed; send the remaining users again (adding a user twice is harmless).'
          : 'Interrupted: run the same command again to send the rest (adding a user twice is harmless).'),
    );
  } else if (outcome.stop === 'input') {
    ctx.info(hint ? `Once the input is fixed, ${hint.charAt(0).toLowerCase()}${hint.slice(1)}` : 'Fix the input, then run the same command again (adding a user twice is harmless).');
  } else if (outcome.stop === 'fatal' && hint) {
    ctx.info(`Once fixed, ${hint.charAt(0).toLowerCase()}${hint.slice(1)}`);
  } else if (report.errored > 0) {
    ctx.info(
      `${report.errored.toLocaleString('en-US')} rows could not be delivered${options.rejects ? ` (lines in ${options.rejects})` : ' (pass --rejects FILE for their line numbers)'}${hint ? `; ${hint.charAt(0).toLowerCase()}${hint.slice(1)}` : '.'}`,
    );
  }
}
