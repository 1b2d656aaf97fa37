// normalise → hash → dedupe for one row: decides whether the row is not synced (and why), a
// duplicate, or carries new records. Works on reused arrays; nothing is allocated per row.
import type { ColumnPlan } from './columns.js';
import { INVALID, OK, OPTED_OUT_DEVICE, type HashResult } from './hash-pool.js';
import type { DigestSet } from './dedupe.js';
import { invalidReasonOf, isBlank, normaliserFor, OPTED_OUT, type InvalidReason, type Normalised, type UnusableReason } from './normalise.js';

export type NotSyncedReason = UnusableReason | 'missing_identifier' | 'malformed_row';

export const Verdict = { New: 0, Duplicate: 1, NotSynced: 2 } as const;
export type Verdict = (typeof Verdict)[keyof typeof Verdict];

export class RowIdentifier {
  /** After `identify` returned New: the row's new records are records[0 .. count-1]. */
  readonly records: string[] = [];
  count = 0;
  /** The verdict of the last identifyHashed call. */
  verdict: Verdict = Verdict.NotSynced;
  /** After `identify` returned NotSynced: why. */
  reason: NotSyncedReason = 'missing_identifier';
  private readonly normalisers: Array<(raw: string) => Normalised>;
  private readonly invalidReasons: InvalidReason[];

  constructor(
    plan: ColumnPlan,
    private readonly seen: DigestSet,
  ) {
    this.normalisers = plan.columns.map((c) => normaliserFor(c.kind));
    this.invalidReasons = plan.columns.map((c) => invalidReasonOf[c.kind]);
  }

  identify(values: readonly string[]): Verdict {
    let usable = 0;
    let fresh = 0;
    let unusable: UnusableReason | undefined;
    for (let i = 0; i < this.normalisers.length; i++) {
      const raw = values[i]!;
      if (isBlank(raw)) continue;
      const record = this.normalisers[i]!(raw);
      if (typeof record !== 'string') {
        unusable ??= record === OPTED_OUT ? 'opted_out_device' : this.invalidReasons[i];
        continue;
      }
      usable++;
      if (this.seen.add(record)) this.records[fresh++] = record;
    }
    this.count = fresh;
    if (usable === 0) {
      this.reason = unusable ?? 'missing_identifier';
      return Verdict.NotSynced;
    }
    return fresh === 0 ? Verdict.Duplicate : Verdict.New;
  }

  /**
   * The same verdict for a row the pool hashed: its values are `result.status[first ..]`, its
   * records start at `offset` of `result.records`. Returns the offset after them.
   */
  identifyHashed(result: HashResult, first: number, offset: number): number {
    let usable = 0;
    let fresh = 0;
    let unusable: UnusableReason | undefined;
    for (let i = 0; i < this.invalidReasons.length; i++) {
      const status = result.status[first + i];
      if (status === INVALID) {
        unusable ??= this.invalidReasons[i];
      } else if (status === OPTED_OUT_DEVICE) {
        unusable ??= 'opted_out_device';
      } else if (status === OK) {
        const length = result.lengths[first + i]!;
        usable++;
        if (this.seen.addAt(result.records, offset)) this.records[fresh++] = result.records.slice(offset, offset + length);
        offset += length;
      }
    }
    this.count = fresh;
    if (usable === 0) {
      this.reason = unusable ?? 'missing_identifier';
      this.verdict = Verdict.NotSynced;
    } else {
      this.verdict = fresh === 0 ? Verdict.Duplicate : Verdict.New;
    }
    return offset;
  }
}
