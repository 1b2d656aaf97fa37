// `pinsync run <jobs.yaml> [JOB...]`: runs a checked jobs file (jobs-file.ts), every job as the
// same push, remove or sync would run on the command line (runPush, runSync: journal, lock, snapshot,
// report, exit code), side by side in this process under one write budget shared in turn. Each job
// gets its own Context: its clients take turns in the shared budget, its stderr lines carry its name,
// and its run hands back its report. The command loads the plan and announces the run's end (src/ci/).
import path from 'node:path';
import { PassThrough, Writable, type Readable } from 'node:stream';
import { connectorsFor, openWriteBudget } from '../connect.js';
import type { JobsReport } from '../ci/ended-run.js';
import type { ConnectOptions, Context } from '../context.js';
import { ExitCode, UsageError } from '../errors.js';
import type { PushOptions, SyncOptions } from '../runs/options.js';
import { redact } from '../redact.js';
import { checkOutputPaths, writeOutputFile, type InputPath, type OutputPath } from '../report/output-file.js';
import type { RunReport, RunResult } from '../report/run-report.js';
import type { WriteBudget } from '../pinterest/ratelimit/index.js';
import type { Job, JobsPlan } from './jobs-file.js';
import { NamedLines } from './named-lines.js';
import { runJobs, type JobOutcome, type JobResult, type JobRunInput, type JobsResult } from './side-by-side.js';

export interface RunCommandOptions {
  dryRun?: boolean;
  json?: boolean;
  report?: string;
  /** false with --no-progress. */
  progress?: boolean;
  /** --metrics-file or the file's `metrics_file:`: checked with the other outputs before any job starts. */
  metricsFile?: string;
}

/**
 * Runs the plan's jobs; `ended` hears the jobs' report as soon as it exists, before --json and --report
 * are written (a report file that then fails still leaves the run's end known).
 */
export async function runJobsFile(ctx: Context, plan: JobsPlan, options: RunCommandOptions, ended: (report: JobsReport) => void = () => {}): Promise<number> {
  checkRunOutputs(plan, options.report, options.metricsFile);
  const budget = await openWriteBudget(ctx.paths.stateDir, plan.rate, ctx.debugLog, ctx.warn);
  let result: JobsResult<RunReport>;
  try {
    result = await runJobs(plan.jobs, (job, input) => runOneJob(ctx, job, input, { plan, budget, run: options }), {
      env: ctx.env,
      stderr: ctx.stderr,
      signal: ctx.signal,
    });
  } finally {
    budget.close();
  }
  const report = jobsReport(result);
  ctx.stderr.write(formatJobsSummary(plan, result));
  for (const job of result.jobs) {
    if (job.error !== undefined && ctx.debug && job.error instanceof Error) ctx.debugLog(`[${job.name}] ${job.error.stack ?? job.error.message}`);
  }
  ended(report);
  // stdout first: a report file that fails now (a disk filled during the run) still leaves the JSON.
  if (options.json) ctx.stdout.write(JSON.stringify(report, null, 2) + '\n');
  if (options.report) writeJobsReport(options.report, report);
  return result.exitCode;
}

interface RunShared {
  plan: JobsPlan;
  budget: WriteBudget;
  run: RunCommandOptions;
}

async function runOneJob(ctx: Context, job: Job, input: JobRunInput, shared: RunShared): Promise<JobOutcome<RunReport>> {
  const stderr = new NamedLines(job.name, ctx.stderr);
  const jobCtx = jobContext(ctx, input.stdin, stderr, shared.budget);
  const options = {
    ...job.options,
    rate: shared.plan.rate,
    dryRun: Boolean(shared.run.dryRun || job.options.dryRun),
    progress: shared.run.progress !== false,
  } as PushOptions & SyncOptions;
  try {
    const result = await runAsOnTheCommandLine(jobCtx, job, shared.plan.file, options, input);
    // A report or rejects file that failed after the sending keeps the job's counts: its rows were sent.
    const failure = result.outputFailure;
    if (failure) return { exitCode: failure.exitCode, report: result.report, message: failure.message };
    return { exitCode: result.exitCode, report: result.report };
  } finally {
    stderr.flush();
  }
}

/** The same entry points as `pinsync push`/`sync` (with or without --audience-column). */
async function runAsOnTheCommandLine(ctx: Context, job: Job, file: string, options: PushOptions & SyncOptions, input: JobRunInput): Promise<RunResult> {
  if (job.mode !== 'sync') {
    const { runPush } = await import('../runs/push.js');
    return runPush(ctx, options, input.input, { inputComplete: input.complete });
  }
  const { runSync } = await import('../runs/sync.js');
  return runSync(ctx, options, input.input, { inputComplete: input.complete, job: `${file}#${job.name}` });
}

/** The run's Context with the job's streams: no terminal (no bars, no prompts); its runs' clients take turns in the run's budget. */
function jobContext(ctx: Context, stdin: Readable | undefined, stderr: Writable, budget: WriteBudget): Context {
  const debug = ctx.debug;
  const job: Context = {
    ...ctx,
    stdin: stdin ?? emptyInput(),
    stdout: new Writable({ write: (_chunk, _encoding, done) => done() }), // a run prints nothing there; its report comes back
    stderr,
    stdinIsTTY: false,
    stdoutIsTTY: false,
    stderrIsTTY: false,
    color: false,
    canPrompt: false,
    warn: (message) => stderr.write(`warning: ${redact(message)}\n`),
    info: (message) => stderr.write(`${redact(message)}\n`),
    debugLog: (message) => {
      if (debug) stderr.write(`debug: ${redact(message)}\n`);
    },
  };
  const own = connectorsFor(job);
  return Object.assign(job, own, { connect: (options?: ConnectOptions) => own.connect({ ...options, budget }) });
}

function emptyInput(): Readable {
  const stream = new PassThrough();
  stream.end();
  return stream;
}

/**
 * Every output of the run (`--report`, each job's `report:` and `rejects:`) is checked before any job
 * starts: writable, and never one of the run's inputs (the jobs file, a job's input, an exclusion list).
 */
export function checkRunOutputs(plan: JobsPlan, report: string | undefined, metricsFile?: string): void {
  const inputs: InputPath[] = [{ what: 'the jobs file', file: plan.file }];
  for (const job of plan.jobs) {
    if (job.input.kind === 'file') inputs.push({ what: `the input of job "${job.name}"`, file: job.input.file });
    for (const file of job.options.exclude) inputs.push({ what: 'the exclusion file (exclude:)', file });
  }
  const outputs: OutputPath[] = report ? [{ flag: '--report', file: report }] : [];
  if (metricsFile) outputs.push({ flag: '--metrics-file', file: metricsFile });
  for (const job of plan.jobs) {
    if (job.options.report) outputs.push({ flag: `job "${job.name}": report:`, file: job.options.report });
    if (job.options.rejects) outputs.push({ flag: `job "${job.name}": rejects:`, file: job.options.rejects });
  }
  try {
    checkOutputPaths(inputs, outputs);
  } catch (error) {
    if (error instanceof UsageError) throw new UsageError(`${error.message} Nothing was run.`, { cause: error });
    throw error;
  }
}

function jobsReport(result: JobsResult<RunReport>): JobsReport {
  return {
    exitCode: result.exitCode,
    jobs: result.jobs.map((job) => ({
      name: job.name,
      exitCode: job.exitCode,
      report: job.report,
      ...(job.exitCode !== ExitCode.ok ? { message: jobMessage(job) } : {}),
    })),
  };
}

function jobMessage(job: JobResult<RunReport>): string {
  if (job.message) return redact(job.message);
  if (job.error !== undefined) return `unexpected error: ${redact(job.error instanceof Error ? job.error.message : String(job.error))}`;
  return `exited with code ${job.exitCode}`;
}

function writeJobsReport(file: string, report: JobsReport): void {
  writeOutputFile('--report', file, JSON.stringify(report, null, 2) + '\n');
}

const n = (value: number) => value.toLocaleString('en-US');

/** One line per job and a total, after every job's own summary. */
function formatJobsSummary(plan: JobsPlan, result: JobsResult<RunReport>): string {
  const width = Math.max(...result.jobs.map((job) => job.name.length));
  const modes = new Map(plan.jobs.map((job) => [job.name, job.mode]));
  const lines = result.jobs.map((job) => {
    const head = `  ${job.name.padEnd(width)}  ${(modes.get(job.name) ?? '').padEnd(6)}  exit ${job.exitCode}`;
    const counts = job.report ? `  ${countsText(job.report)}` : '';
    const why = job.exitCode !== ExitCode.ok ? `  (${jobMessage(job)})` : '';
    return head + counts + why;
  });
  const reports = result.jobs.flatMap((job) => (job.report ? [job.report] : []));
  const failed = result.jobs.filter((job) => job.exitCode !== ExitCode.ok).length;
  const name = plan.file === '-' ? 'standard input' : path.basename(plan.file);
  return `Jobs of ${name}:\n${lines.join('\n')}\nTotal: ${result.jobs.length} job${result.jobs.length === 1 ? '' : 's'}, ${failed} failed (exit ${result.exitCode}); ${totalsText(reports)}\n`;
}

/** The jobs' counts summed; dry-run jobs say what they would have done, and their rows never count as synced or sent. */
function totalsText(reports: readonly RunReport[]): string {
  const sum = (list: readonly RunReport[], key: 'entered' | 'synced' | 'notSynced' | 'errored' | 'pending' | 'records') => list.reduce((total, report) => total + report[key], 0);
  const real = reports.filter((report) => !report.dryRun);
  const dry = reports.filter((report) => report.dryRun);
  const synced = [...(real.length > 0 || dry.length === 0 ? [`${n(sum(real, 'synced'))} synced`] : []), ...(dry.length > 0 ? [`${n(sum(dry, 'synced'))} would sync`] : [])];
  const counts = `${n(sum(reports, 'entered'))} entered, ${synced.join(', ')}, ${n(sum(reports, 'notSynced'))} not synced, ${n(sum(reports, 'errored'))} errored, ${n(sum(reports, 'pending'))} pending`;
  if (real.length === 0 && dry.length > 0) return `dry run: ${counts}; nothing was sent.`;
  return `${counts}; ${n(sum(real, 'records'))} records sent.`;
}

function countsText(report: RunReport): string {
  const dry = report.dryRun;
  const mirror =
    report.operation !== 'MIRROR' ? '' : dry ? `, would add ${n(Number(report.toAdd ?? 0))}, would remove ${n(Number(report.toRemove ?? 0))}` : `, ${n(Number(report.added ?? 0))} added, ${n(Number(report.removed ?? 0))} removed`;
  return `${n(report.entered)} entered, ${n(report.synced)} ${dry ? 'would sync' : 'synced'}, ${n(report.errored)} errored${mirror}`;
}
