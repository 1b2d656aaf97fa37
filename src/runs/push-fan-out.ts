// `push --audience-column NAME`: one read of the input, rows identified once, then fanned out by
// the audience each row names into one route per audience: its own dedupe, rows sent (guard →
// batch → upload → tally) and journal, all through one client, so they share one write budget.
// The report holds one object per audience under `audiences` and their totals at the top.
import { setMaxListeners } from 'node:events';
import type { Context } from '../context.js';
import { ExitCode, PinsyncError, UsageError } from '../errors.js';
import { progressInterval, rowsDone, startProgress, type Progress, type TallyView } from '../report/progress.js';
import { RejectsFile } from '../report/rejects.js';
import { buildRunReport, publishReport, type Operation, type RunReport } from '../report/run-report.js';
import { addLimitKeys } from '../report/limits.js';
import { connectUnlessLocalDryRun, pushRequestShape, resolvePushTarget, uploadTarget, type PushTarget } from './push-target.js';
import { audiencePendingKeys, audiencePendingNote, settleAudience, type AudienceTarget } from '../audiences/target.js';
import { columnNames, type ColumnFlags, type ColumnPlan } from '../input/columns.js';
import { DigestSet, keepEveryRecord } from '../identify/dedupe.js';
import { FanOut, type AudienceRoute } from './fan-out.js';
import { fanOutReport, fanOutSummary, worstEnd } from './fan-out-report.js';
import { MappingGuard } from '../send/guard.js';
import { IdentifiedRows, type RowIdentity } from '../identify/identified-rows.js';
import { Verdict } from '../identify/identify.js';
import { noopJournal, type PushJournal } from '../send/journal.js';
import { exitCodeOf, outcomeName, stoppedBy, type RunEnd } from '../send/outcome.js';
import type { InputOptions, PushHooks, PushOptions } from './options.js';
import { runSettings, type RunSettings } from './settings.js';
import { SentRows } from '../send/sent-rows.js';
import { exclusionsReady } from '../identify/exclusions.js';
import { Tally } from '../send/tally.js';
import type { UploadTarget } from '../send/upload.js';
import type { StateStore } from '../state/store.js';
import { openRunInputs } from './inputs.js';

type Target = PushTarget;


/** One audience's rows: deduplicated within the audience, then sent. */
class PushRoute implements AudienceRoute {
  readonly tally: Tally;
  readonly seen = new DigestSet();
  readonly sends = { requests: 0, records: 0 };
  private readonly fresh: string[] = [];
  private readonly row = { records: this.fresh as readonly string[], count: 0, reason: 'missing_identifier' } as RowIdentity & { count: number };

  constructor(
    readonly target: Target,
    readonly journal: PushJournal,
    readonly sent: SentRows,
    tally: Tally,
  ) {
    this.tally = tally;
  }

  identified(line: number, verdict: Verdict, row: RowIdentity): void {
    if (verdict !== Verdict.New) {
      this.sent.identified(line, verdict, row);
      return;
    }
    let count = 0;
    for (let i = 0; i < row.count; i++) if (this.seen.add(row.records[i]!)) this.fresh[count++] = row.records[i]!;
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

export async function runPushFanOut(ctx: Context, options: PushOptions, input: string, hooks: PushHooks = {}): Promise<number> {
  const settings = checkFanOutOptions(options);
  const column = options.audienceColumn!.trim();
  setMaxListeners(0, ctx.signal); // one listener per request in flight, across every audience
  const operation: Operation = options.remove ? 'REMOVE' : 'ADD';
  const startedAt = ctx.now();
  const { source, loadingExclusions, client } = await openRunInputs(ctx, input, options, settings, () => connectUnlessLocalDryRun(ctx, options, settings));
  let store: StateStore | undefined;
  let rejects: RejectsFile | undefined;
  let progress: Progress | undefined;
  let fanOut: FanOut<PushRoute> | undefined;
  try {
    if (client && !options.dryRun) store = await openStore(ctx);
    rejects = options.rejects ? new RejectsFile(options.rejects) : undefined;
    const unrouted = new Tally(rejects);
    const openRoute = async (audience: string, plan: ColumnPlan): Promise<PushRoute> => {
      const target = await resolvePushTarget(ctx, client, options, audience);
      const journal = store ? await openJournal(ctx, store, options, input, operation, settings, audience, target) : noopJournal;
      const tally = new Tally(rejects);
      const route: PushRoute = new PushRoute(
        target,
        journal,
        new SentRows({
          tally,
          journal,
          batchSize: settings.batchSize,
          flushIntervalMs: settings.flushIntervalMs,
          maxInFlight: Math.max(4, Math.ceil(settings.rate * 2)),
          retryForMs: settings.retryForMs,
          signal: ctx.signal,
          now: ctx.now,
          target: counted(options.dryRun || !client ? dryRunTarget() : uploadTarget(client, target, operation, plan, ctx.signal, options.description), () => route.sends),
          guard: new MappingGuard(Boolean(options.force || options.allowMissingIdentifiers)),
          onStop: () => rows.wake(),
        }),
        tally,
      );
      route.sent.planned(plan);
      return route;
    };
    fanOut = new FanOut(openRoute, unrouted, () => rows.wake());
    const routes = fanOut;
    const total = totalTally(unrouted, () => routes.routes.map((r) => r.route.tally));
    progress = await startProgress(rowsDone(total, source), progressOptions(ctx, options, () => busiest(routes)));
    const exclusions = await exclusionsReady(loadingExclusions, (message) => ctx.info(message));
    const rows: IdentifiedRows = new IdentifiedRows(
      { source, delimiter: settings.delimiter, ...columnFlags(options), seen: keepEveryRecord, exclusions, signal: ctx.signal, hashOnWorker: false },
      fanOut,
    );
    let ends: RunEnd[];
    try {
      const stop = await rows.readAll();
      await fanOut.settle();
      ends = await Promise.all(fanOut.routes.map(({ route }) => route.sent.finish(stop)));
    } catch (error) {
      source.close();
      fanOut.countHeldAsPending();
      await Promise.all(fanOut.routes.map(({ route }) => route.sent.abandon()));
      const inputStop = inputStopAfterSending(error, fanOut.routes);
      if (!inputStop) {
        for (const { route } of fanOut.routes) route.target.pendingAudience?.abandon();
        progress.stop();
        const code = error instanceof PinsyncError ? error.exitCode : ExitCode.internal;
        for (const { route } of fanOut.routes) route.journal.finish(audienceReport(route, undefined), code);
        throw error;
      }
      ends = inputStop;
    }
    progress.stop();
    if (client && !options.dryRun) {
      const wait = { waitMs: options.audienceWait, description: options.description, stop: ctx.signal, now: ctx.now, tell: ctx.info };
      await Promise.all(fanOut.routes.map(({ route }, i) => settleAudience(client, route.target as AudienceTarget, ends[i]!.stop === 'end', wait)));
    }
    const perAudience = fanOut.routes.map(({ route }, i) => {
      const report = audienceReport(route, ends[i]);
      route.journal.finish(report, exitCodeOf(ends[i]!, report.errored));
      return report;
    });
    const end = worstEnd(ends);
    const report = addLimitKeys(fanOutReport(
      buildRunReport({
        command: hooks.command ?? 'push',
        operation,
        dryRun: Boolean(options.dryRun),
        target: { adAccountId: perAudience[0]?.adAccountId ?? undefined },
        counts: unrouted.counts(),
        client: client?.stats ?? { requests: 0, retries: 0, rateLimited: 0 },
        startedAt,
        finishedAt: ctx.now(),
        listType: fanOut.plan?.listType,
        input: source.name,
        columns: columnNames(fanOut.plan),
        outcome: outcomeName(end),
        stoppedBy: stoppedBy(end),
        falseDuplicateProbability: 0,
      }),
      column,
      perAudience,
    ), client, end.fatal);
    const exitCode = exitCodeOf(end, report.errored);
    const why = end.fatal instanceof Error ? end.fatal.message : String(end.fatal);
    if (end.stop === 'fatal') ctx.info(`pinsync: stopped: ${why}`);
    if (end.stop === 'input') ctx.info(`pinsync: stopped by the input after ${report.synced.toLocaleString('en-US')} rows were sent to Pinterest: ${why}`);
    ctx.stderr.write(fanOutSummary(report, source.name));
    if (end.stop === 'interrupted') ctx.info('Interrupted: run the same command again to send the rest (adding a user twice is harmless).');
    if (end.stop === 'input') ctx.info('Fix the input, then run the same command again (adding a user twice is harmless).');
    for (const { route } of fanOut.routes) {
      const note = options.dryRun ? undefined : audiencePendingNote(route.target as AudienceTarget);
      if (note) ctx.info(note);
    }
    publishReport(report, { ...options, stdout: ctx.stdout }, rejects);
    return exitCode;

    function audienceReport(route: PushRoute, routeEnd: RunEnd | undefined): RunReport {
      const report = buildRunReport({
        command: hooks.command ?? 'push',
        operation,
        dryRun: Boolean(options.dryRun),
        target: route.target,
        counts: route.tally.counts(),
        client: { requests: options.dryRun ? 0 : route.sends.requests, retries: 0, rateLimited: 0 },
        startedAt,
        finishedAt: ctx.now(),
        listType: fanOut!.plan?.listType,
        runId: route.journal.runId,
        input: source.name,
        columns: columnNames(fanOut!.plan),
        outcome: outcomeName(routeEnd),
        stoppedBy: stoppedBy(routeEnd ?? { stop: 'fatal', fatal: undefined }),
        falseDuplicateProbability: route.seen.falseDuplicateProbability(),
      });
      if (options.dryRun) report.wouldSend = { ...route.sends };
      if (route.target.toCreate || route.target.waitingList) report.createdAudience = !options.dryRun && route.target.audienceId !== undefined;
      if (!options.dryRun) Object.assign(report, audiencePendingKeys(route.target as AudienceTarget));
      return report;
    }
  } finally {
    progress?.stop();
    rejects?.close();
    source.close();
    for (const { route } of fanOut?.routes ?? []) route.journal.close?.();
    store?.close();
    await client?.close();
  }
}

/**
 * The input turned out corrupt after some audience began sending (a bad gzip tail, an overlong line):
 * every audience stops there and the run still reports what went out, like a plain push.
 */
function inputStopAfterSending(error: unknown, routes: FanOut<PushRoute>['routes']): RunEnd[] | undefined {
  if (!(error instanceof UsageError) || !routes.some(({ route }) => route.sent.sendingBegan)) return undefined;
  return routes.map(() => ({ stop: 'input', fatal: error }));
}

/** --audience-column replaces --audience; the rest is checked like a push. */
export function checkFanOutOptions(options: { audience?: string; audienceColumn?: string; create?: boolean; remove?: boolean } & Parameters<typeof runSettings>[0]): RunSettings {
  if (options.audience?.trim()) throw new UsageError('--audience and --audience-column do not go together: name one audience, or the column that names each row\'s audience.');
  if (!options.audienceColumn?.trim()) throw new UsageError('--audience-column needs a column name.');
  if (options.create && options.remove) throw new UsageError('--create and --remove do not go together: there is nothing to remove from a new audience.');
  return runSettings(options);
}

export function columnFlags(options: InputOptions): ColumnFlags {
  const { emailColumn, maidColumn, idfaColumn, audienceColumn } = options;
  return { emailColumn, maidColumn, idfaColumn, audienceColumn: audienceColumn!.trim() };
}

/** The run's counts while it runs: rows that reached no audience plus every audience's. */
export function totalTally(unrouted: Tally, parts: () => Tally[]): TallyView {
  const sum = (key: keyof TallyView) => parts().reduce((total, part) => total + part[key], unrouted[key]);
  return {
    get entered() { return sum('entered'); },
    get synced() { return sum('synced'); },
    get duplicates() { return sum('duplicates'); },
    get notSynced() { return sum('notSynced'); },
    get errored() { return sum('errored'); },
    get pending() { return sum('pending'); },
  };
}

/** On a terminal the progress line names the audiences with the most rows. */
export function busiest(fanOut: FanOut<{ tally: Tally } & AudienceRoute>): string {
  return fanOut.routes
    .map(({ audience, route }) => ({ audience, rows: route.tally.entered }))
    .sort((a, b) => b.rows - a.rows)
    .slice(0, 3)
    .map((a) => `${a.audience.slice(0, 24)} ${a.rows.toLocaleString('en-US')}`)
    .join(' · ');
}

export function progressOptions(ctx: Context, options: { progress?: boolean }, detail: () => string) {
  return {
    stderr: ctx.stderr,
    isTTY: ctx.stderrIsTTY,
    enabled: options.progress !== false,
    intervalSeconds: progressInterval(ctx.env),
    now: ctx.now,
    detail,
  };
}

async function openStore(ctx: Context): Promise<StateStore> {
  const { openStateStore } = await import('../state/store.js');
  return openStateStore(ctx.paths.stateFile);
}

async function openJournal(
  ctx: Context,
  store: StateStore,
  options: PushOptions,
  input: string,
  operation: Operation,
  settings: RunSettings,
  audience: string,
  target: Target,
): Promise<PushJournal> {
  const { startRunJournal } = await import('../state/journal.js');
  const journal = await startRunJournal(
    ctx,
    {
      command: 'push',
      operation,
      input,
      restart: options.restart,
      retryForMs: settings.retryForMs,
      requestShape: pushRequestShape(options, settings, audience, target.adAccountId ?? ''),
    },
    store,
  );
  journal.describeTarget(target);
  return journal;
}

function dryRunTarget(): UploadTarget {
  return { send: async () => {} };
}

/** Counts one audience's requests and records (the client's counters are for the whole run). */
function counted(target: UploadTarget, sends: () => { requests: number; records: number }): UploadTarget {
  return {
    send: async (records, deadline) => {
      sends().requests++;
      sends().records += records.length;
      await target.send(records, deadline);
    },
  };
}

