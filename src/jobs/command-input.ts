// A job's `command:` as its input: run by the shell in the jobs file's folder, its stdout streamed
// as the rows, its exit status telling whether the export was whole. A command that fails part-way
// has printed a truncated export, and a sync that trusted it would remove every user it missed.
import { spawn, type ChildProcess } from 'node:child_process';
import { PassThrough, type Readable, type Writable } from 'node:stream';

export interface CommandInput {
  /** The command's stdout: read it as the job's standard input. */
  stdout: Readable;
  /**
   * Resolves once the command has ended: true when it exited 0 (the export is whole), false when it
   * failed, was killed or could not start. A sync awaits it before sending any removal.
   */
  complete: Promise<boolean>;
  /** How the command ended, for messages ("exited with code 3"); undefined while it runs. */
  outcome(): string | undefined;
  /** Stops the command if it still runs (the job ended early); its end then says nothing about the export. */
  stop(): void;
  /** Kills its process group now if it still runs (SIGKILL): the run is over and nobody reads it. */
  kill(): void;
}

export interface CommandInputOptions {
  cwd: string;
  env: Record<string, string | undefined>;
  /** Where the command's own stderr goes (the run's stderr); ignored when absent. */
  stderr?: Writable;
  signal?: AbortSignal;
}

/** Pinterest credentials are no business of an export command: it gets the environment without them. */
const WITHHELD_VARIABLES = ['PINSYNC_ACCESS_TOKEN', 'PINSYNC_REFRESH_TOKEN', 'PINTEREST_APP_SECRET'];

/** Grace period between SIGTERM and SIGKILL when a command must stop. */
const KILL_GRACE_MS = 5000;

/** The process groups of the commands still running in this process. */
const running = new Set<number>();

/**
 * Kills (SIGKILL) the process group of every command still running: when pinsync exits (a second
 * Ctrl-C or SIGTERM quits at once, or a run ends before a command that ignores SIGTERM has stopped),
 * no command is left running under init. Synchronous, for process.on('exit').
 */
function stopEveryCommandNow(): void {
  for (const group of running) signalGroup(group, 'SIGKILL');
  running.clear();
}

let killsOnExit = false;

/** Set with the first command, so a process that runs none never loads this module. */
function killOnExit(): void {
  if (killsOnExit) return;
  killsOnExit = true;
  process.on('exit', stopEveryCommandNow);
}

export function startCommandInput(command: string, options: CommandInputOptions): CommandInput {
  killOnExit();
  const child = spawn(command, {
    shell: true,
    cwd: options.cwd,
    env: withoutCredentials(options.env),
    stdio: ['ignore', 'pipe', options.stderr ? 'pipe' : 'ignore'],
    // Its own process group, so stopping it also stops what the shell started (a pipeline, a `bq`).
    detached: true,
  });
  if (options.stderr) child.stderr!.pipe(options.stderr, { end: false });
  const group = child.pid;
  if (group !== undefined) running.add(group);
  // Node resumes (drains) a child's stdout that nobody reads when the child exits, dropping what it
  // printed; the job reads only after looking up its audience. Piped, the output waits in `stdout`.
  const stdout = child.stdout!.pipe(new PassThrough());
  let outcome: string | undefined;
  const complete = new Promise<boolean>((resolve) => {
    child.once('error', (error) => {
      outcome = `could not start (${(error as NodeJS.ErrnoException).code ?? error.message})`;
      resolve(false);
    });
    child.once('close', (code, signal) => {
      outcome ??= signal ? `was stopped by ${signal}` : `exited with code ${code}`;
      resolve(code === 0);
    });
    // The shell has ended; what it started in its group ends with it or is stopped with the group.
    child.once('exit', () => {
      if (group !== undefined && !groupAlive(group)) running.delete(group);
    });
  });
  // On Ctrl-C the output read so far stays readable to its end: the run records what it got.
  const interrupt = () => stopGroup(child);
  options.signal?.addEventListener('abort', interrupt, { once: true });
  void complete.then(() => options.signal?.removeEventListener('abort', interrupt));
  const stop = () => {
    stdout.destroy();
    child.stdout!.destroy();
    stopGroup(child);
  };
  const kill = () => {
    if (child.exitCode !== null || child.signalCode !== null || group === undefined) return;
    signalGroup(group, 'SIGKILL');
    running.delete(group);
  };
  return { stdout, complete, outcome: () => outcome, stop, kill };
}

function stopGroup(child: ChildProcess): void {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
  const pid = child.pid;
  signalGroup(pid, 'SIGTERM');
  const timer = setTimeout(() => signalGroup(pid, 'SIGKILL'), KILL_GRACE_MS);
  timer.unref();
  child.once('close', () => clearTimeout(timer));
}

function groupAlive(group: number): boolean {
  try {
    process.kill(-group, 0);
    return true;
  } catch {
    return false;
  }
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // already gone
  }
}

function withoutCredentials(env: Record<string, string | undefined>): Record<string, string | undefined> {
  const copy = { ...env };
  for (const name of WITHHELD_VARIABLES) delete copy[name];
  return copy;
}
