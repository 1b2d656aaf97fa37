// The one object every command gets: streams, environment, clock, paths, config, prompter, abort signal.
// Nothing below src/commands reads process.env or writes process.stdout directly.
import type { Readable, Writable } from 'node:stream';
import { ConfigStore } from './config.js';
import { resolvePaths, type PinsyncPaths } from './paths.js';
import { inquirerPrompter, type Prompter } from './prompt.js';
import { redact } from './redact.js';
import type { WriteBudget } from './pinterest/ratelimit/index.js';

export type Env = Record<string, string | undefined>;

export interface Context {
  stdin: Readable;
  stdout: Writable;
  stderr: Writable;
  stdinIsTTY: boolean;
  stdoutIsTTY: boolean;
  stderrIsTTY: boolean;
  env: Env;
  profile: string;
  debug: boolean;
  /** Colour on stderr: a TTY, and neither NO_COLOR nor CI. */
  color: boolean;
  /** A person is there to answer: stdin and stderr are terminals. */
  canPrompt: boolean;
  paths: PinsyncPaths;
  config: ConfigStore;
  prompter: Prompter;
  /** Aborted on the first Ctrl-C: stop reading, let in-flight work settle, record, exit 130. */
  signal: AbortSignal;
  /** The write budget runs share (`pinsync run`: one for all its jobs); absent, each run opens its own. */
  writeBudget?: WriteBudget;
  now(): number;
  /** One line on stderr, prefixed, redacted. */
  warn(message: string): void;
  /** One line on stderr, redacted (talk, not data). */
  info(message: string): void;
  /** Only with --debug; redacted. */
  debugLog(message: string): void;
}

export interface ContextOptions {
  profile?: string;
  debug?: boolean;
  signal?: AbortSignal;
}

export function createContext(options: ContextOptions = {}): Context {
  const env = process.env;
  const stdinIsTTY = Boolean(process.stdin.isTTY);
  const stderrIsTTY = Boolean(process.stderr.isTTY);
  const debug = Boolean(options.debug);
  const paths = resolvePaths(env);
  const stderr = process.stderr;
  return {
    stdin: process.stdin,
    stdout: process.stdout,
    stderr,
    stdinIsTTY,
    stdoutIsTTY: Boolean(process.stdout.isTTY),
    stderrIsTTY,
    env,
    profile: options.profile || env.PINSYNC_PROFILE || 'default',
    debug,
    color: stderrIsTTY && !env.NO_COLOR && !isTruthy(env.CI),
    canPrompt: stdinIsTTY && stderrIsTTY,
    paths,
    config: new ConfigStore(paths.configFile),
    prompter: inquirerPrompter(process.stdin, stderr),
    signal: options.signal ?? new AbortController().signal,
    now: () => Date.now(),
    warn: (message) => stderr.write(`warning: ${redact(message)}\n`),
    info: (message) => stderr.write(`${redact(message)}\n`),
    debugLog: (message) => {
      if (debug) stderr.write(`debug: ${redact(message)}\n`);
    },
  };
}

/**
 * A closed or full stdout/stderr (`| head`, `> /dev/full`, a log reader that went away) must not stop
 * an upload: after the first failed write the stream drops whatever is written to it, and the run ends
 * by its own outcome. Without an 'error' listener Node would crash on EPIPE/ENOSPC with a stack trace.
 */
export function dropOutputOnceBroken(stream: Writable): void {
  let broken = false;
  stream.on('error', () => {
    if (broken) return;
    broken = true;
    stream.write = discardingWrite as Writable['write'];
  });
}

function discardingWrite(_chunk: unknown, encoding?: unknown, callback?: unknown): boolean {
  const done = typeof encoding === 'function' ? encoding : callback;
  if (typeof done === 'function') process.nextTick(done as () => void);
  return true;
}

export function isTruthy(value: string | undefined): boolean {
  return Boolean(value) && !['0', 'false', 'no', 'off', ''].includes(String(value).toLowerCase());
}
