// A Context for in-process tests: the given environment, a temp PINSYNC_HOME, captured stderr/stdout,
// no terminal, and a clock the test can move.
import { PassThrough } from 'node:stream';
import type { Context, Env } from '../../src/context.js';
import { ConfigStore } from '../../src/config.js';
import { connectorsFor } from '../../src/connect.js';
import { resolvePaths } from '../../src/paths.js';
import { redact } from '../../src/redact.js';
import type { Prompter } from '../../src/prompt.js';
import { makeHome } from './home.js';

export interface TestContext extends Context {
  output(): { stdout: string; stderr: string };
  advance(ms: number): void;
}

const noPrompts: Prompter = {
  select: async () => {
    throw new Error('no prompts in tests');
  },
  input: async () => {
    throw new Error('no prompts in tests');
  },
  password: async () => {
    throw new Error('no prompts in tests');
  },
  confirm: async () => false,
};

export function testContext(env: Env = {}, profile = 'default', overrides: Partial<Context> = {}): TestContext {
  const fullEnv: Env = { PINSYNC_HOME: makeHome(), PINSYNC_KEYCHAIN: 'off', ...env };
  const paths = resolvePaths(fullEnv);
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
  let offset = 0;
  const ctx = {
    stdin: new PassThrough(),
    stdout,
    stderr,
    stdinIsTTY: false,
    stdoutIsTTY: false,
    stderrIsTTY: false,
    env: fullEnv,
    profile,
    debug: false,
    color: false,
    canPrompt: false,
    paths,
    config: new ConfigStore(paths.configFile),
    prompter: noPrompts,
    signal: new AbortController().signal,
    now: () => Date.now() + offset,
    warn: (message) => stderr.write(`warning: ${redact(message)}\n`),
    info: (message) => stderr.write(`${redact(message)}\n`),
    debugLog: () => {},
    output: () => ({ stdout: out, stderr: err }),
    advance: (ms: number) => (offset += ms),
    ...overrides,
  } as TestContext;
  return Object.assign(ctx, connectorsFor(ctx), pick(overrides, ['connect', 'connectInteractive', 'clientWithTokens']));
}

function pick<T extends object, K extends keyof T>(from: T, keys: K[]): Partial<T> {
  return Object.fromEntries(keys.filter((key) => from[key] !== undefined).map((key) => [key, from[key]])) as unknown as Partial<T>;
}

/** A context on `home` whose clock reads `clock.now`, which the test moves (the state store's tests). */
export function contextAt(home: string, clock = { now: 1_700_000_000_000 }): TestContext {
  return testContext({ PINSYNC_HOME: home }, 'default', { now: () => clock.now });
}
