// Glue between commander and a command's run function: builds the Context from the global flags,
// runs, and turns the returned number into process.exitCode. Errors propagate to main.ts.
import { InvalidArgumentError, type Command } from 'commander';
import { createContext, type Context } from '../context.js';
import { durationToMs } from '../duration.js';

let sharedSignal: AbortSignal | undefined;

/** main.ts hands over the signal that the first Ctrl-C aborts. */
export function setInterruptSignal(signal: AbortSignal): void {
  sharedSignal = signal;
}

export function contextFor(command: Command): Context {
  const globals = command.optsWithGlobals() as { profile?: string; debug?: boolean };
  return createContext({ profile: globals.profile, debug: globals.debug, signal: sharedSignal });
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
    process.exitCode = code ?? 0;
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
