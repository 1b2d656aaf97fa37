// Runs the jobs of a jobs file side by side in this process (so they share one write budget),
// feeding each its file or its command's output, and sums them up as `run --json` prints them:
// `{ exitCode, jobs: [{ name, exitCode, report }] }`. What a job does is the caller's `runOne`.
import type { Readable, Writable } from 'node:stream';
import { ExitCode, PinsyncError } from '../errors.js';
import { startCommandInput, type CommandInput } from './command-input.js';
import type { Job } from './jobs-file.js';

export interface JobRunInput {
  /** What to pass as the push/sync input argument: the file, or `-` for a command's output. */
  input: string;
  /** A command's stdout, to use as the job's standard input (command jobs only). */
  stdin?: Readable;
  /**
   * True once the whole input was produced: at once for a file, when its command exited 0 for a
   * command. A sync must await it before removing anything, and remove nothing when it is false.
   */
  complete: Promise<boolean>;
}

export interface JobOutcome<R> {
  exitCode: number;
  report?: R;
}

export type RunOneJob<R> = (job: Job, input: JobRunInput) => Promise<JobOutcome<R>>;

export interface JobResult<R> {
  name: string;
  exitCode: number;
  report: R | null;
  /** Why the job failed, when the runner or the job's error says so (already one plain sentence). */
  message?: string;
  /** An unexpected error thrown by the job (exit 1), for the caller to log with --debug. */
  error?: unknown;
}

export interface JobsResult<R> {
  /** 0 when every job exited 0, else the exit code of the first failed job in file order. */
  exitCode: number;
  jobs: Array<JobResult<R>>;
}

export interface RunJobsOptions {
  /** The environment commands run with (Pinterest credentials are withheld from them). */
  env: Record<string, string | undefined>;
  /** Where commands' stderr goes. */
  stderr?: Writable;
  /** Stops every command on Ctrl-C; the jobs themselves listen on their own context's signal. */
  signal?: AbortSignal;
}

export async function runJobs<R>(jobs: readonly Job[], runOne: RunOneJob<R>, options: RunJobsOptions): Promise<JobsResult<R>> {
  const results = await Promise.all(jobs.map((job) => runJob(job, runOne, options)));
  return { exitCode: overallExitCode(results), jobs: results };
}

export function overallExitCode(results: ReadonlyArray<{ exitCode: number }>): number {
  return results.find((result) => result.exitCode !== ExitCode.ok)?.exitCode ?? ExitCode.ok;
}

async function runJob<R>(job: Job, runOne: RunOneJob<R>, options: RunJobsOptions): Promise<JobResult<R>> {
  const { input } = job;
  if (input.kind === 'file') return settle(job, () => runOne(job, { input: input.file, complete: Promise.resolve(true) }));
  const command = startCommandInput(input.command, { cwd: input.cwd, env: options.env, stderr: options.stderr, signal: options.signal });
  const result = await settle(job, () => runOne(job, { input: '-', stdin: command.stdout, complete: command.complete }));
  return (await commandWasWhole(command, result)) ? result : truncated(job, command, result);
}

/** After the job: a command still running was not read to its end; stop it, it says nothing more. */
async function commandWasWhole<R>(command: CommandInput, result: JobResult<R>): Promise<boolean> {
  if (command.outcome() === undefined && result.exitCode !== ExitCode.ok) {
    command.stop();
    return true; // the job failed on its own account; keep its exit code and message
  }
  return command.complete;
}

function truncated<R>(job: Job, command: CommandInput, result: JobResult<R>): JobResult<R> {
  if (result.exitCode === ExitCode.interrupted) return result;
  return {
    ...result,
    exitCode: ExitCode.usage,
    message: `The command of job "${job.name}" ${command.outcome() ?? 'failed'}: its output may be incomplete, so nothing was removed. Fix the command and run the job again.`,
  };
}

async function settle<R>(job: Job, run: () => Promise<JobOutcome<R>>): Promise<JobResult<R>> {
  try {
    const outcome = await run();
    return { name: job.name, exitCode: outcome.exitCode, report: outcome.report ?? null };
  } catch (error) {
    if (error instanceof PinsyncError) return { name: job.name, exitCode: error.exitCode, report: null, message: error.message };
    return { name: job.name, exitCode: ExitCode.internal, report: null, error };
  }
}
