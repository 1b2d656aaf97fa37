// How a push or sync run ended, in the two forms the outside sees: the outcome name stored in the
// run history and report, and the process exit code.
import { ExitCode, PinsyncError } from '../errors.js';

export type StopReason = 'end' | 'interrupted' | 'fatal';

export interface RunEnd {
  stop: StopReason;
  /** The error that stopped the run (revoked token, deleted list, internal), when stop is 'fatal'. */
  fatal: unknown;
}

/** 'completed', 'interrupted', 'token_rejected', 'list_not_found' or 'failed' (no end: the run threw). */
export function outcomeName(end: RunEnd | undefined): string {
  if (!end) return 'failed';
  if (end.stop === 'interrupted') return 'interrupted';
  if (end.stop === 'fatal') {
    const kind = (end.fatal as { kind?: string } | undefined)?.kind;
    return kind === 'auth' || kind === 'permission' ? 'token_rejected' : kind === 'not_found' ? 'list_not_found' : 'failed';
  }
  return 'completed';
}

/** 130 interrupted, the fatal error's own code, 3 when rows errored, else 0. */
export function exitCodeOf(end: RunEnd, errored: number): number {
  if (end.stop === 'interrupted') return ExitCode.interrupted;
  if (end.stop === 'fatal') return end.fatal instanceof PinsyncError ? end.fatal.exitCode : ExitCode.internal;
  return errored > 0 ? ExitCode.partial : ExitCode.ok;
}
