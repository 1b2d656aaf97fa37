// The seam durable runs fill in (src/state/journal.ts): sending tells the journal what it sent and
// what was acknowledged, and asks it what an earlier attempt already delivered. Without state it is a no-op.

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

/** The audience and list a run writes to, named once they are resolved (runs are listed per audience). */
export interface JournalTarget {
  adAccountId?: string;
  audienceId?: string;
  audienceName?: string;
  customerListId?: string;
}

export interface BatchJournal {
  /** Acknowledged in an earlier attempt of this run. */
  alreadyDelivered(line: number): boolean;
  /** Retry window across restarts (epoch ms), or undefined for now + --retry-for. */
  deadlineFor(firstLine: number, lastLine: number): number | undefined;
  batchSent(batch: BatchRange): void;
  batchAcknowledged(batch: BatchRange): void;
  batchFailed(batch: BatchRange, reason: string): void;
}

export const noBatchJournal: BatchJournal = {
  alreadyDelivered: () => false,
  deadlineFor: () => undefined,
  batchSent: () => {},
  batchAcknowledged: () => {},
  batchFailed: () => {},
};
