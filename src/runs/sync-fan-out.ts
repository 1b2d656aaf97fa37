// `sync --audience-column NAME`: one read of the input, rows identified once and staged per
// audience (each its own snapshot diff, lock and tally); then every audience's removals are checked
// against --max-remove before anything is sent, and each audience is mirrored in turn with its own
// journal, all through one client (one write budget). A user who moved from one segment to another
// is removed from the first and added to the second.
import type { Context } from '../context.js';
import { ExitCode } from '../errors.js';
import { bytesRead, startProgress, type Progress } from '../report/progress.js';
import { RejectsFile } from '../report/rejects.js';
import { buildRunReport, publishReport, type RunReport } from '../report/run-report.js';
import { addLimitKeys } from '../report/limits.js';
import { openStateStore, type StateStore } from '../state/store.js';
import { columnNames, type ColumnPlan } from '../input/columns.js';
import { FanOut, type AudienceRoute } from './fan-out.js';
import { fanOutReport, fanOutSummary } from './fan-out-report.js';
import { MappingGuard } from '../send/guard.js';
import { IdentifiedRows } from '../identify/identified-rows.js';
import { keepEveryRecord } from '../identify/dedupe.js';
import { busiest, checkFanOutOptions, columnFlags, progressOptions, totalTally } from './push-fan-out.js';
import type { SyncHooks, SyncOptions } from './options.js';
import { exclusionsReady } from '../identify/exclusions.js';
import {
  INPUT_INCOMPLETE, INTERRUPTED,
  syncGuard,
  checkBeforeSending,
  checkOptions,
  describeDiff,
  mirrorAudience,
  mirrorReport,
  openAudienceMirror,
  settleStaged,
  stagingSink,
  type AudienceMirror,
  type MirrorInput,
  type Staged,
} from './mirror.js';
import { Tally } from '../send/tally.js';
import { openRunInputs } from './inputs.js';


/** One audience of the fan-out: its rows staged in its own store connection (temp tables are per connection). */
interface SyncRoute extends AudienceRoute {
  audience: string;
  mirror: AudienceMirror;
  store: StateStore;
  staged: Staged;
  tally: Tally;
  guard: MappingGuard;
}

export async function runSyncFanOut(ctx: Context, options: SyncOptions, input: string, hooks: SyncHooks = {}): Promise<number> {
  checkFanOutOptions(options);
  const settings = checkOptions(options);
  const column = options.audienceColumn!.trim();
  const startedAt = ctx.now();
  const { connectClient } = await import('../connect.js');
  const { source, loadingExclusions, client } = await openRunInputs(ctx, input, options, settings, () =>
    connectClient(ctx, { writeRate: settings.rate, retryFor: settings.retryForMs }),
  );
  let rejects: RejectsFile | undefined;
  let progress: Progress | undefined;
  const routes: SyncRoute[] = [];
  try {
    rejects = options.rejects ? new RejectsFile(options.rejects) : undefined;
    const unrouted = new Tally(rejects);
    const openRoute = async (audience: string, plan: ColumnPlan): Promise<SyncRoute> => {
      const store = await openStateStore(ctx.paths.stateFile);
      try {
        const mirror = await openAudienceMirror(ctx, client, store, options, audience);
        const staged: Staged = { plan, newRows: 0, lastLine: 1, interrupted: false };
        const tally = new Tally(rejects);
        const guard = syncGuard(options);
        const route: SyncRoute = { audience, mirror, store, staged, tally, guard, ...stagingSink(staged, tally, guard, mirror.diff) };
        routes.push(route);
        return route;
      } catch (error) {
        store.close();
        throw error;
      }
    };
    const fanOut = new FanOut(openRoute, unrouted, () => rows.wake());
    const progressSettings = progressOptions(ctx, options, () => busiest(fanOut));
    progress = await startProgress(bytesRead(totalTally(unrouted, () => fanOut.routes.map((r) => r.route.tally)), source), progressSettings);
    const exclusions = await exclusionsReady(loadingExclusions, (message) => ctx.info(message));
    const rows: IdentifiedRows = new IdentifiedRows(
      { source, delimiter: settings.delimiter, ...columnFlags(options), seen: keepEveryRecord, exclusions, signal: ctx.signal },
      fanOut,
    );
    const stop = await rows.readAll();
    await fanOut.settle();
    progress.stop();
    const mirrors = fanOut.routes.map(({ route }) => stagedMirror(route));

    let results: Array<{ report: RunReport; exitCode: number }>;
    if (stop === 'interrupted') {
      ctx.info('Interrupted while reading: nothing was sent. Run the same command again to sync.');
      results = mirrors.map((m) => ({ report: mirrorReport(m, INTERRUPTED, undefined, undefined), exitCode: ExitCode.interrupted }));
    } else if (!(await (hooks.inputComplete ?? true))) {
      // A truncated export would remove every user it missed: nothing is sent, the snapshots stay.
      ctx.info('The input ended early (its command failed): nothing was sent and the last snapshots are kept.');
      results = mirrors.map((m) => ({ report: mirrorReport(m, INPUT_INCOMPLETE, undefined, undefined, 'input_incomplete'), exitCode: ExitCode.usage }));
    } else {
      for (const m of mirrors) describeDiff(ctx, m.target, m.counts);
      // Every audience's removals are checked before any is sent: exit 2 then means nothing was sent.
      if (!options.dryRun) for (const m of mirrors) await checkBeforeSending(ctx, options, m.target, m.counts);
      results = [];
      for (const m of mirrors) results.push(await mirrorAudience(m));
    }
    const report = fanOutReport(
      buildRunReport({
        command: 'sync',
        operation: 'MIRROR',
        dryRun: Boolean(options.dryRun),
        target: { adAccountId: mirrors[0]?.target.adAccountId },
        counts: unrouted.counts(),
        client: client.stats,
        startedAt,
        finishedAt: ctx.now(),
        listType: fanOut.plan?.listType,
        input: source.name,
        columns: columnNames(fanOut.plan),
        outcome: results.find((r) => r.exitCode !== ExitCode.ok)?.report.outcome ?? (options.dryRun ? 'dry_run' : 'completed'),
        stoppedBy: results.find((r) => r.exitCode !== ExitCode.ok)?.report.stoppedBy ?? 'end',
        falseDuplicateProbability: 0,
      }),
      column,
      results.map((r) => r.report),
    );
    addLimitKeys(report, client, undefined);
    ctx.stderr.write(fanOutSummary(report, source.name));
    publishReport(report, { ...options, stdout: ctx.stdout }, rejects);
    return worstExitCode(results.map((r) => r.exitCode));

    /** The audience's staged rows settled into its diff, after the guard has judged them. */
    function stagedMirror(route: SyncRoute): MirrorInput {
      const { mirror, staged, tally, store } = route;
      staged.interrupted = stop === 'interrupted';
      if (!staged.interrupted) route.guard.decide(staged.plan);
      const { counts, unchangedRows } = settleStaged(mirror.diff, staged, tally);
      const { target, key, snapshot, diff } = mirror;
      return { ctx, client, store, options, input, settings, target, key, snapshot, diff, staged, tally, counts, unchangedRows, startedAt, source, progressOptions: progressSettings, audience: route.audience };
    }
  } finally {
    progress?.stop();
    rejects?.close();
    source.close();
    for (const route of routes) {
      route.mirror.diff.dispose();
      route.store.close();
      route.mirror.lock?.release();
    }
    await client.close();
  }
}

/** Interrupted wins, then the first audience that failed. */
function worstExitCode(codes: readonly number[]): number {
  if (codes.includes(ExitCode.interrupted)) return ExitCode.interrupted;
  return codes.find((code) => code !== ExitCode.ok) ?? ExitCode.ok;
}
