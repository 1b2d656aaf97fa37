// Glue between commander and a command's run function: builds the Context from the program's IO and
// the global flags, runs, and keeps the returned exit code for program.ts. Errors propagate to it.
import { InvalidArgumentError, type Command } from 'commander';
import { createContext, type Connectors, type Context, type ProgramIO } from '../context.js';
import { durationToMs } from '../duration.js';
import type { AnnounceOptions } from '../ci/announce-options.js';
import type { RunResult } from '../report/run-report.js';

/** One program run: the IO its commands get and the exit code their action returned. */
export interface ProgramRun {
  io: ProgramIO;
  exitCode: number;
}

const runs = new WeakMap<Command, ProgramRun>();

/** program.ts ties the program to its IO before parsing. */
export function bindProgramIO(program: Command, io: ProgramIO): ProgramRun {
  const run: ProgramRun = { io, exitCode: 0 };
  runs.set(program, run);
  return run;
}

function programRun(command: Command): ProgramRun {
  let root = command;
  while (root.parent) root = root.parent;
  const run = runs.get(root);
  if (!run) throw new Error('pinsync: a command ran outside runProgram()');
  return run;
}

export function contextFor(command: Command): Context {
  const globals = command.optsWithGlobals() as { profile?: string; debug?: boolean };
  return createContext(programRun(command).io, { profile: globals.profile, debug: globals.debug }, lazyConnectors);
}

/** The client modules (undici, auth) load on the first connect, not at start-up: `pinsync --version` stays fast. */
const lazyConnectors: Connectors = (ctx) => {
  const connectors = async () => (await import('../connect.js')).connectorsFor(ctx);
  return {
    connect: async (options) => (await connectors()).connect(options),
    connectInteractive: async () => (await connectors()).connectInteractive(),
    clientWithTokens: async (tokens) => (await connectors()).clientWithTokens(tokens),
  };
};

/** A run's end on stdout: the report with --json; an output file that failed is said after it (exit 2). */
export function printRunResult(ctx: Context, result: RunResult, json: boolean | undefined): number {
  if (json) ctx.stdout.write(JSON.stringify(result.report, null, 2) + '\n');
  if (result.outputFailure) throw result.outputFailure;
  return result.exitCode;
}

/**
 * A push or sync from start to end: the run, then its end announced (GitHub Actions, --notify, --ping,
 * --metrics-file; src/ci/) and printed (--json). An error before or after the result is announced too.
 */
export async function printAnnouncedRun(
  ctx: Context,
  command: 'push' | 'sync',
  options: AnnounceOptions & { json?: boolean; dryRun?: boolean },
  run: () => Promise<RunResult>,
): Promise<number> {
  const { announceRunEnd, endedRunOf } = await import('../ci/announce.js');
  return announceRunEnd(
    ctx,
    command,
    options,
    async (announcement) => {
      const result = await run();
      announcement.ended(endedRunOf(command, result, ctx.now()));
      return printRunResult(ctx, result, options.json);
    },
    options.dryRun,
  );
}

/**
 * Wrap `run(ctx, options, ...args)` as a commander action. `args` are the command's positional
 * arguments; `options` its own flags (global flags are in ctx).
 */
export function action<O, A extends unknown[] = string[]>(
  run: (ctx: Context, options: O, ...args: A) => Promise<number | void>,
): (...params: unknown[]) => Promise<void> {
  return async (...params: unknown[]) => {
    const command = params[params.length - 1] as Command;
    const options = command.opts() as O;
    const args = params.slice(0, -2) as A;
    const code = await run(contextFor(command), options, ...args);
    programRun(command).exitCode = code ?? 0;
  };
}

/** Commander option parsers that reject bad values with a usage error (exit 2). */
export function parseInteger(name: string, min: number, max: number) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min || n > max) {
      throw new InvalidArgumentError(`${name} must be a whole number from ${min} to ${max}, not "${value}".`);
    }
    return n;
  };
}

export function parseNumber(name: string, min: number, max: number) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isFinite(n) || n < min || n > max) {
      throw new InvalidArgumentError(`${name} must be a number from ${min} to ${max}, not "${value}".`);
    }
    return n;
  };
}

/** Parses "13h", "90m", "45s", "1h30m", "500ms" or plain seconds into milliseconds. */
export function parseDuration(name: string) {
  return (value: string): number => {
    const ms = durationToMs(value);
    if (ms === undefined) {
      throw new InvalidArgumentError(`${name} takes a duration such as 13h, 90m or 30s, not "${value}".`);
    }
    return ms;
  };
}
