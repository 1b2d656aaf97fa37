// All counting happens here. Every row enters as pending and leaves pending exactly once, so
// entered = synced + duplicates + notSynced + errored + pending holds by construction.

export interface RejectSink {
  reject(line: number, reason: string): void;
}

export interface TallyCounts {
  entered: number;
  synced: number;
  duplicates: number;
  notSynced: number;
  errored: number;
  pending: number;
  records: number;
  notSyncedReasons: Record<string, number>;
  errors: Record<string, number>;
}

export class Tally {
  entered = 0;
  synced = 0;
  duplicates = 0;
  notSynced = 0;
  errored = 0;
  pending = 0;
  /** Identifiers Pinterest acknowledged (or, in a dry run, would have been sent). */
  records = 0;
  readonly notSyncedReasons: Record<string, number> = {};
  readonly errors: Record<string, number> = {};

  constructor(private readonly rejects?: RejectSink) {}

  rowEntered(): void {
    this.entered++;
    this.pending++;
  }

  rowNotSynced(line: number, reason: string): void {
    this.pending--;
    this.notSynced++;
    this.notSyncedReasons[reason] = (this.notSyncedReasons[reason] ?? 0) + 1;
    this.rejects?.reject(line, reason);
  }

  rowDuplicate(): void {
    this.pending--;
    this.duplicates++;
  }

  /** Rows an earlier attempt of this run delivered (durable runs). */
  rowAlreadySynced(): void {
    this.pending--;
    this.synced++;
  }

  rowsSynced(rows: number, records: number): void {
    this.pending -= rows;
    this.synced += rows;
    this.records += records;
  }

  /** `reason` is a short key for the summary; `detail` (e.g. Pinterest's message) goes to the rejects file. */
  rowsErrored(lines: readonly number[], reason: string, detail?: string): void {
    this.pending -= lines.length;
    this.errored += lines.length;
    this.errors[reason] = (this.errors[reason] ?? 0) + lines.length;
    const text = detail ? `${reason}: ${detail}` : reason;
    for (const line of lines) this.rejects?.reject(line, text);
  }

  counts(): TallyCounts {
    return {
      entered: this.entered,
      synced: this.synced,
      duplicates: this.duplicates,
      notSynced: this.notSynced,
      errored: this.errored,
      pending: this.pending,
      records: this.records,
      notSyncedReasons: { ...this.notSyncedReasons },
      errors: { ...this.errors },
    };
  }
}
