// A records_v2 row (API 5.28: the identifiers of one user) as it travels through batching, journals and
// sync's snapshots: one string, each hashed identifier after a one-letter tag of its field (E email, M
// maid, P hashed_phone_number). Hashes are lowercase hex, so an uppercase letter starts each identifier;
// a plain record (the `records` string's kind) starts with a hex digit. One string per row keeps "a row
// never straddles two batches" and lets batches count rows (at most 1,900 per request).
import type { DigestSet } from './dedupe.js';
import type { IdentifierKind } from './normalise.js';

/** A records_v2 row's fields pinsync fills (CustomerListRecordRow in oapicf/pinterest-sdk's 5.28 models). */
export interface RowFields {
  email?: string;
  maid?: string;
  hashed_phone_number?: string;
}

export type RowTag = 'E' | 'M' | 'P';

/** IDFAs go in `maid`: records_v2 has one mobile advertising id field. */
export const tagOf: Record<IdentifierKind, RowTag> = { email: 'E', maid: 'M', idfa: 'M', phone: 'P' };

const fieldOf: Record<RowTag, keyof RowFields> = { E: 'email', M: 'maid', P: 'hashed_phone_number' };

/**
 * One row's string from its identifiers (`tags[i]` for `records[i]`, i < count), in the order given. A
 * second identifier of a field already filled (a row with both a MAID and an IDFA) is left out: a row
 * has one of each field.
 */
export function encodeRow(tags: readonly RowTag[], records: readonly string[], count: number): string {
  let row = '';
  let filled = '';
  for (let i = 0; i < count; i++) {
    if (filled.includes(tags[i]!)) continue;
    filled += tags[i]!;
    row += tags[i]! + records[i]!;
  }
  return row;
}

/** Whether a record is a records_v2 row (else a plain hashed record of the `records` string). */
export function isRowRecord(record: string): boolean {
  const c = record.charCodeAt(0);
  return c === 69 || c === 77 || c === 80; // E, M, P
}

/** Calls `fn` with each identifier's tag and where its hash starts and ends in the row string. */
export function forEachIdentifier(row: string, fn: (tag: RowTag, start: number, end: number) => void): void {
  let at = 0;
  while (at < row.length) {
    let end = at + 1;
    while (end < row.length && !isTag(row.charCodeAt(end))) end++;
    fn(row[at] as RowTag, at + 1, end);
    at = end;
  }
}

function isTag(c: number): boolean {
  return c >= 65 && c <= 90;
}

/** The API body's row: `{ email, maid, hashed_phone_number }` as far as the row has them. */
export function rowFields(row: string): RowFields {
  const fields: RowFields = {};
  forEachIdentifier(row, (tag, start, end) => (fields[fieldOf[tag]] = row.slice(start, end)));
  return fields;
}

/** Identifiers the records hold: one per plain record, each of a row's. What a report's `records` counts. */
export function identifierCount(records: readonly string[]): number {
  let count = 0;
  for (const record of records) count += identifiersIn(record);
  return count;
}

/** The identifiers one record carries: 1 for a plain hashed record, each tagged hash of a records_v2 row. */
export function identifiersIn(record: string): number {
  if (!isRowRecord(record)) return 1;
  let count = 0;
  for (let i = 0; i < record.length; i++) if (isTag(record.charCodeAt(i))) count++;
  return count;
}

/** Adds a row's identifiers to a duplicate set; true when at least one was new (the row is sent whole). */
export function addRowIdentifiers(seen: DigestSet, row: string): boolean {
  let fresh = false;
  forEachIdentifier(row, (_tag, start) => {
    if (seen.addAt(row, start)) fresh = true;
  });
  return fresh;
}
