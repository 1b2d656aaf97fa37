// `pinsync push`: one run for every shape. Plan: check the flags, open the frame (input, client, ad
// account, state) and the routes (one audience, or one per value of --audience-column). Send: read the
// input once, identify each row once, and let each audience's route deduplicate, batch and upload its
// rows through the one client (one write budget). Report: every audience's report, then the run's,
// built once. `audiences create --from` is a push too.
import { availableParallelism } from 'node:os';
import type { Context } from '../context.js';
import { AuthError, ExitCode, PinsyncError, UsageError } from '../errors.js';
import { customerListWriter, resolveAudienceTarget, settleAudience, audiencePendingKeys, audiencePendingNote, type AudienceTarget } from '../audiences/target.js';
import type { ColumnPlan } from '../input/columns.js';
import type { InputSource } from '../input/source.js';
import { DigestSet, initialBytes, keepEveryRecord } from '../identify/dedupe.js';
import { exclusionsReady } from '../identify/exclusions.js';
import { IdentifiedRows, type RowIdentity } from '../identify/identified-rows.js';
import { Verdict } from '../identify/identify.js';
import { addRowIdentifiers, isRowRecord } from '../identify/row-record.js';
import type { PinterestClient } from '../pinterest/client.js';
import { rowsDone, startProgress } from '../report/progress.js';
import { writeRunOutputs, type Operation, type RunReport, type RunResult } from '../report/run-report.js';
import { MappingGuard } from '../send/guard.js';
import { endAsOfNow, exitCodeOf, INTERRUPTED, isStopped, type RunEnd } from '../send/outcome.js';
import { SentRows } from '../send/sent-rows.js';
import { requestSignal } from '../send/stop-signal.js';
import { Tally, type RejectSink } from '../send/tally.js';
import { countingSends, type ListWriter, type SendCounts } from '../send/upload.js';
import type { SharedRunLock } from '../state/journal.js';
import { listKey } from '../state/snapshot.js';
import type { StateStore } from '../state/store.js';
import { clean } from '../report/table.js';
import { RunFrame } from './frame.js';
import { noRunJournal, openRunJournal, openSharedRunLock, resumeHint, type RunJournal } from './journal.js';
import type { PushHooks, PushOptions } from './options.js';
import { audienceReport, phoneCountryNotes, runReport, tellRunEnd, stopMessage, untilStopped, type AudienceEnd, type RunEndReport } from './report.js';
import { audienceKey, Routes, type Route } from './routes.js';
import { canReadTwice, segmentHint, segmentValuesOf, tellAudiencesToCreate } from './segment-values.js';
import { progressOptions, totalTally, busiest } from './progress.js';
import { pushSettings, routingOf, type RunSettings } from './settings.js';
import { MatchHealth } from './match-health.js';

/** Without credentials (a local dry run) the ad account may be unknown. */
type PushTarget = Omit<AudienceTarget, 'adAccountId'> & { adAccountId?: string };

type PushRoutes = Routes<PushTarget, PushRoute>;

/** What the routes of one push share. */
interface PushPlan {
  /** A fan-out's one lock for all its audiences' journals. */
  sharedLock?: SharedRunLock;
  ctx: Context;
  options: PushOptions;
  settings: RunSettings;
  input: string;
  operation: Operation;
  frame: RunFrame;
  /** Wakes the reader when a route must stop. */
  wake(): void;
}

/** One audience's rows: deduplicated within the audience (unless the reader did it for the only audience), then sent. */
class PushRoute implements Route {
  readonly tally: Tally;
  /** Requests and records this audience sent (or, in a dry run, would have). */
  readonly sends: SendCounts = { requests: 0 };
  sent!: SentRows;
  /** How Pinterest matched the list (durable runs that add): read before the first write, recorded in the history. */
  health?: MatchHealth;
  private readonly fresh: string[] = [];
  private readonly row = { records: this.fresh as readonly string[], count: 0, reason: 'missing_identifier' } as RowIdentity & { count: number };

  constructor(
    readonly audience: string,
    readonly target: PushTarget,
    readonly journal: RunJournal,
    /** The records sent so far: the route's own, or the reader's when every row comes here. */
    readonly seen: DigestSet,
    /** False when the reader deduplicated already (the only route of a plain push). */
    private readonly dedupes: boolean,
    rejects: RejectSink | undefined,
  ) {
    this.tally = new Tally(rejects);
  }

  planned(plan: ColumnPlan): void {
    this.sent.planned(plan);
  }

  identified(line: number, verdict: Verdict, row: RowIdentity): void {
    if (verdict !== Verdict.New || !this.dedupes) {
      this.sent.identified(line, verdict, row);
      return;
    }
    let count = 0;
    for (let i = 0; i < row.count; i++) if (isFreshIn(this.seen, row.records[i]!)) this.fresh[count++] = row.records[i]!;
    this.row.count = count;
    this.sent.identified(line, count === 0 ? Verdict.Duplicate : Verdict.New, this.row);
  }

  stopReason() {
    return this.sent.stopReason();
  }

  room() {
    return this.sent.room();
  }
}

/** A record not sent yet to this audience; a records_v2 row is, when one of its identifiers is (it goes whole). */
function isFreshIn(seen: DigestSet, record: string): boolean {
  return isRowRecord(record) ? addRowIdentifiers(seen, record) : seen.add(record);
}

export async function runPush(ctx: Context, options: PushOptions, input: string, hooks: PushHooks = {}): Promise<RunResult> {
  const settings = pushSettings(options);
  const routing = routingOf(options);
  const frame = await RunFrame.open(ctx, input, options, settings, { readsExclusions: !options.remove });
  const command = hooks.command ?? 'push';
  const operation: Operation = options.remove ? 'REMOVE' : 'ADD';
  // A removal reads no exclusion list, so the lists are no part of what it sends (its journal's key).
  const sending = options.remove ? { ...options, exclude: undefined } : options;
  const plan: PushPlan = { ctx, options: sending, settings, input, operation, frame, wake: () => rows?.wake() };
  // A plain push deduplicates in the reader (one set for the run); a fan-out per audience.
  const expectedRecords = frame.source.totalBytes ? frame.source.totalBytes / 32 : undefined;
  const onlySeen = routing.audience !== undefined ? new DigestSet(expectedRecords) : undefined;
  // A push sends while it reads: with --create, a file's values are all looked up first, so that more
  // new audiences than --max-new-audiences stop it before any is created (standard input or a pipe
  // cannot be read twice: there the limit is met as values arrive).
  const readsAhead = routing.column !== undefined && Boolean(options.create) && canReadTwice(input);
  const routes: PushRoutes = new Routes<PushTarget, PushRoute>(
    {
      resolve: (audience) => resolvePushTarget(plan, audience),
      keyOf: audienceKey,
      isNew: (target) => target.toCreate,
      open: (audience, target) => openRoute(plan, audience, target, onlySeen),
    },
    {
      routing,
      unrouted: frame.unrouted,
      maxNewAudiences: settings.maxNewAudiences,
      createsWhileReading: !readsAhead && !options.dryRun,
      warn: (message) => ctx.warn(message),
      onNews: () => rows?.wake(),
    },
  );
  let rows: IdentifiedRows | undefined;
  try {
    const sent = await untilStopped(
      ctx.signal,
      async () => {
        await frame.connect({ connect: () => connectUnlessLocalDryRun(ctx, options, settings), keepsState: (client) => client !== undefined && !options.dryRun, durable: !options.dryRun });
        await routes.openTheOnlyRoute();
        if (routing.column !== undefined && frame.store && frame.adAccountId) {
          plan.sharedLock = await openSharedRunLock(ctx, plan.options, settings, { command: 'push', operation, input, adAccountId: frame.adAccountId });
        }
        if (readsAhead && frame.directory) await routes.resolveAll(await segmentValuesOf(ctx, input, { ...options, audienceColumn: routing.column! }, settings.delimiter));
        rows = await identifiedRows(plan, routes, onlySeen, expectedRecords);
        return inputWasWhole(await sendEveryRoute(plan, routes, rows, command), hooks.inputComplete);
      },
      () => routes.routes.map(() => INTERRUPTED),
    );
    frame.progress?.stop();
    for (const warning of routes.warnings()) ctx.warn(warning);
    if (options.dryRun) tellAudiencesToCreate(ctx, routes.created);
    await settleAudiences(plan, routes, sent);
    const ends = sent.map((end) => endAsOfNow(end, ctx.signal));
    const [ended, audiences] = pushReport(plan, routes, ends, command);
    await Promise.all(routes.routes.map(({ route }, i) => route.health?.finish(audiences[i]!.report, audiences[i]!.exitCode)));
    tellRunEnd(ctx, ended, {
      notes: [...routes.routes.flatMap(({ route }, i) => notesOf(plan, route, ends[i]!)), ...phoneCountryNotes(ended.report, frame.reading.phoneCountry)],
      resumeHint: resumeHint(routes.routes.map(({ route }) => route.journal)),
      fromStdin: frame.source.isStdin,
      undelivered: (report, tail) =>
        `${report.errored.toLocaleString('en-US')} rows could not be delivered${options.rejects ? ` (lines in ${options.rejects})` : ' (pass --rejects FILE for their line numbers)'}${tail}`,
    });
    return writeRunOutputs(ended.report, ended.exitCode, { report: options.report, rejects: frame.rejects }, stopMessage(ended.end));
  } finally {
    await routes.quiesce();
    for (const { route } of routes.routes) route.journal.close();
    plan.sharedLock?.release();
    await frame.close();
  }
}

/** The rows of the input, identified, with their exclusions loaded and the progress display started. */
async function identifiedRows(plan: PushPlan, routes: PushRoutes, onlySeen: DigestSet | undefined, expectedRecords: number | undefined): Promise<IdentifiedRows> {
  const { ctx, options, settings, frame } = plan;
  const { routing } = routes;
  const exclusions = await exclusionsReady(frame.loadingExclusions, (message) => ctx.info(message));
  frame.progress = await startProgress(
    rowsDone(totalTally(frame.unrouted, () => routes.routes.map((r) => r.route.tally)), frame.source),
    progressOptions(ctx, options, routing.column === undefined ? undefined : () => busiest(routes)),
  );
  return new IdentifiedRows(
    {
      source: frame.source,
      delimiter: settings.delimiter,
      ...frame.reading,
      audienceColumn: routing.column,
      seen: onlySeen ?? keepEveryRecord,
      exclusions,
      signal: ctx.signal,
      warn: (message) => ctx.warn(message),
      hashOnWorker: routing.audience !== undefined && hashOnWorker(ctx, frame.source, expectedRecords, exclusions.bytes),
    },
    routes,
  );
}

/** Without credentials a dry run still checks the file locally; anything else needs a client. */
async function connectUnlessLocalDryRun(ctx: Context, options: PushOptions, settings: RunSettings): Promise<PinterestClient | undefined> {
  try {
    return await ctx.connect({ writeRate: settings.rate, retryFor: settings.retryForMs });
  } catch (error) {
    if (options.dryRun && error instanceof AuthError) {
      ctx.info('No Pinterest credentials: this dry run checks the file locally and does not look the audience up.');
      return undefined;
    }
    throw error;
  }
}

/** One audience's route, once its target is resolved (or its creation planned): its journal, its rows sent. */
async function openRoute(plan: PushPlan, audience: string, target: PushTarget, onlySeen: DigestSet | undefined): Promise<PushRoute> {
  const { ctx, options, settings, frame, operation } = plan;
  const journal =
    frame.store && target.adAccountId
      ? await openRunJournal(ctx, frame.store, options, settings, { command: 'push', operation, input: plan.input, audience, adAccountId: target.adAccountId, heldLock: plan.sharedLock })
      : noRunJournal;
  journal.describeTarget(target);
  // A fan-out's set starts small and grows with its audience: a thousand segments must not take 512 KiB each.
  const route = new PushRoute(audience, target, journal, onlySeen ?? new DigestSet(FAN_OUT_INITIAL_RECORDS), onlySeen === undefined, frame.rejects);
  if (frame.store && frame.client && !options.dryRun && operation === 'ADD') route.health = new MatchHealth(ctx, frame.store, frame.client, target, options, journal.runId);
  route.sent = new SentRows({
    tally: route.tally,
    journal,
    batchSize: settings.batchSize,
    flushIntervalMs: settings.flushIntervalMs,
    maxInFlight: settings.maxInFlight,
    retryForMs: settings.retryForMs,
    signal: ctx.signal,
    now: ctx.now,
    writerFor: (columns) => {
      const writer = listWriterFor(plan, route, columns);
      return countingSends(route.health ? route.health.before(writer) : writer, route.sends);
    },
    guard: new MappingGuard(Boolean(options.force || options.allowMissingIdentifiers)),
    onStop: plan.wake,
  });
  return route;
}

/** Records a fan-out audience's duplicate set starts with. */
const FAN_OUT_INITIAL_RECORDS = 1024;

/** The audience named `audience` (an id or exact name), or its creation planned with --create. */
async function resolvePushTarget(plan: PushPlan, audience: string): Promise<PushTarget> {
  const { ctx, options, frame } = plan;
  const directory = frame.directory;
  if (!directory) return { adAccountId: frame.adAccountId, audienceName: audience, toCreate: false };
  const target = await resolveAudienceTarget(ctx, directory, {
    audience,
    create: options.create,
    // A plain push looks for a waiting list under the name lock; a fan-out counts its new audiences
    // (--max-new-audiences) at the look-up, so a value whose list waits must be known there.
    waitingListAtFirstBatch: !options.dryRun && options.audienceColumn === undefined,
    ...segmentHint(options.audienceColumn, audience),
  });
  if (target.toCreate && options.dryRun && options.audienceColumn === undefined) {
    ctx.info(`Audience "${audience}" does not exist: a real run would create it (customer list first).`);
  }
  return target;
}

/** Where one audience's batches go: its customer list, or nowhere in a dry run. On Ctrl-C a write on its way gets a short grace. */
function listWriterFor(plan: PushPlan, route: PushRoute, columns: ColumnPlan): ListWriter {
  const { ctx, options, frame, operation } = plan;
  if (options.dryRun || !frame.client) return { send: async () => {} };
  const writer = customerListWriter(frame.client, route.target as AudienceTarget, {
    operation: operation === 'REMOVE' ? 'REMOVE' : 'ADD',
    listType: columns.listType,
    description: options.description,
    signal: requestSignal(ctx.signal),
    stop: ctx.signal,
  });
  return operation === 'REMOVE' && frame.store ? forgettingRemovals(writer, frame.store, route.target as AudienceTarget, (message) => ctx.warn(message)) : writer;
}

/**
 * A removal updates the audience's mirror snapshot like a sync does: users it removed leave the
 * snapshot, so the next sync adds them back when its file still holds them (else it would think them there).
 */
function forgettingRemovals(writer: ListWriter, store: StateStore, target: AudienceTarget, warn: (message: string) => void): ListWriter {
  let warned = false;
  return {
    send: async (records, deadline) => {
      await writer.send(records, deadline);
      try {
        store.snapshots.forget(listKey(target.adAccountId, target.customerListId!), records);
      } catch (error) {
        if (!warned) warn(`The mirror snapshot of audience "${clean(target.audienceName)}" could not be updated (${(error as Error).message}): the next sync of it may not add the removed users back.`);
        warned = true;
      }
    },
  };
}

/**
 * Reads the input to its end (or a stop) and lets every route send what it holds. An input found corrupt
 * after some audience began sending stops every audience there, reported like any end ("input").
 * Anything else that fails (a guard verdict, an audience that cannot be opened) ends the run with its error.
 */
async function sendEveryRoute(plan: PushPlan, routes: PushRoutes, rows: IdentifiedRows, command: string): Promise<RunEnd[]> {
  try {
    const stop = await rows.readAll();
    await routes.settle();
    return await Promise.all(routes.routes.map(({ route }) => route.sent.finish(stop)));
  } catch (error) {
    plan.frame.source.close();
    // No look-up or opening outlives the run (the client closes next), and every route opened is closed.
    await routes.quiesce();
    await Promise.all(routes.routes.map(({ route }) => route.sent.abandon()));
    const sendingBegan = routes.routes.some(({ route }) => route.sent.sendingBegan);
    if (isStopped(error, plan.ctx.signal)) return routes.routes.map(() => INTERRUPTED);
    if (error instanceof UsageError && sendingBegan && !routes.stopped) return routes.routes.map(() => ({ stop: 'input', fatal: error }));
    plan.frame.progress?.stop();
    const code = error instanceof PinsyncError ? error.exitCode : ExitCode.internal;
    const end: RunEnd = { stop: 'fatal', fatal: error };
    for (const { route } of routes.routes) {
      route.target.pendingAudience?.abandon();
      route.journal.finish(reportOf(plan, routes, route, end, command, routes.failedAudience), code);
    }
    await recordFailedAudience(plan, routes, end, code, command);
    throw error;
  }
}

/**
 * The value whose audience could not be found or opened, after other audiences of the run began: its
 * own entry in the history (so `pinsync runs` shows the failure under its name, not another audience's).
 */
async function recordFailedAudience(plan: PushPlan, routes: PushRoutes, end: RunEnd, exitCode: number, command: string): Promise<void> {
  const { ctx, options, settings, frame, operation, input } = plan;
  const audience = routes.failedAudience;
  if (audience === undefined || !frame.store || !frame.adAccountId || !routes.routes.some(({ route }) => route.journal.runId !== undefined)) return;
  const journal = await openRunJournal(ctx, frame.store, options, settings, { command: 'push', operation, input, audience, adAccountId: frame.adAccountId, heldLock: plan.sharedLock });
  try {
    const target = { adAccountId: frame.adAccountId, audienceName: audience };
    journal.describeTarget(target);
    const report = audienceReport({
      command,
      operation,
      dryRun: false,
      target,
      counts: new Tally().counts(),
      requests: { requests: 0, retries: 0, rateLimited: 0 },
      ...frame.reportParts(routes.plan),
      runId: journal.runId,
      end,
      falseDuplicateProbability: 0,
    });
    journal.finish({ ...report, message: end.fatal instanceof Error ? end.fatal.message : String(end.fatal) }, exitCode);
  } finally {
    journal.close();
  }
}

/** A push fed by a command that failed read a truncated export: what it sent stays sent, and it ends as an input error (exit 2). */
async function inputWasWhole(ends: RunEnd[], inputComplete: Promise<boolean> | undefined): Promise<RunEnd[]> {
  if (!inputComplete || (await inputComplete)) return ends;
  return ends.map((end) => (end.stop === 'end' ? { stop: 'input', fatal: undefined } : end));
}

/** An audience still to create gets its last tries (bounded) when the run ended normally. */
async function settleAudiences(plan: PushPlan, routes: PushRoutes, ends: readonly RunEnd[]): Promise<void> {
  const { ctx, options, frame } = plan;
  if (!frame.client || options.dryRun) return;
  const wait = { waitMs: options.audienceWait, description: options.description, stop: ctx.signal, now: ctx.now, tell: ctx.info };
  await Promise.all(routes.routes.map(({ route }, i) => settleAudience(frame.client!, route.target as AudienceTarget, ends[i]!.stop === 'end', wait)));
}

/** The run's report, and each audience's. */
function pushReport(plan: PushPlan, routes: PushRoutes, ends: readonly RunEnd[], command: string): [RunEndReport, AudienceEnd[]] {
  const { ctx, options, frame, operation } = plan;
  const audiences: AudienceEnd[] = routes.routes.map(({ route }, i) => {
    const report = reportOf(plan, routes, route, ends[i], command);
    const exitCode = exitCodeOf(ends[i]!, report.errored);
    route.journal.finish(report, exitCode);
    return { report, end: ends[i]!, exitCode };
  });
  const ended = runReport(
    {
      routing: routes.routing,
      command,
      operation,
      dryRun: Boolean(options.dryRun),
      ...frame.runParts(routes.plan),
    },
    audiences,
  );
  return [ended, audiences];
}

/**
 * One audience's report. A plain push counts every request of the client; a fan-out's audience its own
 * writes. `stoppedByAudience`: another audience of the run that could not be found or opened stopped it.
 */
function reportOf(plan: PushPlan, routes: PushRoutes, route: PushRoute, end: RunEnd | undefined, command: string, stoppedByAudience?: string): RunReport {
  const { ctx, options, frame, operation } = plan;
  const dryRun = Boolean(options.dryRun);
  const report = audienceReport({
    command,
    operation,
    dryRun,
    target: route.target,
    counts: route.tally.counts(),
    ...frame.reportParts(routes.plan),
    requests: routes.routing.column === undefined ? frame.runParts(routes.plan).requests : { requests: dryRun ? 0 : route.sends.requests, retries: 0, rateLimited: 0 },
    runId: route.journal.runId,
    end,
    falseDuplicateProbability: route.seen.falseDuplicateProbability(),
  });
  if (dryRun) {
    report.wouldSend = { requests: route.sends.requests, records: route.tally.records };
    report.records = 0; // identifiers sent to Pinterest: none (wouldSend says how many would be)
  }
  if (stoppedByAudience !== undefined && stoppedByAudience !== route.audience) report.stoppedByAudience = stoppedByAudience;
  if (route.target.toCreate || route.target.waitingList) report.createdAudience = !dryRun && route.target.audienceId !== undefined;
  if (!dryRun) Object.assign(report, audiencePendingKeys(route.target as AudienceTarget));
  return report;
}

/** What to say of one audience after the summary: still waiting for Pinterest, or not created at all. */
function notesOf(plan: PushPlan, route: PushRoute, end: RunEnd): string[] {
  if (plan.options.dryRun) return [];
  const target = route.target as AudienceTarget;
  const pending = audiencePendingNote(target);
  if (pending) return [pending];
  if ((target.toCreate || target.waitingList) && target.audienceId === undefined && end.stop === 'end' && !target.customerListId) {
    return ['No usable identifiers to send, so the audience was not created (Pinterest cannot create an empty customer list).'];
  }
  return [];
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
