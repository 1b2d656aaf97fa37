// normalise → hash → exclude → dedupe for one row: decides whether the row is not synced (and why),
// a duplicate, or carries new records (with records_v2: the row itself, made of all its identifiers).
// Works on reused arrays; nothing is allocated per row but the records it sends.
import type { ColumnPlan } from '../input/columns.js';
import { INVALID, OK, OPTED_OUT_DEVICE, type HashResult } from './hash-pool.js';
import type { DigestSet } from './dedupe.js';
import { noExclusions, type Exclusions } from './exclusions.js';
import { hexWord } from './hex-digits.js';
import { invalidReasonOf, isBlank, normaliserFor, OPTED_OUT, type InvalidReason, type Normalised, type NormaliseOptions, type UnusableReason } from './normalise.js';
import { encodeRow, tagOf, type RowTag } from './row-record.js';

export type NotSyncedReason = UnusableReason | 'missing_identifier' | 'malformed_row' | 'excluded';

export const Verdict = { New: 0, Duplicate: 1, NotSynced: 2 } as const;
export type Verdict = (typeof Verdict)[keyof typeof Verdict];

/**
 * Whether a judged row had a valid identifier (what the wrong-mapping guard counts): an excluded row
 * had one, it is left out on purpose.
 */
export function hadValidIdentifier(verdict: Verdict, reason: NotSyncedReason): boolean {
  return verdict !== Verdict.NotSynced || reason === 'excluded';
}

export class RowIdentifier {
  /** After `identify` returned New: the row's new records are records[0 .. count-1] (with records_v2: its one row). */
  readonly records: string[] = [];
  count = 0;
  /** The verdict of the last identifyHashed call. */
  verdict: Verdict = Verdict.NotSynced;
  /** After `identify` returned NotSynced: why. */
  reason: NotSyncedReason = 'missing_identifier';
  private readonly normalisers: Array<(raw: string) => Normalised>;
  private readonly invalidReasons: InvalidReason[];
  /** A phone column of a run that sends `records` (NDJSON whose first objects held no phone): phones go only in records_v2 rows. */
  private readonly skipped: boolean[];
  private readonly tags: RowTag[];
  /** Every row becomes one records_v2 row of all its identifiers (API 5.28). */
  private readonly recordsV2: boolean;

  /** The row's usable records before the exclusion check and the row's making (only filled when collecting). */
  private readonly usable: string[] = [];
  private readonly usableTag: RowTag[] = [];
  /** Where each usable record starts in a hashed block's `records`, its length and first two words (identifyHashed). */
  private readonly usableAt: number[] = [];
  private readonly usableLength: number[] = [];
  private readonly usableHi: Uint32Array;
  private readonly usableLo: Uint32Array;
  private readonly excluding: boolean;
  /** A row's usable records are gathered before any enters the duplicate set (exclusions, records_v2). */
  private readonly collects: boolean;

  constructor(
    plan: ColumnPlan,
    private readonly seen: DigestSet,
    private readonly exclusions: Exclusions = noExclusions,
    options: NormaliseOptions = {},
  ) {
    this.normalisers = plan.columns.map((c) => normaliserFor(c.kind, options));
    this.invalidReasons = plan.columns.map((c) => invalidReasonOf[c.kind]);
    this.recordsV2 = Boolean(plan.recordsV2);
    this.skipped = plan.columns.map((c) => c.kind === 'phone' && !this.recordsV2);
    this.tags = plan.columns.map((c) => tagOf[c.kind]);
    this.usableHi = new Uint32Array(plan.columns.length);
    this.usableLo = new Uint32Array(plan.columns.length);
    // A set still loading counts as one to check (it is complete before the first row is judged).
    this.excluding = !exclusions.complete || exclusions.size > 0;
    this.collects = this.excluding || this.recordsV2;
  }

  identify(values: readonly string[]): Verdict {
    let usable = 0;
    let fresh = 0;
    let unusable: UnusableReason | undefined;
    for (let i = 0; i < this.normalisers.length; i++) {
      const raw = values[i]!;
      if (this.skipped[i] || isBlank(raw)) continue;
      const record = this.normalisers[i]!(raw);
      if (typeof record !== 'string') {
        unusable ??= record === OPTED_OUT ? 'opted_out_device' : this.invalidReasons[i];
        continue;
      }
      if (this.collects) {
        this.usable[usable] = record;
        this.usableTag[usable] = this.tags[i]!;
      } else if (this.seen.add(record)) this.records[fresh++] = record;
      usable++;
    }
    if (this.collects && usable > 0) {
      // Checked before any record enters the duplicate set: a record of an excluded row that a
      // later, non-excluded row carries must still be sent then.
      if (this.excluding && this.anyExcluded(usable)) return this.excluded();
      fresh = this.recordsV2 ? this.rowOf(usable) : this.addFresh(usable);
    }
    this.count = fresh;
    if (usable === 0) {
      this.reason = unusable ?? 'missing_identifier';
      return Verdict.NotSynced;
    }
    return fresh === 0 ? Verdict.Duplicate : Verdict.New;
  }

  private anyExcluded(usable: number): boolean {
    for (let i = 0; i < usable; i++) if (this.exclusions.has(this.usable[i]!)) return true;
    return false;
  }

  private addFresh(usable: number): number {
    let fresh = 0;
    for (let i = 0; i < usable; i++) if (this.seen.add(this.usable[i]!)) this.records[fresh++] = this.usable[i]!;
    return fresh;
  }

  /**
   * records_v2: a row is a user, sent whole (every identifier it has) when at least one of them is new
   * to this run; when all were sent already it is a duplicate. Returns 1 (records[0] holds the row) or 0.
   */
  private rowOf(usable: number): number {
    let any = false;
    for (let i = 0; i < usable; i++) if (this.seen.add(this.usable[i]!)) any = true;
    if (!any) return 0;
    this.records[0] = encodeRow(this.usableTag, this.usable, usable);
    return 1;
  }

  private excluded(): Verdict {
    this.count = 0;
    this.reason = 'excluded';
    this.verdict = Verdict.NotSynced;
    return Verdict.NotSynced;
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
        if (!this.skipped[i]) unusable ??= this.invalidReasons[i];
      } else if (status === OPTED_OUT_DEVICE) {
        unusable ??= 'opted_out_device';
      } else if (status === OK) {
        const length = result.lengths[first + i]!;
        if (this.skipped[i]) {
          offset += length;
          continue;
        }
        if (this.collects) {
          this.usableAt[usable] = offset;
          this.usableLength[usable] = length;
          this.usableTag[usable] = this.tags[i]!;
          // Read once for both checks: the exclusion set's and the duplicate set's.
          this.usableHi[usable] = hexWord(result.records, offset);
          this.usableLo[usable] = hexWord(result.records, offset + 8);
        } else if (this.seen.addAt(result.records, offset)) this.records[fresh++] = result.records.slice(offset, offset + length);
        usable++;
        offset += length;
      }
    }
    if (this.collects && usable > 0) {
      if (this.excluding && this.anyExcludedWords(usable)) {
        this.excluded();
        return offset;
      }
      fresh = this.recordsV2 ? this.hashedRowOf(result.records, usable) : this.addFreshAt(result.records, usable);
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

  private anyExcludedWords(usable: number): boolean {
    for (let i = 0; i < usable; i++) if (this.exclusions.hasWords(this.usableHi[i]!, this.usableLo[i]!)) return true;
    return false;
  }

  /** Adds a hashed row's usable records to the duplicate set; returns how many were new. */
  private addFreshAt(records: string, usable: number): number {
    let fresh = 0;
    for (let i = 0; i < usable; i++) {
      const at = this.usableAt[i]!;
      if (this.seen.addWords(this.usableHi[i]!, this.usableLo[i]!)) this.records[fresh++] = records.slice(at, at + this.usableLength[i]!);
    }
    return fresh;
  }

  /** rowOf for a hashed row: the identifiers are read out of the block only when the row is sent. */
  private hashedRowOf(records: string, usable: number): number {
    let any = false;
    for (let i = 0; i < usable; i++) if (this.seen.addWords(this.usableHi[i]!, this.usableLo[i]!)) any = true;
    if (!any) return 0;
    for (let i = 0; i < usable; i++) this.usable[i] = records.slice(this.usableAt[i]!, this.usableAt[i]! + this.usableLength[i]!);
    this.records[0] = encodeRow(this.usableTag, this.usable, usable);
    return 1;
  }
}
