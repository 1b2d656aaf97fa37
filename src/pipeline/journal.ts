// The seam durable runs fill in (src/state): push tells the journal what it sent and what was
// acknowledged, and asks it what an earlier attempt already delivered. Without state it is a no-op.
import type { RunReport } from '../report/run-report.js';

export interface BatchRange {
  id: number;
  firstLine: number;
  lastLine: number;
  /** Number of records (identifiers) in the request. */
  records: number;
  startedAt: number;
  /** Input lines of the rows the batch carries (extra to the seam: the range may hold skipped rows). */
  lines: readonly number[];
}

export interface PushJournal {
  /** Acknowledged in an earlier attempt of this run. */
  alreadyDelivered(line: number): boolean;
  /** Retry window across restarts (epoch ms), or undefined for now + --retry-for. */
  deadlineFor(firstLine: number, lastLine: number): number | undefined;
  batchSent(batch: BatchRange): void;
  batchAcknowledged(batch: BatchRange): void;
  batchFailed(batch: BatchRange, reason: string): void;
  finish(report: RunReport, exitCode: number): void;
}

export const noopJournal: PushJournal = {
  alreadyDelivered: () => false,
  deadlineFor: () => undefined,
  batchSent: () => {},
  batchAcknowledged: () => {},
  batchFailed: () => {},
  finish: () => {},
};
