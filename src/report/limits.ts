// The report keys about Pinterest's limits: `listExceptions` (what list answers carried, never
// dropped) and `quotaResetAt` (when a run stopped by a spent write quota can send the rest).
import type { RunReport } from './run-report.js';

interface ExceptionSource {
  listExceptions(): Array<{ code: number | string | null; message: string; batches: number }>;
}

/** Adds both keys to a run report: the client's list exceptions and, after a quota stop, its reset time. */
export function addLimitKeys(report: RunReport, client: ExceptionSource | undefined, fatal: unknown): RunReport {
  report.listExceptions = client?.listExceptions() ?? [];
  const resetAt = quotaResetOf(fatal);
  if (resetAt !== undefined) report.quotaResetAt = new Date(resetAt).toISOString();
  return report;
}

function quotaResetOf(fatal: unknown): number | undefined {
  const { kind, resetAt } = (fatal ?? {}) as { kind?: unknown; resetAt?: unknown };
  return kind === 'quota' && typeof resetAt === 'number' ? resetAt : undefined;
}
