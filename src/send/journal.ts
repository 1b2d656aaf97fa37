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
  /**
   * Before the request goes out: the batch is sent once this settles (a promise while the journal waits
   * for a busy state file). It rejects when the batch must not be sent: the state gave up, or the run
   * was stopped meanwhile (InterruptedError).
   */
  batchSent(batch: BatchRange): void | Promise<void>;
  /** Kept (in memory if need be) until the journal has it; never throws. */
  batchAcknowledged(batch: BatchRange): void;
  batchFailed(batch: BatchRange, reason: string): void;
  /** Settles once every entry so far is recorded; rejects when the state gave up. */
  flush?(): Promise<void>;
}

export const noBatchJournal: BatchJournal = {
  alreadyDelivered: () => false,
  deadlineFor: () => undefined,
  batchSent: () => {},
  batchAcknowledged: () => {},
  batchFailed: () => {},
};
