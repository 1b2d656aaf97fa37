// Runs the built CLI on a real pseudo-terminal: util-linux `script` allocates the pty, so stdin and
// stderr are TTYs to pinsync and inquirer prompts and the cli-progress bar behave as for a person.
// The test types keys as they would.
import { spawn } from 'node:child_process';
import { cliEntry, cliEnv, repoRoot } from './cli.js';
import { makeHome } from './home.js';

export const KEY = { enter: '\r', up: '\u001b[A', down: '\u001b[B' } as const;

export interface TerminalSession {
  /** Waits until the screen output (ANSI codes removed) matches, then returns it. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<string>;
  type(keys: string): void;
  exit: Promise<number | null>;
  /** Everything written to the terminal so far, raw (with escape codes and carriage returns). */
  raw(): string;
}

const ANSI = /\u001b\[[0-9;?]*[A-Za-z]|\u001b[()][A-Z0-9]|\u001b[=>]/g;

export function plain(text: string): string {
  return text.replace(ANSI, '');
}

export function runInTerminal(args: string[], options: { home?: string; env?: Record<string, string> } = {}): TerminalSession {
  const command = [process.execPath, cliEntry, ...args].map(shellQuote).join(' ');
  const env = cliEnv(options.home ?? makeHome(), { TERM: 'xterm-256color', ...options.env });
  // A fixed size: under CI the pty would otherwise start at 0x0 columns.
  const child = spawn('script', ['--quiet', '--return', '--flush', '--command', `stty cols 160 rows 40; exec ${command}`, '/dev/null'], {
    cwd: repoRoot,
    env,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  const exit = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  const killer = setTimeout(() => child.kill('SIGKILL'), 60_000);
  void exit.then(() => clearTimeout(killer));
  return {
    async waitFor(pattern, timeoutMs = 15_000) {
      const started = Date.now();
      while (!pattern.test(plain(output))) {
        if (child.exitCode !== null || Date.now() - started > timeoutMs) {
          throw new Error(`the terminal never showed ${pattern} (exit ${child.exitCode}):\n${plain(output)}`);
        }
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      return plain(output);
    },
    type(keys) {
      child.stdin.write(keys);
    },
    exit,
    raw: () => output,
  };
}

function shellQuote(value: string): string {
  return /^[\w@%+=:,./-]+$/.test(value) ? value : `'${value.replace(/'/g, `'\\''`)}'`;
}
