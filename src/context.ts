// The one object every command gets: streams, environment, clock, paths, config, prompter, abort signal,
// and the factory of API clients (gh's f.HttpClient(): nothing connects until a run asks).
// Nothing below src/commands reads process.env or writes process.stdout directly.
import type { Readable, Writable } from 'node:stream';
import { ConfigStore } from './config.js';
import { resolvePaths, type PinsyncPaths } from './paths.js';
import type { ClientEvent, PinterestClient } from './pinterest/client.js';
import type { TokenProvider } from './pinterest/tokens.js';
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
  /** A client for a run (push, sync): its writes take turns in the token's write budget. */
  connect(options?: ConnectOptions): Promise<PinterestClient>;
  /** A client for a listing or look-up command (accounts, audiences, status): a few calls, a minute of retries. */
  connectInteractive(): Promise<PinterestClient>;
  /** A client for tokens the caller already holds (login's fresh ones), with the interactive limits. */
  clientWithTokens(tokens: TokenProvider): Promise<PinterestClient>;
  now(): number;
  /** One line on stderr, prefixed, redacted. */
  warn(message: string): void;
  /** One line on stderr, redacted (talk, not data). */
  info(message: string): void;
  /** Only with --debug; redacted. */
  debugLog(message: string): void;
}

/** The outside world one program run gets: the process's, or pipes in tests (src/program.ts). */
export interface ProgramIO {
  stdin: Readable;
  stdout: Writable;
  stderr: Writable;
  stdinIsTTY: boolean;
  stdoutIsTTY: boolean;
  stderrIsTTY: boolean;
  env: Env;
  /** Aborted by the first SIGINT or SIGTERM. */
  signal: AbortSignal;
  /** The wall clock (token expiry, run times, retention); tests pass a virtual one. Default Date.now. */
  now?: () => number;
}

export function processIO(signal: AbortSignal): ProgramIO {
  return {
    stdin: process.stdin,
    stdout: process.stdout,
    stderr: process.stderr,
    stdinIsTTY: Boolean(process.stdin.isTTY),
    stdoutIsTTY: Boolean(process.stdout.isTTY),
    stderrIsTTY: Boolean(process.stderr.isTTY),
    env: process.env,
    signal,
  };
}

export interface ConnectOptions {
  /** ads_write requests per second (push --rate). */
  writeRate?: number;
  /** ms one call keeps retrying (push --retry-for). */
  retryFor?: number;
  timeoutMs?: number;
  /** Progress hook (retries, rate limits); --debug request lines are added anyway. */
  onEvent?: (event: ClientEvent) => void;
  /** The budget to take turns in (`pinsync run`: one for all its jobs); absent, the client opens its own. */
  budget?: WriteBudget;
}

type ConnectorKey = 'connect' | 'connectInteractive' | 'clientWithTokens';
/** A Context before it can make clients. */
type ContextBase = Omit<Context, ConnectorKey>;
/** How a Context makes its clients (src/connect.ts: connectorsFor); they read the rest of the Context they complete. */
export type Connectors = (ctx: Context) => Pick<Context, ConnectorKey>;

export interface ContextOptions {
  profile?: string;
  debug?: boolean;
}

export function createContext(io: ProgramIO, options: ContextOptions, connectors: Connectors): Context {
  const { env, stdinIsTTY, stderrIsTTY, stderr } = io;
  const debug = Boolean(options.debug);
  const paths = resolvePaths(env);
  const base: ContextBase = {
    stdin: io.stdin,
    stdout: io.stdout,
    stderr,
    stdinIsTTY,
    stdoutIsTTY: io.stdoutIsTTY,
    stderrIsTTY,
    env,
    profile: options.profile || env.PINSYNC_PROFILE || 'default',
    debug,
    color: stderrIsTTY && !env.NO_COLOR && !isTruthy(env.CI),
    canPrompt: stdinIsTTY && stderrIsTTY,
    paths,
    config: new ConfigStore(paths.configFile),
    prompter: inquirerPrompter(io.stdin, stderr),
    signal: io.signal,
    now: io.now ?? (() => Date.now()),
    warn: (message) => stderr.write(`warning: ${redact(message)}\n`),
    info: (message) => stderr.write(`${redact(message)}\n`),
    debugLog: (message) => {
      if (debug) stderr.write(`debug: ${redact(message)}\n`);
    },
  };
  const ctx = base as Context; // completed by its connectors, which only use it when called
  return Object.assign(ctx, connectors(ctx));
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
