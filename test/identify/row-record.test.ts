// A records_v2 row travels as one string of tagged identifiers; it becomes the API's row again.
import { describe, expect, it } from 'vitest';
import { DigestSet } from '../../src/identify/dedupe.js';
import { addRowIdentifiers, encodeRow, identifierCount, isRowRecord, rowFields } from '../../src/identify/row-record.js';

const e = 'a'.repeat(64);
const p = 'b'.repeat(64);
const m = 'c'.repeat(64);
const md5 = 'd'.repeat(32);

describe('records_v2 rows as strings', () => {
  it('round-trip to the API row, one identifier per field (a second MAID-like one is left out)', () => {
    const row = encodeRow(['E', 'M', 'M', 'P'], [md5, m, 'f'.repeat(64), p], 4);
    expect(isRowRecord(row)).toBe(true);
    expect(isRowRecord(e)).toBe(false);
    expect(rowFields(row)).toEqual({ email: md5, maid: m, hashed_phone_number: p });
  });

  it('count their identifiers beside plain records', () => {
    expect(identifierCount([encodeRow(['E', 'P'], [e, p], 2), e, encodeRow(['M'], [m], 1)])).toBe(4);
  });

  it('are new to a duplicate set when any of their identifiers is', () => {
    const seen = new DigestSet();
    expect(addRowIdentifiers(seen, encodeRow(['E'], [e], 1))).toBe(true);
    expect(addRowIdentifiers(seen, encodeRow(['E'], [e], 1))).toBe(false);
    expect(addRowIdentifiers(seen, encodeRow(['E', 'P'], [e, p], 2))).toBe(true);
  });
});
