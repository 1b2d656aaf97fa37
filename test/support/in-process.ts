// Runs a pinsync command line in THIS process (gh's `runCommand` with IOStreams.Test()): the built
// program (dist/program.js, so worker threads load as in the CLI) gets pipes for stdin, stdout and
// stderr, the same environment `runCli` gives a child, and a stop signal the test may abort (what the
// first SIGINT/SIGTERM does). Same options and result as runCli, without a process per call. Spawn the
// CLI (support/cli.ts) only for what needs a process: signals, pipes closed under it, a pty, the keychain.
//
//   const r = await runInProcess(['push', file, '--audience', 'X', '--json'], { env: sandboxEnv(sandbox) });
//   r.code, r.stdout, r.stderr, r.home
//   const run = startInProcess([...]); …; run.stop(); const r = await run.result;   // Ctrl-C mid-run
//   const live = startInProcess(['push', '-', …], { keepInputOpen: true }); live.write('email\n…'); live.end();
import path from 'node:path';
import { PassThrough, Writable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { pathToFileURL } from 'node:url';
import type { runProgram as RunProgram } from '../../src/program.js';
import { cliEnv, repoRoot, type CliResult, type RunCliOptions, type RunningCli } from './cli.js';
import { makeHome } from './home.js';

export interface InProcessOptions extends RunCliOptions {
  /** Leave stdin open: the test writes to it (`write`) and closes it (`end`), as a slow producer would. */
  keepInputOpen?: boolean;
}

export interface InProcessRun extends RunningCli {
  /** Aborts the run's stop signal, as the first Ctrl-C or SIGTERM does. */
  stop(): void;
  /** With `keepInputOpen`: more input on stdin, and the end of it. */
  write(chunk: string | Buffer): void;
  end(chunk?: string | Buffer): void;
}

let program: Promise<{ runProgram: typeof RunProgram }> | undefined;

function loadProgram(): Promise<{ runProgram: typeof RunProgram }> {
  program ??= import(pathToFileURL(path.join(repoRoot, 'dist', 'program.js')).href) as Promise<{ runProgram: typeof RunProgram }>;
  return program;
}

export interface InProcessOptions extends RunCliOptions {
  /** The program's clock (ctx.now), e.g. a sandbox's virtual clock: `sandbox.clock.now`. */
  now?: () => number;
}

export function runInProcess(args: string[], options: InProcessOptions = {}): Promise<CliResult> {
  return startInProcess(args, options).result;
}

export function startInProcess(args: string[], options: InProcessOptions = {}): InProcessRun {
  const home = options.home ?? makeHome();
  const stdout = new Collected();
  const stderr = new Collected();
  const stdin = new PassThrough();
  if (options.input !== undefined) stdin.end(options.input);
  else if (!options.keepInputOpen) stdin.end();
  const controller = new AbortController();
  const started = Date.now();
  let ended = false;
  const result = (async (): Promise<CliResult> => {
    const { runProgram } = await loadProgram();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, options.timeoutMs ?? 30_000);
    const cwd = process.cwd();
    if (options.cwd) process.chdir(options.cwd);
    try {
      const code = await runProgram(['node', 'pinsync', ...args], {
        stdin,
        stdout,
        stderr,
        stdinIsTTY: false,
        stdoutIsTTY: false,
        stderrIsTTY: false,
        env: cliEnv(home, options.env),
        signal: controller.signal,
        now: options.now,
      });
      return { code: timedOut ? null : code, signal: null, stdout: stdout.text, stderr: stderr.text, home, durationMs: Date.now() - started };
    } finally {
      ended = true;
      clearTimeout(timer);
      if (options.cwd) process.chdir(cwd);
    }
  })();
  return {
    stop: () => controller.abort(),
    write: (chunk) => stdin.write(chunk),
    end: (chunk) => (chunk === undefined ? stdin.end() : stdin.end(chunk)),
    ended: () => ended,
    stdout: () => stdout.text,
    stderr: () => stderr.text,
    result,
  };
}

/** A stdout or stderr that keeps what is written, as text (a character split across writes stays whole). */
class Collected extends Writable {
  text = '';
  private readonly decoder = new StringDecoder('utf8');

  override _write(chunk: Buffer | string, _encoding: BufferEncoding, done: () => void): void {
    this.text += typeof chunk === 'string' ? chunk : this.decoder.write(chunk);
    done();
  }
}
