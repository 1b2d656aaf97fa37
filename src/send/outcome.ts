// How a push or sync run ended, in the forms the outside sees: the report's `stoppedBy`, the outcome
// name stored in the run history, and the process exit code. All three are read off the run's end here.
import { ExitCode, InterruptedError, PinsyncError } from '../errors.js';
import type { StopReason } from '../identify/identified-rows.js';

export type { StopReason };

export interface RunEnd {
  stop: StopReason;
  /** The error that stopped the run, when stop is 'fatal' (revoked token, deleted list, internal) or 'input'. */
  fatal: unknown;
}

export const COMPLETED: RunEnd = { stop: 'end', fatal: undefined };
export const INTERRUPTED: RunEnd = { stop: 'interrupted', fatal: undefined };

/**
 * How a run ended, decided at one moment: once the stop signal (Ctrl-C, SIGTERM) has fired, a run that
 * would have ended cleanly (say, while it waited for Pinterest to accept a new audience) ends interrupted.
 */
export function endAsOfNow(end: RunEnd, stop: AbortSignal): RunEnd {
  return end.stop === 'end' && stop.aborted ? INTERRUPTED : end;
}

/** The stop signal cut a phase short (a look-up, a wait): the error to end the run as interrupted on. */
export function isStopped(error: unknown, stop: AbortSignal): boolean {
  return error instanceof InterruptedError || (stop.aborted && (error as { name?: unknown } | undefined)?.name === 'AbortError');
}

/**
 * The contract's `stoppedBy`, plus "internal": the run was stopped by something that is neither the
 * user, the input nor one of Pinterest's answers below — a pinsync bug (exit 1), pinsync's own state
 * failing mid-run (busy or full PINSYNC_HOME, exit 2), or creating the audience failing for another
 * reason after its retries (the error's own exit code).
 */
export type StoppedBy = 'end' | 'interrupted' | 'input' | 'quota' | 'spam' | 'auth' | 'not_found' | 'internal';

/** The stopping error's kind, by name: ApiError kinds 'quota' and 'spam' may be newer than this code. */
const STOPPED_BY_KIND: Record<string, StoppedBy> = {
  auth: 'auth',
  permission: 'auth',
  not_found: 'not_found',
  quota: 'quota',
  spam: 'spam',
};

/** pinsync's own errors say what stopped the run by their exit code (an audience not found is exit 5). */
const STOPPED_BY_EXIT_CODE: Partial<Record<number, StoppedBy>> = { [ExitCode.auth]: 'auth', [ExitCode.notFound]: 'not_found' };

export function stoppedBy(end: RunEnd): StoppedBy {
  if (end.stop !== 'fatal') return end.stop;
  const kind = (end.fatal as { kind?: unknown } | undefined)?.kind;
  if (typeof kind === 'string' && STOPPED_BY_KIND[kind]) return STOPPED_BY_KIND[kind];
  return (end.fatal instanceof PinsyncError && STOPPED_BY_EXIT_CODE[end.fatal.exitCode]) || 'internal';
}

const OUTCOME_NAMES: Record<StoppedBy, string> = {
  end: 'completed',
  interrupted: 'interrupted',
  input: 'input_error',
  quota: 'quota_exhausted',
  spam: 'spam_rejected',
  auth: 'token_rejected',
  not_found: 'list_not_found',
  internal: 'failed',
};

/** The run history's outcome: 'completed', 'interrupted', 'token_rejected' … or 'failed' (no end: the run threw). */
export function outcomeName(end: RunEnd | undefined): string {
  return end ? OUTCOME_NAMES[stoppedBy(end)] : 'failed';
}

/** 130 interrupted, 2 input, 3 quota or spam (the rows not sent stay pending), the fatal error's own code, 3 when rows errored, else 0. */
export function exitCodeOf(end: RunEnd, errored: number): number {
  return exitCodeOfStop(stoppedBy(end), errored) ?? (end.fatal instanceof PinsyncError ? end.fatal.exitCode : ExitCode.internal);
}

/**
 * The exit code a stop reason means (also for a report read back, which keeps only `stoppedBy`), or
 * undefined when only the error that stopped the run can say.
 */
export function exitCodeOfStop(by: StoppedBy, errored: number): number | undefined {
  switch (by) {
    case 'end':
      return errored > 0 ? ExitCode.partial : ExitCode.ok;
    case 'interrupted':
      return ExitCode.interrupted;
    case 'input':
      return ExitCode.usage;
    case 'quota':
    case 'spam':
      return ExitCode.partial;
    default:
      return undefined;
  }
}
