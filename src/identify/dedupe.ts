// Remembers which records were already sent in this run without keeping them as strings: an
// open-addressing hash set of the first 8 bytes of each digest, in one Uint32Array (8 bytes a slot,
// both words side by side so a probe touches one cache line).
// Two different records collide with probability about n² / 2^65 over n records (10M: 2.7e-6).
import { hexWord } from './hex-digits.js';

const MAX_LOAD = 0.75;
/** The largest table allocated up front (128 MiB); beyond it the set grows as records arrive. */
const MAX_INITIAL_SLOTS = 1 << 24;

export class DigestSet {
  private slots: Uint32Array;
  private mask: number;
  size = 0;

  /** `initialCapacity`: records expected (a hint; the set grows past it). */
  constructor(initialCapacity = 1 << 15) {
    const capacity = initialSlots(initialCapacity);
    this.slots = new Uint32Array(capacity * 2);
    this.mask = capacity - 1;
  }

  /** A set over a table another thread filled (its buffer transferred, not copied). */
  static fromTable(slots: Uint32Array, size: number): DigestSet {
    const set = new DigestSet(16);
    set.slots = slots;
    set.mask = slots.length / 2 - 1;
    set.size = size;
    return set;
  }

  /** The table itself, to hand to another thread (the set must not be used after the transfer). */
  get table(): Uint32Array {
    return this.slots;
  }

  /** Memory the table takes. */
  get bytes(): number {
    return this.slots.byteLength;
  }

  /** Adds a hex record (≥ 16 hex digits); returns false when it was already there. */
  add(hexRecord: string): boolean {
    return this.addAt(hexRecord, 0);
  }

  /** Adds the hex record that starts at `offset` of `text` (records concatenated, no copy). */
  addAt(text: string, offset: number): boolean {
    return this.addWords(hexWord(text, offset), hexWord(text, offset + 8));
  }

  /** Adds the record whose first 16 hex digits read as the words `hi`, `lo` (hexWord). */
  addWords(hi: number, lo: number): boolean {
    if (hi === 0 && lo === 0) lo = 1; // (0, 0) marks an empty slot
    if (!this.insert(hi, lo)) return false;
    if (++this.size > (this.mask + 1) * MAX_LOAD) this.grow();
    return true;
  }

  /** Whether the hex record that starts at `offset` of `text` is in the set; adds nothing. */
  hasAt(text: string, offset = 0): boolean {
    return this.hasWords(hexWord(text, offset), hexWord(text, offset + 8));
  }

  /** Whether the record whose first 16 hex digits read as the words `hi`, `lo` is in the set. */
  hasWords(hi: number, lo: number): boolean {
    if (hi === 0 && lo === 0) lo = 1;
    const { mask, slots } = this;
    for (let slot = (hi ^ Math.imul(lo, 0x9e3779b1)) & mask; ; slot = (slot + 1) & mask) {
      const h = slots[slot * 2]!;
      const l = slots[slot * 2 + 1]!;
      if (h === hi && l === lo) return true;
      if (h === 0 && l === 0) return false;
    }
  }

  /** Calls `fn` with the two words kept of every record, in table order (one sequential pass). */
  forEach(fn: (hi: number, lo: number) => void): void {
    const { slots } = this;
    for (let i = 0; i < slots.length; i += 2) {
      if (slots[i] !== 0 || slots[i + 1] !== 0) fn(slots[i]!, slots[i + 1]!);
    }
  }

  /** Chance that at least one record was wrongly taken for a duplicate in this run. */
  falseDuplicateProbability(): number {
    return (this.size * this.size) / 2 ** 65;
  }

  private insert(hi: number, lo: number): boolean {
    const { mask, slots } = this;
    let slot = (hi ^ Math.imul(lo, 0x9e3779b1)) & mask;
    for (;;) {
      const h = slots[slot * 2]!;
      const l = slots[slot * 2 + 1]!;
      if (h === 0 && l === 0) {
        slots[slot * 2] = hi;
        slots[slot * 2 + 1] = lo;
        return true;
      }
      if (h === hi && l === lo) return false;
      slot = (slot + 1) & mask;
    }
  }

  private grow(): void {
    const old = this.slots;
    const capacity = (this.mask + 1) * 2;
    this.slots = new Uint32Array(capacity * 2);
    this.mask = capacity - 1;
    for (let i = 0; i < old.length; i += 2) {
      if (old[i] !== 0 || old[i + 1] !== 0) this.insert(old[i]!, old[i + 1]!);
    }
  }
}

/** Bytes the set allocates up front for this many expected records. */
export function initialBytes(expectedRecords: number): number {
  return initialSlots(expectedRecords) * 8;
}

function initialSlots(expectedRecords: number): number {
  const wanted = Math.min(MAX_INITIAL_SLOTS, Math.max(16, expectedRecords / MAX_LOAD));
  return 2 ** Math.ceil(Math.log2(wanted));
}

/**
 * A duplicate set that keeps nothing, for chains that deduplicate elsewhere: sync's staging table (its
 * primary key) and the audience-column fan-out (each audience's own set).
 */
export const keepEveryRecord = { add: () => true, addAt: () => true, addWords: () => true, falseDuplicateProbability: () => 0 } as unknown as DigestSet;
