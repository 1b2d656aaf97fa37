// `pinsync sync`: one run for every shape. Plan: check the flags, open the frame (input, client, ad
// account) and the routes (one mirror per audience: --audience, or each value of --audience-column).
// Stage: read the input once and stage each audience's rows against its last snapshot. Send: every
// audience's removals are checked against --max-remove before anything is sent, then each audience is
// mirrored in turn (ADDs, then REMOVEs) through the one client (one write budget). Report: built once.
// A user who moved from one segment to another is removed from the first and added to the second.
import type { Context } from '../context.js';
import { exclusionsReady } from '../identify/exclusions.js';
import { IdentifiedRows } from '../identify/identified-rows.js';
import { keepEveryRecord } from '../identify/dedupe.js';
import { bytesRead, startProgress } from '../report/progress.js';
import { writeRunOutputs, type RunResult } from '../report/run-report.js';
import { RunFrame } from './frame.js';
import { resumeHint } from './journal.js';
import { INTERRUPTED } from '../send/outcome.js';
import { INPUT_INCOMPLETE, MirrorRoute, type SyncPlan } from './mirror.js';
import type { SyncHooks, SyncOptions } from './options.js';
import { busiest, progressOptions, totalTally } from './progress.js';
import { phoneCountryNotes, runReport, tellRunEnd, stopMessage, untilStopped, type AudienceEnd } from './report.js';
import { audienceKey, Routes } from './routes.js';
import { tellAudiencesToCreate } from './segment-values.js';
import type { AudienceTarget } from '../audiences/target.js';
import { routingOf, syncSettings } from './settings.js';

export async function runSync(ctx: Context, options: SyncOptions, input: string, hooks: SyncHooks = {}): Promise<RunResult> {
  const settings = syncSettings(options);
  const routing = routingOf(options);
  const frame = await RunFrame.open(ctx, input, options, settings);
  const segmentScope = routing.column === undefined ? undefined : JSON.stringify({ profile: ctx.profile, adAccount: frame.adAccountId, column: routing.column, job: hooks.job ?? null });
  const sync: SyncPlan = { ctx, options, settings, input, frame, segmentScope };
  const routes = new Routes<AudienceTarget, MirrorRoute>(
    {
      resolve: (audience) => MirrorRoute.resolve(sync, audience),
      keyOf: audienceKey,
      isNew: (target) => target.toCreate,
      open: (audience, target) => MirrorRoute.open(sync, audience, target),
    },
    { routing, unrouted: frame.unrouted, maxNewAudiences: settings.maxNewAudiences, warn: (message) => ctx.warn(message), onNews: () => rows?.wake() },
  );
  /** Audiences an earlier sync of the column filled that no row names today (mirrored to empty). */
  const vanished: MirrorRoute[] = [];
  const mirrors = () => [...routes.routes.map(({ route }) => route), ...vanished];
  let rows: IdentifiedRows | undefined;
  try {
    const audiences = await untilStopped(
      ctx.signal,
      async () => {
        await frame.connect({
          connect: () => ctx.connect({ writeRate: settings.rate, retryFor: settings.retryForMs }),
          keepsState: () => true, // every mirror stages its diff on the run's connection, in tables of its own
          durable: !options.dryRun,
        });
        await routes.openTheOnlyRoute();
        rows = await identifiedRows(sync, routes);
        const stop = await rows.readAll();
        await routes.settle();
        if (stop !== 'interrupted') vanished.push(...(await MirrorRoute.vanished(sync, routes.routes.map(({ route }) => route), routes.plan)));
        frame.progress?.stop();
        for (const warning of routes.warnings()) ctx.warn(warning);
        if (options.dryRun) tellAudiencesToCreate(ctx, routes.created);
        for (const mirror of mirrors()) mirror.staged(stop === 'interrupted');
        return mirrorEach(sync, mirrors(), stop === 'interrupted', hooks);
      },
      () => {
        routes.countWaitingAsPending();
        return mirrors().map((mirror) => mirror.unsent(INTERRUPTED));
      },
    );
    frame.progress?.stop();
    const ended = runReport(
      {
        routing,
        command: 'sync',
        operation: 'MIRROR',
        dryRun: Boolean(options.dryRun),
        ...frame.runParts(routes.plan),
      },
      audiences,
    );
    tellRunEnd(ctx, ended, {
      summaryLine: routing.column === undefined && audiences.length > 0 ? mirrorLine : undefined,
      notes: [...mirrors().flatMap((mirror) => mirror.notes()), ...phoneCountryNotes(ended.report, frame.reading.phoneCountry)],
      resumeHint: resumeHint(mirrors().map((mirror) => mirror.journalOfRun)),
      afterInterrupted: 'The snapshot is replaced only when a sync completes.',
      fromStdin: frame.source.isStdin,
      undelivered: (report, tail) =>
        `${report.errored.toLocaleString('en-US')} rows and ${Number(report.removeErrored ?? 0).toLocaleString('en-US')} removals could not be delivered${tail}`,
    });
    return writeRunOutputs(ended.report, ended.exitCode, { report: options.report, rejects: frame.rejects }, stopMessage(ended.end));
  } finally {
    // No look-up or opening outlives the run (the client closes next), and every mirror opened is closed.
    await routes.quiesce();
    for (const mirror of mirrors()) mirror.close();
    await frame.close();
  }
}

/** The rows of the input, identified, once the exclusions are loaded (the staging table deduplicates). */
async function identifiedRows(sync: SyncPlan, routes: Routes<AudienceTarget, MirrorRoute>): Promise<IdentifiedRows> {
  const { ctx, options, settings, frame } = sync;
  const { routing } = routes;
  frame.progress = await startProgress(
    bytesRead(totalTally(frame.unrouted, () => routes.routes.map(({ route }) => route.tally)), frame.source),
    progressOptions(ctx, options, routing.column === undefined ? undefined : () => busiest(routes)),
  );
  const exclusions = await exclusionsReady(frame.loadingExclusions, (message) => ctx.info(message));
  return new IdentifiedRows(
    {
      source: frame.source,
      delimiter: settings.delimiter,
      ...frame.reading,
      audienceColumn: routing.column,
      seen: keepEveryRecord, // the staging table deduplicates
      exclusions,
      signal: ctx.signal,
      warn: (message) => ctx.warn(message),
    },
    routes,
  );
}

/** Stopped while reading, or fed a truncated export: nothing is sent. Else every guard first, then every mirror. */
async function mirrorEach(sync: SyncPlan, mirrors: readonly MirrorRoute[], interrupted: boolean, hooks: SyncHooks): Promise<AudienceEnd[]> {
  const { ctx, options } = sync;
  if (interrupted) {
    ctx.info('Interrupted while reading: nothing was sent. Run the same command again to sync.');
    return mirrors.map((mirror) => mirror.unsent(INTERRUPTED));
  }
  // A truncated export would remove every user it missed: nothing is sent, the snapshots stay.
  if (!(await (hooks.inputComplete ?? true))) {
    ctx.info(`The input ended early (its command failed): nothing was sent and the last ${mirrors.length === 1 ? 'snapshot is' : 'snapshots are'} kept.`);
    return mirrors.map((mirror) => mirror.unsent(INPUT_INCOMPLETE, 'input_incomplete'));
  }
  for (const mirror of mirrors) mirror.describeDiff();
  // Every audience's removals are checked before any is sent: exit 2 then means nothing was sent.
  if (!options.dryRun) for (const mirror of mirrors) await mirror.checkBeforeSending();
  const ends: AudienceEnd[] = [];
  for (const mirror of mirrors) ends.push(await mirror.mirror());
  return ends;
}

/** A sync's summary adds what the mirror did (a dry run: what it would do). */
function mirrorLine(report: Record<string, unknown>): string {
  const n = (value: unknown) => Number(value).toLocaleString('en-US');
  if (report.dryRun) return `  Mirror (dry run): would add ${n(report.toAdd)}, would remove ${n(report.toRemove)}, ${n(report.unchanged)} rows unchanged${report.firstSync ? ' (first sync: nothing to remove)' : ''}.\n`;
  const ofPlanned = (done: unknown, planned: unknown) => (done === planned ? n(done) : `${n(done)} of ${n(planned)}`);
  return `  Mirror: ${ofPlanned(report.added, report.toAdd)} added, ${ofPlanned(report.removed, report.toRemove)} removed, ${n(report.unchanged)} rows unchanged${report.firstSync ? ' (first sync: nothing to remove)' : ''}.\n`;
}
