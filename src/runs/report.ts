// How a run ended, built once per command from plain data: each audience's report from its tally and
// its end, then the run's: a plain run's report is its audience's, an --audience-column run's holds the
// totals plus `audiences` (contract: "The run report"). The exit code, the stop sentence, the summary
// and the hint are read off the same data, so every shape of run ends alike.
import { REFRESH_TOKEN_WARNING_MS } from '../auth/stored-tokens.js';
import type { Context } from '../context.js';
import type { StopReason } from '../identify/identified-rows.js';
import { addLimitKeys } from '../report/limits.js';
import { buildRunReport, type Operation, type RunReport } from '../report/run-report.js';
import { formatSummary } from '../report/summary.js';
import { clean } from '../report/table.js';
import { COMPLETED, endAsOfNow, exitCodeOf, isStopped, outcomeName, stoppedBy, type RunEnd } from '../send/outcome.js';
import type { TallyCounts } from '../send/tally.js';
import type { Routing } from './settings.js';

export interface RequestCounts {
  requests: number;
  retries: number;
  rateLimited: number;
}

/** What one audience's report is made of. */
export interface AudienceParts {
  command: string;
  operation: Operation;
  dryRun: boolean;
  target: { adAccountId?: string; audienceId?: string; audienceName?: string; customerListId?: string };
  counts: TallyCounts;
  requests: RequestCounts;
  startedAt: number;
  finishedAt: number;
  listType: string | undefined;
  /** Rows went as records_v2 rows (API 5.28): the report's `recordsFormat`. */
  recordsV2?: boolean;
  runId: number | undefined;
  input: string;
  columns: Record<string, string>;
  /** Undefined when the run failed before this audience ended. */
  end: RunEnd | undefined;
  /** Overrides the outcome name read off `end` (a sync dry run: 'dry_run'). */
  outcome?: string;
  falseDuplicateProbability: number;
}

export interface AudienceEnd {
  report: RunReport;
  end: RunEnd;
  exitCode: number;
}

export function audienceReport(parts: AudienceParts): RunReport {
  const report = buildRunReport({
    command: parts.command,
    operation: parts.operation,
    dryRun: parts.dryRun,
    target: parts.target,
    counts: parts.counts,
    client: parts.requests,
    startedAt: parts.startedAt,
    finishedAt: parts.finishedAt,
    listType: parts.listType,
    runId: parts.runId,
    input: parts.input,
    columns: parts.columns,
    outcome: parts.outcome ?? outcomeName(parts.end),
    stoppedBy: stoppedBy(parts.end ?? { stop: 'fatal', fatal: undefined }),
    falseDuplicateProbability: parts.falseDuplicateProbability,
  });
  if (parts.recordsV2 !== undefined) report.recordsFormat = parts.recordsV2 ? 'records_v2' : 'records';
  return report;
}

/**
 * Phones written without + are read only with --phone-country: said when rows were not synced for an
 * invalid phone and no country was given.
 */
export function phoneCountryNotes(report: RunReport, phoneCountry: string | undefined): string[] {
  const invalid = report.notSyncedReasons.invalid_phone ?? 0;
  if (invalid === 0 || phoneCountry !== undefined) return [];
  return [`${invalid.toLocaleString('en-US')} rows had only a phone number pinsync could not read: numbers written without + (or 00) need --phone-country, e.g. --phone-country US.`];
}

/** What the run's own report adds to its audiences' (the rows that reached none, run-wide counters). */
export interface RunParts extends Omit<AudienceParts, 'target' | 'end' | 'runId' | 'falseDuplicateProbability'> {
  routing: Routing;
  adAccountId: string | undefined;
  /** The run's stop signal (Ctrl-C, SIGTERM): a run stopped before an audience opened ends interrupted. */
  stop: AbortSignal;
  /** The client's list exceptions and its refresh token's expiry (none without a client). */
  client: (Parameters<typeof addLimitKeys>[1] & { refreshExpiresAt?(): number | undefined }) | undefined;
}

export interface RunEndReport {
  report: RunReport;
  exitCode: number;
  end: RunEnd;
}

/**
 * Runs the phases of a run before its audiences end (connecting, looking the audience up, reading,
 * sending). When the stop signal (Ctrl-C, SIGTERM) cuts one of them short, `stopped()` gives every
 * audience opened so far an interrupted end, and the run goes on to its end like any other: summary,
 * report, exit 130, whichever phase it was in.
 */
export async function untilStopped<T>(stop: AbortSignal, phases: () => Promise<T>, stopped: () => T): Promise<T> {
  try {
    return await phases();
  } catch (error) {
    if (isStopped(error, stop)) return stopped();
    throw error;
  }
}

/** The run's report and exit code: one audience's own, or the totals of a fan-out with `audiences`. */
export function runReport(parts: RunParts, audiences: readonly AudienceEnd[]): RunEndReport {
  if (parts.routing.column === undefined && audiences.length === 0) audiences = [unopenedAudience(parts, parts.routing.audience)];
  const worst = worstAudience(audiences);
  // No audience at all: every row named none (exit 0), or the run was stopped before one opened (130).
  const end = worst?.end ?? endAsOfNow(COMPLETED, parts.stop);
  const exitCode = worst ? worstExitCode(audiences) : exitCodeOf(end, 0);
  if (parts.routing.column === undefined) {
    return { report: addCredentialKeys(addLimitKeys(audiences[0]!.report, parts.client, end.fatal), parts.client), exitCode, end };
  }
  const top = audienceReport({
    ...parts,
    target: { adAccountId: audiences[0]?.report.adAccountId ?? parts.adAccountId },
    end,
    outcome: worst?.report.outcome,
    runId: undefined,
    falseDuplicateProbability: 0,
  });
  const report = fanOutReport(top, parts.routing.column ?? '', audiences.map((a) => a.report));
  return { report: addCredentialKeys(addLimitKeys(report, parts.client, end.fatal), parts.client), exitCode, end };
}

/** `refreshExpiresAt`: when the refresh token the run used expires (null when unknown, e.g. PINSYNC_ACCESS_TOKEN). */
function addCredentialKeys(report: RunReport, client: RunParts['client']): RunReport {
  const expiresAt = client?.refreshExpiresAt?.();
  report.refreshExpiresAt = expiresAt === undefined ? null : new Date(expiresAt).toISOString();
  return report;
}

/** The refresh token runs out soon although this run tried to renew it: a person must log in before then. */
function warnOfRefreshExpiry(ctx: Context, report: RunReport): void {
  if (typeof report.refreshExpiresAt !== 'string') return;
  const left = Date.parse(report.refreshExpiresAt) - ctx.now();
  if (left >= REFRESH_TOKEN_WARNING_MS) return;
  const days = Math.max(0, Math.floor(left / (24 * 3600_000)));
  ctx.warn(
    `the Pinterest refresh token expires on ${report.refreshExpiresAt.slice(0, 10)} (in ${days === 1 ? '1 day' : `${days} days`}) and renewing it did not extend it: run \`pinsync login\` before then (an unattended job: set PINSYNC_REFRESH_TOKEN to the new refresh token).`,
  );
}

/**
 * A plain run whose audience was never opened: it was stopped while connecting or looking the audience
 * up (any other failure there throws), so it ends interrupted. Nothing was read or sent.
 */
function unopenedAudience(parts: RunParts, audienceName: string): AudienceEnd {
  const end = endAsOfNow(COMPLETED, parts.stop);
  const report = audienceReport({ ...parts, target: { adAccountId: parts.adAccountId, audienceName }, runId: undefined, end, falseDuplicateProbability: 0 });
  return { report, end, exitCode: exitCodeOf(end, 0) };
}

const END_RANK: Record<StopReason, number> = { interrupted: 0, fatal: 1, input: 2, end: 3 };

/** Interrupted wins over a fatal stop, which wins over a corrupt input, which wins over a clean end; the first of equals. */
function worstAudience(audiences: readonly AudienceEnd[]): AudienceEnd | undefined {
  let worst: AudienceEnd | undefined;
  for (const audience of audiences) if (!worst || END_RANK[audience.end.stop] < END_RANK[worst.end.stop]) worst = audience;
  return worst;
}

/** The worst audience's exit code; after clean ends, 3 when any audience has rows that errored. */
function worstExitCode(audiences: readonly AudienceEnd[]): number {
  const worst = worstAudience(audiences);
  if (!worst) return 0;
  if (worst.end.stop !== 'end') return worst.exitCode;
  return audiences.find((audience) => audience.exitCode !== 0)?.exitCode ?? 0;
}

/** Counts summed over the audiences (sync adds its mirror counts). */
const SUMMED = ['entered', 'synced', 'duplicates', 'notSynced', 'errored', 'pending', 'records'] as const;
const SUMMED_IF_PRESENT = ['added', 'removed', 'unchanged', 'removeErrored', 'removePending', 'toAdd', 'toRemove'] as const;

/**
 * `top` holds the run-wide parts (client counters, times) and the counts of the rows that reached no
 * audience; the audiences' counts are added to it. Per audience, `requests` counts its own write
 * requests; retries and rate-limited answers are run-wide, so they are only at the top.
 */
function fanOutReport(top: RunReport, column: string, audiences: RunReport[]): RunReport {
  for (const key of SUMMED) top[key] = audiences.reduce((sum, a) => sum + a[key], top[key]);
  for (const key of SUMMED_IF_PRESENT) {
    if (audiences.some((a) => typeof a[key] === 'number')) top[key] = audiences.reduce((sum, a) => sum + (Number(a[key]) || 0), 0);
  }
  top.notSyncedReasons = mergeCounts(top.notSyncedReasons, audiences.map((a) => a.notSyncedReasons));
  top.errors = mergeCounts(top.errors, audiences.map((a) => a.errors));
  if (top.dryRun) {
    top.wouldSend = {
      requests: audiences.reduce((sum, a) => sum + (a.wouldSend?.requests ?? 0), 0),
      records: audiences.reduce((sum, a) => sum + (a.wouldSend?.records ?? 0), 0),
    };
  }
  top.audienceColumn = column;
  top.audiences = audiences.map(({ retries: _retries, rateLimited: _rateLimited, ...rest }) => rest);
  return top;
}

function mergeCounts(first: Record<string, number>, rest: Record<string, number>[]): Record<string, number> {
  const merged = { ...first };
  for (const counts of rest) for (const [key, value] of Object.entries(counts)) merged[key] = (merged[key] ?? 0) + value;
  return merged;
}

/** What the end of a run says on stderr, besides the report itself. */
export interface EndTalk {
  /** A line after the summary's counts (a sync's mirror line). */
  summaryLine?(report: RunReport): string;
  /** Lines said after the summary: audiences still pending, an audience not created. */
  notes: readonly string[];
  /** How to resume (the journals'), undefined without a history. */
  resumeHint: string | undefined;
  /** The sentence for rows (and removals) that could not be delivered, given the hint's tail. */
  undelivered(report: RunReport, hintTail: string): string;
  /** Said after the interrupted hint (a sync: when its snapshot is replaced). */
  afterInterrupted?: string;
  /** Standard input cannot be read again. */
  fromStdin: boolean;
}

/** The stop sentence, the summary, the notes and the hint: the same for every shape of run. */
export function tellRunEnd(ctx: Context, ended: RunEndReport, talk: EndTalk): void {
  const { report, end } = ended;
  const why = stopMessage(end);
  if (end.stop === 'input' && end.fatal !== undefined) ctx.info(`pinsync: stopped by the input after ${report.synced.toLocaleString('en-US')} rows were sent to Pinterest: ${why}`);
  if (end.stop === 'fatal') ctx.info(`pinsync: stopped: ${why}`);
  ctx.stderr.write(summaryOf(report) + (talk.summaryLine?.(report) ?? ''));
  for (const note of talk.notes) ctx.info(note);
  warnOfRefreshExpiry(ctx, report);
  const hint = talk.resumeHint;
  const tail = hint ? `; ${lowerFirst(hint)}` : '.';
  if (end.stop === 'interrupted') {
    const resume =
      hint ??
      (talk.fromStdin
        ? 'Interrupted: standard input cannot be resumed; send the remaining users again (adding a user twice is harmless).'
        : 'Interrupted: run the same command again to send the rest (adding a user twice is harmless).');
    ctx.info(hint && talk.afterInterrupted ? `${hint} ${talk.afterInterrupted}` : resume);
  } else if (end.stop === 'input') {
    if (end.fatal !== undefined) ctx.info(hint ? `Once the input is fixed, ${lowerFirst(hint)}` : 'Fix the input, then run the same command again (adding a user twice is harmless).');
  } else if (end.stop === 'fatal' && hint) {
    ctx.info(`Once fixed, ${lowerFirst(hint)}`);
  } else if (report.errored > 0 || Number(report.removeErrored ?? 0) > 0) {
    ctx.info(talk.undelivered(report, tail));
  }
}

/** The sentence of what stopped the run early (its error's message), undefined after a clean end or Ctrl-C. */
export function stopMessage(end: RunEnd): string | undefined {
  if (end.stop !== 'fatal' && end.stop !== 'input') return undefined;
  return end.fatal instanceof Error ? end.fatal.message : String(end.fatal);
}

/** The usual summary; for a fan-out, the totals then one line per audience. */
function summaryOf(report: RunReport): string {
  const audiences = report.audiences as RunReport[] | undefined;
  if (!audiences) return formatSummary(report, report.input);
  const column = clean(String(report.audienceColumn));
  const count = `${audiences.length} ${audiences.length === 1 ? 'audience' : 'audiences'}`;
  const totals = formatSummary({ ...report, audienceName: `${count} named in column ${column}` }, report.input);
  const n = (value: number) => value.toLocaleString('en-US');
  const lines = audiences.map((a) => {
    const dry = report.dryRun;
    const mirror =
      typeof a.added !== 'number' ? '' : dry ? `, would add ${n(Number(a.toAdd))}, would remove ${n(Number(a.toRemove))}` : `, ${n(a.added)} added, ${n(Number(a.removed))} removed`;
    return `  · "${clean(a.audienceName ?? '?')}": ${n(a.entered)} rows, ${n(a.synced)} ${dry ? 'would sync' : 'synced'}, ${n(a.duplicates)} duplicates, ${n(a.notSynced)} not synced, ${n(a.errored)} errored, ${n(a.pending)} pending${mirror}`;
  });
  return totals + lines.map((line) => line + '\n').join('');
}

function lowerFirst(text: string): string {
  return text.charAt(0).toLowerCase() + text.slice(1);
}
