// Runs the jobs of a jobs file side by side in this process (so they share one write budget),
// feeding each its file or its command's output, and sums them up as `run --json` prints them:
// `{ exitCode, jobs: [{ name, exitCode, report }] }`. What a job does is the caller's `runOne`.
import { Readable, type Writable } from 'node:stream';
import { ExitCode, PinsyncError } from '../errors.js';
import { startCommandInput, type CommandInput } from './command-input.js';
import type { Job } from './jobs-file.js';
import { NamedLines } from './named-lines.js';

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
  /** Why the job failed when it ended with a report (an output file it could not write). */
  message?: string;
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
  const commands: CommandInput[] = [];
  try {
    const results = await Promise.all(jobs.map((job) => runJob(job, runOne, options, commands)));
    return { exitCode: overallExitCode(results), jobs: results };
  } finally {
    // Every job has ended: a command still running (one that ignores SIGTERM) is not waited for.
    for (const command of commands) command.kill();
  }
}

function overallExitCode(results: ReadonlyArray<{ exitCode: number }>): number {
  return results.find((result) => result.exitCode !== ExitCode.ok)?.exitCode ?? ExitCode.ok;
}

async function runJob<R>(job: Job, runOne: RunOneJob<R>, options: RunJobsOptions, commands: CommandInput[]): Promise<JobResult<R>> {
  const { input } = job;
  if (input.kind === 'file') return settle(job, () => runOne(job, { input: input.file, complete: Promise.resolve(true) }));
  // The command's own stderr lines carry the job's name, like the job's messages.
  const stderr = options.stderr ? new NamedLines(job.name, options.stderr) : undefined;
  const command = startCommandInput(input.command, { cwd: input.cwd, env: options.env, stderr, signal: options.signal });
  commands.push(command);
  try {
    if (job.mode === 'remove') return await removeOnceWhole(job, command, runOne, options);
    const result = await settle(job, () => runOne(job, { input: '-', stdin: command.stdout, complete: command.complete }));
    return (await commandWasWhole(command, result)) ? result : truncated(job, command, result);
  } finally {
    // Its last line without a newline is said once it has ended (it may still be stopping).
    void command.complete.then(() => stderr?.flush());
  }
}

/** What a removal holds of its command's output in memory (never on disk: it is raw identifiers) before it starts. */
const MAX_HELD_REMOVAL_BYTES = 128 * 2 ** 20;

/**
 * A removal reads its command's whole output before it removes anyone: a command that fails part-way
 * has printed a truncated export, and what it printed must not be removed then (nothing is). The output
 * waits in memory, up to MAX_HELD_REMOVAL_BYTES.
 */
async function removeOnceWhole<R>(job: Job, command: CommandInput, runOne: RunOneJob<R>, options: RunJobsOptions): Promise<JobResult<R>> {
  const held: Buffer[] = [];
  let bytes = 0;
  for await (const chunk of command.stdout) {
    bytes += (chunk as Buffer).length;
    if (bytes > MAX_HELD_REMOVAL_BYTES) {
      command.stop();
      const limit = `${MAX_HELD_REMOVAL_BYTES / 2 ** 20} MiB`;
      const message = `The command of job "${job.name}" printed more than ${limit}, which a removal holds before it starts: nothing was removed. Write the export to a file and name it with file:.`;
      return { name: job.name, exitCode: ExitCode.usage, report: null, message };
    }
    held.push(chunk as Buffer);
  }
  if (!(await command.complete)) {
    if (options.signal?.aborted) {
      return { name: job.name, exitCode: ExitCode.interrupted, report: null, message: 'Interrupted before the removal started: nothing was removed.' };
    }
    return { name: job.name, exitCode: ExitCode.usage, report: null, message: incompleteMessage(job, command) };
  }
  return settle(job, () => runOne(job, { input: '-', stdin: Readable.from(held), complete: Promise.resolve(true) }));
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
  return { ...result, exitCode: ExitCode.usage, message: incompleteMessage(job, command, result.report) };
}

/** What a job whose command failed did: a sync and a removal sent nothing; a push added the users it read. */
function incompleteMessage(job: Job, command: CommandInput, report?: unknown): string {
  const failed = `The command of job "${job.name}" ${command.outcome() ?? 'failed'}: its output may be incomplete`;
  if (job.mode === 'push') {
    const synced = (report as { synced?: number } | null | undefined)?.synced ?? 0;
    return `${failed}; the ${synced.toLocaleString('en-US')} users it printed were added (adding is harmless). Fix the command and run the job again.`;
  }
  return `${failed}, so nothing was removed. Fix the command and run the job again.`;
}

async function settle<R>(job: Job, run: () => Promise<JobOutcome<R>>): Promise<JobResult<R>> {
  try {
    const { exitCode, report, message } = await run();
    return { name: job.name, exitCode, report: report ?? null, ...(message === undefined ? {} : { message }) };
  } catch (error) {
    if (error instanceof PinsyncError) return { name: job.name, exitCode: error.exitCode, report: null, message: error.message };
    return { name: job.name, exitCode: ExitCode.internal, report: null, error };
  }
}
