// The built CLI as a separate process (`node dist/main.js`), for the tests where a process is the point:
// real signals, kill -9, pipes closed under it, a pty, the keychain, login's browser, `pinsync sandbox`.
// Everything else runs in this process (support/in-process.ts), with the same options and result.
//
//   const r = await runCli(['push', file, '--audience', 'X', '--json'], { env: sandboxEnv(sandbox), home });
//   r.code, r.stdout, r.stderr, r.home, r.signal, r.durationMs
//   const cli = spawnCli([...]); await waitUntil(…); cli.kill('SIGINT'); const r = await cli.result;
//
// Environment: process.env minus every PINSYNC_*, PINTEREST_*, GITHUB_* (a suite run inside GitHub
// Actions must not write to its job summary), proxy and colour variable, then PINSYNC_HOME,
// PINSYNC_KEYCHAIN=off (never the real keychain) and NO_COLOR=1, then `env` (a value of undefined removes
// a variable). stdio are pipes unless `stdio` says otherwise, so the CLI sees no TTY.
// Build first (`npm run build`); `npm test` does.
import { spawn, type StdioOptions } from 'node:child_process';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { makeHome } from './home.js';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const cliEntry = path.join(repoRoot, 'dist', 'main.js');

export interface RunCliOptions {
  env?: Record<string, string | undefined>;
  home?: string;
  /** Written to stdin, then stdin is closed (default: closed at once). */
  input?: string | Buffer;
  /** Stop the run after this long (spawned: SIGKILL; in-process: its stop signal); the result then has code null. */
  timeoutMs?: number;
  cwd?: string;
}

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  home: string;
  durationMs: number;
}

/** A command line still running: its output so far, and its result once it has ended. */
export interface RunningCli {
  stdout(): string;
  stderr(): string;
  /** Whether the run has ended (the process exited, or the in-process run returned its code). */
  ended(): boolean;
  readonly result: Promise<CliResult>;
}

export interface SpawnedCli extends RunningCli {
  kill(signal: NodeJS.Signals): void;
  /** The child's stdin, when it was left open (`keepInputOpen`). */
  stdin: NodeJS.WritableStream | null;
  /** Walk away from the reading end of stdout or stderr (`| head -c1`). */
  closeReader(stream: 'stdout' | 'stderr'): void;
}

export interface SpawnCliOptions extends RunCliOptions {
  /** Leave stdin open for the test to write to (`stdin`) and end. */
  keepInputOpen?: boolean;
  /** Instead of three pipes, e.g. ['ignore', fd, 'pipe'] for a stdout on /dev/full. */
  stdio?: StdioOptions;
}

const STRIPPED = /^(PINSYNC_|PINTEREST_|GITHUB_|HTTPS?_PROXY$|NO_PROXY$|ALL_PROXY$|FORCE_COLOR$|NO_COLOR$|CI$)/i;

export function cliEnv(home: string, overrides: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!STRIPPED.test(key)) env[key] = value;
  }
  env.PINSYNC_HOME = home;
  env.PINSYNC_KEYCHAIN = 'off';
  env.NO_COLOR = '1';
  for (const [key, value] of Object.entries(overrides)) {
    if (value === undefined) delete env[key];
    else env[key] = value;
  }
  return env;
}

/** Spawn `node dist/main.js ...args` and collect its exit code and output. Never rejects on a non-zero exit. */
export function runCli(args: string[], options: RunCliOptions = {}): Promise<CliResult> {
  return spawnCli(args, options).result;
}

/** Spawn the CLI in the background: the test may signal it, kill it, write to it or close its readers. */
export function spawnCli(args: string[], options: SpawnCliOptions = {}): SpawnedCli {
  const home = options.home ?? makeHome();
  const started = Date.now();
  const child = spawn(process.execPath, [cliEntry, ...args], {
    cwd: options.cwd ?? repoRoot,
    env: cliEnv(home, options.env),
    stdio: options.stdio ?? ['pipe', 'pipe', 'pipe'],
  });
  const stdout = collect(child.stdout);
  const stderr = collect(child.stderr);
  const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 30_000);
  const result = new Promise<CliResult>((resolve, reject) => {
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout: stdout(), stderr: stderr(), home, durationMs: Date.now() - started });
    });
  });
  if (child.stdin) {
    child.stdin.on('error', () => {}); // the CLI may exit before reading all input
    if (options.input !== undefined) child.stdin.end(options.input);
    else if (!options.keepInputOpen) child.stdin.end();
  }
  return {
    stdout,
    stderr,
    result,
    stdin: options.keepInputOpen ? child.stdin : null,
    kill: (signal) => child.kill(signal),
    closeReader: (stream) => child[stream]?.destroy(),
    ended: () => child.exitCode !== null || child.signalCode !== null,
  };
}

function collect(stream: Readable | null): () => string {
  let text = '';
  stream?.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
  return () => text;
}

/** Parse stdout as JSON, with the output in the error when it is not. */
export function parseJsonOutput<T = unknown>(result: Pick<CliResult, 'code' | 'stdout' | 'stderr'>): T {
  try {
    return JSON.parse(result.stdout) as T;
  } catch {
    throw new Error(`stdout is not JSON (exit ${result.code}).\nstdout:\n${result.stdout}\nstderr:\n${result.stderr}`);
  }
}
