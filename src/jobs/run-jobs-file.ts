// `pinsync run <jobs.yaml> [JOB...]`: runs a checked jobs file (jobs-file.ts), every job as the
// same push, remove or sync would run on the command line (runPush, runSync: journal, lock, snapshot,
// report, exit code), side by side in this process under one write budget shared in turn. Each job
// gets its own Context: its clients take turns in the shared budget, its stderr lines carry its name,
// and its run hands back its report. The run's own end (the jobs summary, --report) is said here; the
// command prints --json and announces the end.
import fs from 'node:fs';
import path from 'node:path';
import { PassThrough, Writable, type Readable } from 'node:stream';
import { connectorsFor, openWriteBudget } from '../connect.js';
import type { ConnectOptions, Context } from '../context.js';
import { ExitCode, UsageError } from '../errors.js';
import type { PushOptions, SyncOptions } from '../runs/options.js';
import { redact } from '../redact.js';
import type { RunReport, RunResult } from '../report/run-report.js';
import type { WriteBudget } from '../pinterest/ratelimit/index.js';
import type { Job, JobsPlan } from './jobs-file.js';
import { runJobs, type JobOutcome, type JobResult, type JobRunInput, type JobsResult } from './side-by-side.js';

export interface RunCommandOptions {
  dryRun?: boolean;
  json?: boolean;
  report?: string;
  /** false with --no-progress. */
  progress?: boolean;
}

/** What `run --json` prints and `run --report` writes (contract: "Jobs file"). */
export interface JobsReport {
  exitCode: number;
  jobs: Array<{ name: string; exitCode: number; report: RunReport | null; message?: string }>;
}

export async function runJobsFile(ctx: Context, plan: JobsPlan, options: RunCommandOptions): Promise<JobsReport> {
  if (options.report) checkReportPath(options.report, plan);
  const budget = await openWriteBudget(ctx.paths.stateDir, plan.rate, ctx.debugLog);
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
  if (options.report) writeJobsReport(options.report, report);
  return report;
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
    const result = await runAsOnTheCommandLine(jobCtx, job, options, input);
    if (result.outputFailure) throw result.outputFailure;
    return { exitCode: result.exitCode, report: result.report };
  } finally {
    stderr.flush();
  }
}

/** The same entry points as `pinsync push`/`sync` (with or without --audience-column). */
async function runAsOnTheCommandLine(ctx: Context, job: Job, options: PushOptions & SyncOptions, input: JobRunInput): Promise<RunResult> {
  if (job.mode !== 'sync') {
    const { runPush } = await import('../runs/push.js');
    return runPush(ctx, options, input.input);
  }
  const { runSync } = await import('../runs/sync.js');
  return runSync(ctx, options, input.input, { inputComplete: input.complete });
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

/** A job's stderr: whole lines, each prefixed with the job's name, so jobs running together stay readable. */
class NamedLines extends Writable {
  private partial = '';

  constructor(
    private readonly name: string,
    private readonly target: Writable,
  ) {
    super();
  }

  override _write(chunk: Buffer | string, _encoding: BufferEncoding, done: () => void): void {
    const lines = (this.partial + String(chunk)).split('\n');
    this.partial = lines.pop()!;
    for (const line of lines) this.target.write(`[${this.name}] ${line}\n`);
    done();
  }

  flush(): void {
    if (this.partial) this.target.write(`[${this.name}] ${this.partial}\n`);
    this.partial = '';
  }
}

/** --report FILE must be writable before any job starts (a report lost after the run helps nobody). */
function checkReportPath(file: string, plan: JobsPlan): void {
  const absolute = path.resolve(file);
  if (absolute === plan.file) throw new UsageError('--report must not be the jobs file itself; nothing was run.');
  try {
    const stat = fs.statSync(absolute, { throwIfNoEntry: false });
    if (stat?.isDirectory()) throw new UsageError(`--report ${file} is a folder; name a file. Nothing was run.`);
    fs.accessSync(stat ? absolute : path.dirname(absolute), fs.constants.W_OK);
  } catch (error) {
    if (error instanceof UsageError) throw error;
    throw new UsageError(`Cannot write the report to ${file} (${(error as NodeJS.ErrnoException).code ?? 'error'}); nothing was run.`);
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
  try {
    fs.writeFileSync(file, JSON.stringify(report, null, 2) + '\n', { mode: 0o600 });
  } catch (error) {
    throw new UsageError(`Cannot write the report to ${file} (${(error as NodeJS.ErrnoException).code ?? 'error'}).`);
  }
}

const n = (value: number) => value.toLocaleString('en-US');

/** One line per job and a total, after every job's own summary. */
export function formatJobsSummary(plan: JobsPlan, result: JobsResult<RunReport>): string {
  const width = Math.max(...result.jobs.map((job) => job.name.length));
  const modes = new Map(plan.jobs.map((job) => [job.name, job.mode]));
  const lines = result.jobs.map((job) => {
    const head = `  ${job.name.padEnd(width)}  ${(modes.get(job.name) ?? '').padEnd(6)}  exit ${job.exitCode}`;
    const counts = job.report ? `  ${countsText(job.report)}` : '';
    const why = job.exitCode !== ExitCode.ok ? `  (${jobMessage(job)})` : '';
    return head + counts + why;
  });
  const reports = result.jobs.flatMap((job) => (job.report ? [job.report] : []));
  const total = (key: 'entered' | 'synced' | 'notSynced' | 'errored' | 'pending' | 'records') => reports.reduce((sum, report) => sum + report[key], 0);
  const failed = result.jobs.filter((job) => job.exitCode !== ExitCode.ok).length;
  const totals =
    `Total: ${result.jobs.length} job${result.jobs.length === 1 ? '' : 's'}, ${failed} failed (exit ${result.exitCode}); ` +
    `${n(total('entered'))} entered, ${n(total('synced'))} synced, ${n(total('notSynced'))} not synced, ${n(total('errored'))} errored, ${n(total('pending'))} pending; ${n(total('records'))} records sent.`;
  return `Jobs of ${path.basename(plan.file)}:\n${lines.join('\n')}\n${totals}\n`;
}

function countsText(report: RunReport): string {
  const mirror = report.operation === 'MIRROR' ? `, ${n(Number(report.added ?? 0))} added, ${n(Number(report.removed ?? 0))} removed` : '';
  return `${n(report.entered)} entered, ${n(report.synced)} synced, ${n(report.errored)} errored${mirror}`;
}
