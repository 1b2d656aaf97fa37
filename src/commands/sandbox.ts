// STUB: to be written. Keep this file light: flags and options only; import heavy modules lazily in the action.
import type { Command } from 'commander';

export function registerSandbox(program: Command): void {
  void program;
}
