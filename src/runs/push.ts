// `pinsync push`: one run for every shape. Plan: check the flags, open the frame (input, client, ad
// account, state) and the routes (one audience, or one per value of --audience-column). Send: read the
// input once, identify each row once, and let each audience's route deduplicate, batch and upload its
// rows through the one client (one write budget). Report: every audience's report, then the run's,
// built once. `audiences create --from` is a push too.
import { availableParallelism } from 'node:os';
import type { Context } from '../context.js';
import { AuthError, ExitCode, PinsyncError, UsageError } from '../errors.js';
import { customerListWriter, resolveAudienceTarget, settleAudience, audiencePendingKeys, audiencePendingNote, type AudienceTarget } from '../audiences/target.js';
import { columnNames, type ColumnPlan } from '../input/columns.js';
import type { InputSource } from '../input/source.js';
import { DigestSet, initialBytes, keepEveryRecord } from '../identify/dedupe.js';
import { exclusionsReady } from '../identify/exclusions.js';
import { IdentifiedRows, type RowIdentity } from '../identify/identified-rows.js';
import { Verdict } from '../identify/identify.js';
import { addRowIdentifiers, identifierCount, isRowRecord } from '../identify/row-record.js';
import type { PinterestClient } from '../pinterest/client.js';
import { rowsDone, startProgress } from '../report/progress.js';
import { writeRunOutputs, type Operation, type RunReport, type RunResult } from '../report/run-report.js';
import { MappingGuard } from '../send/guard.js';
import { endAsOfNow, INTERRUPTED, isStopped, type RunEnd } from '../send/outcome.js';
import { SentRows } from '../send/sent-rows.js';
import { requestSignal } from '../send/stop-signal.js';
import { Tally, type RejectSink } from '../send/tally.js';
import type { ListWriter } from '../send/upload.js';
import { RunFrame } from './frame.js';
import { noRunJournal, openRunJournal, resumeHint, type RunJournal } from './journal.js';
import type { PushHooks, PushOptions } from './options.js';
import { audienceExitCode, audienceReport, phoneCountryNotes, runReport, tellRunEnd, stopMessage, untilStopped, type AudienceEnd, type RunEndReport } from './report.js';
import { Routes, type Route } from './routes.js';
import { progressOptions, totalTally, busiest } from './progress.js';
import { pushSettings, routingOf, type RunSettings } from './settings.js';
import { MatchHealth } from './match-health.js';

/** Without credentials (a local dry run) the ad account may be unknown. */
type PushTarget = Omit<AudienceTarget, 'adAccountId'> & { adAccountId?: string };

/** What the routes of one push share. */
interface PushPlan {
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
  readonly sends = { requests: 0, records: 0 };
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
  const frame = await RunFrame.open(ctx, input, options, settings);
  const command = hooks.command ?? 'push';
  const operation: Operation = options.remove ? 'REMOVE' : 'ADD';
  const plan: PushPlan = { ctx, options, settings, input, operation, frame, wake: () => rows?.wake() };
  // A plain push deduplicates in the reader (one set for the run); a fan-out per audience.
  const expectedRecords = frame.source.totalBytes ? frame.source.totalBytes / 32 : undefined;
  const onlySeen = routing.audience !== undefined ? new DigestSet(expectedRecords) : undefined;
  const routes = new Routes<PushRoute>(routing, (audience) => openRoute(plan, audience, onlySeen), frame.unrouted, () => rows?.wake());
  let rows: IdentifiedRows | undefined;
  try {
    const sent = await untilStopped(
      ctx.signal,
      async () => {
        await frame.connect({ connect: () => connectUnlessLocalDryRun(ctx, options, settings), keepsState: (client) => client !== undefined && !options.dryRun, durable: !options.dryRun });
        await routes.openTheOnlyRoute();
        rows = await identifiedRows(plan, routes, onlySeen, expectedRecords);
        return sendEveryRoute(plan, routes, rows, command);
      },
      () => routes.routes.map(() => INTERRUPTED),
    );
    frame.progress?.stop();
    await settleAudiences(plan, routes, sent);
    const ends = sent.map((end) => endAsOfNow(end, ctx.signal));
    const [ended, audiences] = pushReport(plan, routes, ends, command);
    await Promise.all(routes.routes.map(({ route }, i) => route.health?.finish(route.journal.runId, audiences[i]!.report, audiences[i]!.exitCode)));
    tellRunEnd(ctx, ended, {
      notes: [...routes.routes.flatMap(({ route }, i) => notesOf(plan, route, ends[i]!)), ...phoneCountryNotes(ended.report, frame.reading.phoneCountry)],
      resumeHint: resumeHint(routes.routes.map(({ route }) => route.journal)),
      fromStdin: frame.source.isStdin,
      undelivered: (report, tail) =>
        `${report.errored.toLocaleString('en-US')} rows could not be delivered${options.rejects ? ` (lines in ${options.rejects})` : ' (pass --rejects FILE for their line numbers)'}${tail}`,
    });
    return writeRunOutputs(ended.report, ended.exitCode, { report: options.report, rejects: frame.rejects }, stopMessage(ended.end));
  } finally {
    for (const { route } of routes.routes) route.journal.close();
    await frame.close();
  }
}

/** The rows of the input, identified, with their exclusions loaded and the progress display started. */
async function identifiedRows(plan: PushPlan, routes: Routes<PushRoute>, onlySeen: DigestSet | undefined, expectedRecords: number | undefined): Promise<IdentifiedRows> {
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

/** One audience's route: its target resolved (or its creation planned), its journal, its rows sent. */
async function openRoute(plan: PushPlan, audience: string, onlySeen: DigestSet | undefined): Promise<PushRoute> {
  const { ctx, options, settings, frame, operation } = plan;
  const target = await resolvePushTarget(plan, audience);
  const journal =
    frame.store && target.adAccountId
      ? await openRunJournal(ctx, frame.store, options, settings, { command: 'push', operation, input: plan.input, audience, adAccountId: target.adAccountId })
      : noRunJournal;
  journal.describeTarget(target);
  const route = new PushRoute(audience, target, journal, onlySeen ?? new DigestSet(), onlySeen === undefined, frame.rejects);
  if (frame.store && frame.client && !options.dryRun && operation === 'ADD') route.health = new MatchHealth(ctx, frame.store, frame.client, target, options);
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
      return counted(route.health ? route.health.before(writer) : writer, route.sends);
    },
    guard: new MappingGuard(Boolean(options.force || options.allowMissingIdentifiers)),
    onStop: plan.wake,
  });
  return route;
}

/** The audience named `audience` (an id or exact name), or its creation planned with --create. */
async function resolvePushTarget(plan: PushPlan, audience: string): Promise<PushTarget> {
  const { ctx, options, frame } = plan;
  const directory = frame.directory;
  if (!directory) return { adAccountId: frame.adAccountId, audienceName: audience, toCreate: false };
  const target = await resolveAudienceTarget(ctx, directory, { audience, create: options.create, waitingListAtFirstBatch: !options.dryRun });
  if (target.toCreate && options.dryRun) ctx.info(`Audience "${audience}" does not exist: a real run would create it (customer list first).`);
  return target;
}

/** Where one audience's batches go: its customer list, or nowhere in a dry run. On Ctrl-C a write on its way gets a short grace. */
function listWriterFor(plan: PushPlan, route: PushRoute, columns: ColumnPlan): ListWriter {
  const { ctx, options, frame, operation } = plan;
  if (options.dryRun || !frame.client) return { send: async () => {} };
  return customerListWriter(frame.client, route.target as AudienceTarget, {
    operation: operation === 'REMOVE' ? 'REMOVE' : 'ADD',
    listType: columns.listType,
    description: options.description,
    signal: requestSignal(ctx.signal),
    stop: ctx.signal,
  });
}

/** Counts one audience's requests and records (the client's counters are for the whole run). */
function counted(writer: ListWriter, sends: { requests: number; records: number }): ListWriter {
  return {
    send: async (records, deadline) => {
      sends.requests++;
      sends.records += identifierCount(records);
      await writer.send(records, deadline);
    },
  };
}

/**
 * Reads the input to its end (or a stop) and lets every route send what it holds. An input found corrupt
 * after some audience began sending stops every audience there, reported like any end ("input").
 * Anything else that fails (a guard verdict, an audience that cannot be opened) ends the run with its error.
 */
async function sendEveryRoute(plan: PushPlan, routes: Routes<PushRoute>, rows: IdentifiedRows, command: string): Promise<RunEnd[]> {
  try {
    const stop = await rows.readAll();
    await routes.settle();
    return await Promise.all(routes.routes.map(({ route }) => route.sent.finish(stop)));
  } catch (error) {
    plan.frame.source.close();
    routes.countHeldAsPending();
    await Promise.all(routes.routes.map(({ route }) => route.sent.abandon()));
    const sendingBegan = routes.routes.some(({ route }) => route.sent.sendingBegan);
    if (isStopped(error, plan.ctx.signal)) return routes.routes.map(() => INTERRUPTED);
    if (error instanceof UsageError && sendingBegan) return routes.routes.map(() => ({ stop: 'input', fatal: error }));
    plan.frame.progress?.stop();
    const code = error instanceof PinsyncError ? error.exitCode : ExitCode.internal;
    for (const { route } of routes.routes) {
      route.target.pendingAudience?.abandon();
      route.journal.finish(reportOf(plan, routes, route, { stop: 'fatal', fatal: error }, command), code);
    }
    throw error;
  }
}

/** An audience still to create gets its last tries (bounded) when the run ended normally. */
async function settleAudiences(plan: PushPlan, routes: Routes<PushRoute>, ends: readonly RunEnd[]): Promise<void> {
  const { ctx, options, frame } = plan;
  if (!frame.client || options.dryRun) return;
  const wait = { waitMs: options.audienceWait, description: options.description, stop: ctx.signal, now: ctx.now, tell: ctx.info };
  await Promise.all(routes.routes.map(({ route }, i) => settleAudience(frame.client!, route.target as AudienceTarget, ends[i]!.stop === 'end', wait)));
}

/** The run's report, and each audience's. */
function pushReport(plan: PushPlan, routes: Routes<PushRoute>, ends: readonly RunEnd[], command: string): [RunEndReport, AudienceEnd[]] {
  const { ctx, options, frame, operation } = plan;
  const audiences: AudienceEnd[] = routes.routes.map(({ route }, i) => {
    const report = reportOf(plan, routes, route, ends[i], command);
    const exitCode = audienceExitCode(ends[i]!, report.errored);
    route.journal.finish(report, exitCode);
    return { report, end: ends[i]!, exitCode };
  });
  const ended = runReport(
    {
      routing: routes.routing,
      command,
      operation,
      dryRun: Boolean(options.dryRun),
      adAccountId: frame.adAccountId,
      counts: frame.unrouted.counts(),
      requests: requestsOf(frame.client),
      startedAt: frame.startedAt,
      finishedAt: ctx.now(),
      listType: routes.plan?.listType,
      recordsV2: routes.plan?.recordsV2,
      input: frame.source.name,
      columns: columnNames(routes.plan),
      client: frame.client,
      stop: ctx.signal,
    },
    audiences,
  );
  return [ended, audiences];
}

/** One audience's report. A plain push counts every request of the client; a fan-out's audience its own writes. */
function reportOf(plan: PushPlan, routes: Routes<PushRoute>, route: PushRoute, end: RunEnd | undefined, command: string): RunReport {
  const { ctx, options, frame, operation } = plan;
  const dryRun = Boolean(options.dryRun);
  const report = audienceReport({
    command,
    operation,
    dryRun,
    target: route.target,
    counts: route.tally.counts(),
    requests: routes.routing.column === undefined ? requestsOf(frame.client) : { requests: dryRun ? 0 : route.sends.requests, retries: 0, rateLimited: 0 },
    startedAt: frame.startedAt,
    finishedAt: ctx.now(),
    listType: routes.plan?.listType,
    recordsV2: routes.plan?.recordsV2,
    runId: route.journal.runId,
    input: frame.source.name,
    columns: columnNames(routes.plan),
    end,
    falseDuplicateProbability: route.seen.falseDuplicateProbability(),
  });
  if (dryRun) report.wouldSend = { ...route.sends };
  if (route.target.toCreate || route.target.waitingList) report.createdAudience = !dryRun && route.target.audienceId !== undefined;
  if (!dryRun) Object.assign(report, audiencePendingKeys(route.target as AudienceTarget));
  return report;
}

function requestsOf(client: PinterestClient | undefined): { requests: number; retries: number; rateLimited: number } {
  const { requests, retries, rateLimited } = client?.stats ?? { requests: 0, retries: 0, rateLimited: 0 };
  return { requests, retries, rateLimited };
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
