// How a push, sync or `run` ended, as the outside world is told it (a GitHub job summary, step outputs,
// an annotation, a chat message, a ping, a metrics file): one line per audience, one sentence on how
// the run ended, and what the operator must do. Built once from the run's result, the jobs' report, or
// the error that stopped the command before it had a report.
import { REFRESH_TOKEN_WARNING_MS } from '../auth/stored-tokens.js';
import { ExitCode, PinsyncError } from '../errors.js';
import { redact } from '../redact.js';
import type { RunReport, RunResult } from '../report/run-report.js';
import { clean } from '../report/table.js';
import { exitCodeOfStop, type StoppedBy } from '../send/outcome.js';

export type RunCommand = 'push' | 'sync' | 'run';

/** One audience (or a job that failed before it had one) as a table row. */
export interface AudienceLine {
  /** The job it belongs to (`pinsync run`). */
  job?: string;
  name: string;
  entered?: number;
  synced?: number;
  duplicates?: number;
  notSynced?: number;
  notSyncedReasons?: Record<string, number>;
  errored?: number;
  pending?: number;
  /** sync: identifiers added and removed. */
  added?: number;
  removed?: number;
  exitCode: number;
}

export interface EndedRun {
  command: RunCommand;
  exitCode: number;
  dryRun: boolean;
  audiences: AudienceLine[];
  totals: { entered: number; synced: number; notSynced: number; errored: number; pending: number; records: number };
  /** The durable runs' ids (`pinsync runs show ID`), in order. */
  runIds: number[];
  /** One sentence on how it ended: the annotation, the notification's text and the summary's first line. */
  sentence: string;
  /** What the operator must do (a quota reset, a refresh token near expiry, an audience still pending). */
  todo: string[];
  durationMs?: number;
  /** The run report (push, sync) or the jobs report (run) as --json prints it; absent when the command failed first. */
  report?: RunReport | JobsReport;
}

/** What `run --json` prints and `run --report` writes (contract: "Jobs file"; jobs/run-jobs-file.ts builds it). */
export interface JobsReport {
  exitCode: number;
  jobs: ReadonlyArray<{ name: string; exitCode: number; report: RunReport | null; message?: string }>;
}

const n = (value: number) => value.toLocaleString('en-US');

/** A push or sync that returned its result. */
export function endedRunOf(command: RunCommand, result: RunResult, now: number): EndedRun {
  const { report, exitCode } = result;
  const sentence = runSentence(report, exitCode, result.stopMessage);
  return {
    command,
    exitCode,
    dryRun: report.dryRun,
    audiences: audiencesOf(report, exitCode),
    totals: totalsOf([report]),
    runIds: runIdsOf(report),
    sentence,
    todo: todoOf([report], now),
    durationMs: report.durationMs,
    report,
  };
}

/** `pinsync run`: every job's audiences, the first failed job's sentence (in file order). */
export function endedJobsOf(report: JobsReport, dryRun: boolean, now: number): EndedRun {
  const reports = report.jobs.flatMap((job) => (job.report ? [job.report] : []));
  const audiences = report.jobs.flatMap((job) =>
    job.report
      ? audiencesOf(job.report, job.exitCode).map((line) => ({ ...line, job: job.name }))
      : [{ job: job.name, name: '', exitCode: job.exitCode }],
  );
  return {
    command: 'run',
    exitCode: report.exitCode,
    dryRun,
    audiences,
    totals: totalsOf(reports),
    runIds: reports.flatMap(runIdsOf),
    sentence: jobsSentence(report),
    todo: todoOf(reports, now),
    durationMs: spanOf(reports),
    report,
  };
}

/** The command stopped before a run report existed (bad flags, no credentials, a jobs file that does not parse). */
export function endedByError(command: RunCommand, error: unknown, dryRun = false): EndedRun {
  return {
    command,
    exitCode: exitCodeOfError(error),
    dryRun,
    audiences: [],
    totals: { entered: 0, synced: 0, notSynced: 0, errored: 0, pending: 0, records: 0 },
    runIds: [],
    sentence: errorSentence(error),
    todo: [],
  };
}

/** The same end, with the error that came after the result (a --report file that could not be written). */
export function endedWithError(ended: EndedRun, error: unknown): EndedRun {
  return { ...ended, exitCode: exitCodeOfError(error), sentence: errorSentence(error) };
}

export function exitCodeOfError(error: unknown): number {
  if (error instanceof PinsyncError) return error.exitCode;
  const code = (error as { code?: unknown } | undefined)?.code;
  // Commander's own errors (a bad flag value) are usage errors.
  if (typeof code === 'string' && code.startsWith('commander.')) return ExitCode.usage;
  return ExitCode.internal;
}

function errorSentence(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const said = error instanceof PinsyncError ? message : `unexpected error: ${message}`;
  return oneLine(redact(said));
}

/** A fan-out's audiences, or the run's own. */
function audienceReports(report: RunReport): RunReport[] {
  return Array.isArray(report.audiences) ? (report.audiences as RunReport[]) : [report];
}

function audiencesOf(report: RunReport, exitCode: number): AudienceLine[] {
  const reports = audienceReports(report);
  return reports.map((audience) => ({
    name: audienceName(audience),
    entered: audience.entered,
    synced: audience.synced,
    duplicates: audience.duplicates,
    notSynced: audience.notSynced,
    notSyncedReasons: audience.notSyncedReasons,
    errored: audience.errored,
    pending: audience.pending,
    ...(typeof audience.added === 'number' ? { added: audience.added, removed: Number(audience.removed ?? 0) } : {}),
    exitCode: reports.length === 1 ? exitCode : audienceExitCode(audience, exitCode),
  }));
}

function audienceName(report: RunReport): string {
  return clean(report.audienceName ?? report.audienceId ?? '?');
}

/** One audience's exit code in a fan-out, read off its own end (the run's code is the worst of them). */
function audienceExitCode(report: RunReport, runExitCode: number): number {
  const errored = report.errored + Number(report.removeErrored ?? 0);
  const by = report.stoppedBy as StoppedBy;
  if (by === 'auth') return ExitCode.auth;
  if (by === 'not_found') return ExitCode.notFound;
  return exitCodeOfStop(by, errored) ?? runExitCode;
}

function totalsOf(reports: readonly RunReport[]): EndedRun['totals'] {
  const sum = (key: 'entered' | 'synced' | 'notSynced' | 'errored' | 'pending' | 'records') => reports.reduce((total, report) => total + report[key], 0);
  return { entered: sum('entered'), synced: sum('synced'), notSynced: sum('notSynced'), errored: sum('errored'), pending: sum('pending'), records: sum('records') };
}

function runIdsOf(report: RunReport): number[] {
  return audienceReports(report).flatMap((audience) => (typeof audience.runId === 'number' ? [audience.runId] : []));
}

/** First start to last end of the jobs. */
function spanOf(reports: readonly RunReport[]): number | undefined {
  if (reports.length === 0) return undefined;
  const started = Math.min(...reports.map((report) => Date.parse(report.startedAt)));
  const finished = Math.max(...reports.map((report) => Date.parse(report.finishedAt)));
  return finished - started;
}

/** "audience "Newsletter"", or "3 audiences of column segment" for a fan-out. */
function targetOf(report: RunReport): string {
  const audiences = report.audiences as RunReport[] | undefined;
  if (!audiences) return `audience "${audienceName(report)}"`;
  return `${audiences.length} ${audiences.length === 1 ? 'audience' : 'audiences'} of column ${clean(String(report.audienceColumn ?? '?'))}`;
}

/** How a push or sync ended, in one sentence. */
export function runSentence(report: RunReport, exitCode: number, stopMessage?: string): string {
  const target = targetOf(report);
  if (exitCode === ExitCode.ok) {
    const verb = report.dryRun ? 'Dry run: would sync' : report.operation === 'REMOVE' ? 'Removed' : 'Synced';
    const mirror = typeof report.added === 'number' ? ` (+${n(report.added)} added, -${n(Number(report.removed ?? 0))} removed)` : '';
    const notSynced = report.notSynced > 0 ? `; ${n(report.notSynced)} not synced (${topReasons(report.notSyncedReasons, 3)})` : '';
    return `${verb} ${n(report.synced)} of ${n(report.entered)} rows ${report.operation === 'REMOVE' ? 'from' : 'into'} ${target}${mirror}${notSynced}.`;
  }
  const pending = n(report.pending);
  switch (report.stoppedBy) {
    case 'quota':
      return `Pinterest's write quota for this token is used up until ${utcTime(String(report.quotaResetAt ?? ''))}: ${pending} rows of ${target} are pending; run the same command again after that to send them.`;
    case 'spam':
      return `Pinterest blocked an upload to ${target} as spam: ${n(report.errored)} rows errored and ${pending} are pending; check the audience content with Pinterest.`;
    case 'interrupted':
      return `Interrupted: ${n(report.synced)} rows of ${target} were synced and ${pending} are pending; run the same command again to resume.`;
    case 'end': {
      const removals = Number(report.removeErrored ?? 0) > 0 ? ` and ${n(Number(report.removeErrored))} removals` : '';
      return `${n(report.errored)} rows${removals} could not be delivered to ${target} after retries ran out; run the same command again to retry them${runsShowHint(report)}.`;
    }
    default:
      return oneLine(redact(stopMessage ?? `The run stopped (${report.stoppedBy}) after ${n(report.synced)} rows of ${target} were synced.`));
  }
}

function runsShowHint(report: RunReport): string {
  const [runId] = runIdsOf(report);
  return runId === undefined ? '' : ` (\`pinsync runs show ${runId}\` lists their lines)`;
}

function jobsSentence(report: JobsReport): string {
  const failed = report.jobs.filter((job) => job.exitCode !== ExitCode.ok);
  const count = `${report.jobs.length} ${report.jobs.length === 1 ? 'job' : 'jobs'}`;
  if (failed.length === 0) {
    const synced = report.jobs.reduce((sum, job) => sum + (job.report?.synced ?? 0), 0);
    return `All ${count} ended well: ${n(synced)} rows synced.`;
  }
  const each = failed.map((job) => `${job.name} exit ${job.exitCode}: ${job.report ? runSentence(job.report, job.exitCode, job.message) : oneLine(job.message ?? 'failed')}`);
  return `${failed.length} of ${count} failed. ${each.join(' ')}`;
}

/** What to do after the run, from the reports' keys. */
function todoOf(reports: readonly RunReport[], now: number): string[] {
  const todo = new Set<string>();
  for (const report of reports) {
    for (const audience of audienceReports(report)) {
      if (audience.audiencePending === true) {
        const why = typeof audience.audiencePendingReason === 'string' ? `: ${oneLine(audience.audiencePendingReason)}` : '';
        todo.add(`Audience "${audienceName(audience)}" is not created yet${why}. The next run of it creates it on customer list ${audience.customerListId}.`);
      }
    }
    if (typeof report.quotaResetAt === 'string') {
      todo.add(`Pinterest's write quota resets at ${utcTime(report.quotaResetAt)}: run again after that to send the ${n(report.pending)} pending rows.`);
    }
    const expiry = typeof report.refreshExpiresAt === 'string' ? Date.parse(report.refreshExpiresAt) : NaN;
    if (Number.isFinite(expiry) && expiry - now < REFRESH_TOKEN_WARNING_MS) {
      const days = Math.max(0, Math.floor((expiry - now) / 86_400_000));
      todo.add(`The refresh token expires ${utcTime(new Date(expiry).toISOString())} (in ${days} ${days === 1 ? 'day' : 'days'}): run \`pinsync login\` and, for a CI job, set its \`PINSYNC_REFRESH_TOKEN\` secret to the new refresh token.`);
    }
  }
  return [...todo];
}

/** "invalid email 80, excluded 10" */
export function topReasons(reasons: Record<string, number> | undefined, count: number): string {
  return Object.entries(reasons ?? {})
    .filter(([, value]) => value > 0)
    .sort((a, b) => b[1] - a[1])
    .slice(0, count)
    .map(([reason, value]) => `${reason.replace(/_/g, ' ')} ${n(value)}`)
    .join(', ');
}

function utcTime(iso: string): string {
  const time = Date.parse(iso);
  return Number.isFinite(time) ? new Date(time).toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' UTC') : 'an unknown time';
}

function oneLine(text: string): string {
  return text.replace(/\s*[\r\n]+\s*/g, ' ').trim();
}
