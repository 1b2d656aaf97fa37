// Shared test helpers for end-to-end tests: run the BUILT CLI (`node dist/main.js`) as a user would.
//
//   import { runCli, makeHome } from './cli.js';
//   const home = makeHome();                                   // a fresh temp PINSYNC_HOME (removed at exit)
//   const r = await runCli(['audiences', 'list', '--json'], {
//     env: { PINSYNC_API_BASE: sandbox.apiBase, PINSYNC_ACCESS_TOKEN: sandbox.token },
//     home,                 // optional: reuse a PINSYNC_HOME across calls (default: a new temp one per call)
//     input: 'email\na@b.c\n', // optional: written to stdin, then stdin is closed (default: closed at once)
//     timeoutMs: 30_000,    // optional: kill the CLI after this long (the result then has code null)
//   });
//   r.code, r.stdout, r.stderr, r.home, r.signal, r.durationMs
//
// Environment: starts from process.env minus every PINSYNC_*, PINTEREST_*, GITHUB_* (a suite run inside
// GitHub Actions must not write to its job summary), proxy and colour variable,
// then sets PINSYNC_HOME, PINSYNC_KEYCHAIN=off (never touch the real keychain) and NO_COLOR=1,
// then applies `env` (a value of undefined removes a variable). stdin/stdout/stderr are pipes, so the
// CLI sees no TTY. Build first (`npm run build`); `npm test` does that.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const cliEntry = path.join(repoRoot, 'dist', 'main.js');

export interface RunCliOptions {
  env?: Record<string, string | undefined>;
  home?: string;
  input?: string | Buffer;
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

const createdHomes: string[] = [];
process.once('exit', () => {
  for (const dir of createdHomes) fs.rmSync(dir, { recursive: true, force: true });
});

/** A fresh, empty PINSYNC_HOME directory, deleted when the test process exits. */
export function makeHome(prefix = 'pinsync-test-'): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  createdHomes.push(dir);
  return dir;
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
  const home = options.home ?? makeHome();
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cliEntry, ...args], {
      cwd: options.cwd ?? repoRoot,
      env: cliEnv(home, options.env),
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 30_000);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, home, durationMs: Date.now() - started });
    });
    child.stdin.on('error', () => {}); // the CLI may exit before reading all input
    if (options.input !== undefined) child.stdin.end(options.input);
    else child.stdin.end();
  });
}

/** Parse stdout as JSON, with the output in the error when it is not. */
export function parseJsonOutput<T = unknown>(result: CliResult): T {
  try {
    return JSON.parse(result.stdout) as T;
  } catch {
    throw new Error(`stdout is not JSON (exit ${result.code}).\nstdout:\n${result.stdout}\nstderr:\n${result.stderr}`);
  }
}
