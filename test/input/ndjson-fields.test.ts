// The NDJSON reader looks for identifier fields in every object, follows dotted paths into nested
// objects, and takes the list type from the kinds its first chunk holds.
import { describe, expect, it } from 'vitest';
import type { ColumnFlags, ColumnPlan } from '../../src/input/columns.js';
import { createRowReader } from '../../src/input/read-rows.js';

function read(lines: unknown[], flags: ColumnFlags = {}, chunks = 1) {
  const seen = { plan: undefined as ColumnPlan | undefined, rows: [] as Array<[number, string[]]>, malformed: [] as number[], rowsBeforePlan: 0 };
  const reader = createRowReader(
    { format: 'ndjson', ...flags },
    {
      planned: (plan) => (seen.plan = plan),
      row: (line, values) => {
        if (!seen.plan) seen.rowsBeforePlan++;
        seen.rows.push([line, values.slice()]);
      },
      malformed: (line) => seen.malformed.push(line),
    },
  );
  const text = lines.map((l) => (typeof l === 'string' ? l : JSON.stringify(l))).join('\n') + '\n';
  const size = Math.ceil(text.length / chunks);
  for (let i = 0; i < text.length; i += size) reader.push(Buffer.from(text.slice(i, i + size)));
  reader.end();
  return seen;
}

describe('NDJSON identifier fields', () => {
  it('finds identifier fields in every object, not only the first', () => {
    const seen = read([{ event: 'page' }, { userId: 7 }, { email: 'a@example.com' }, { maid: 'M1', Email: 'b@example.com' }, 'oops', { idfa: 'I1' }]);
    expect(seen.rowsBeforePlan).toBe(0);
    expect(seen.plan!.columns.map((c) => [c.kind, c.name])).toEqual([
      ['email', 'email'],
      ['maid', 'maid'],
      ['idfa', 'idfa'],
      ['phone', ''],
    ]);
    expect(seen.rows).toEqual([
      [1, ['', '', '', '']],
      [2, ['', '', '', '']],
      [3, ['a@example.com', '', '', '']],
      [4, ['b@example.com', 'M1', '', '']],
      [6, ['', '', 'I1', '']],
    ]);
    expect(seen.malformed).toEqual([5]);
  });

  it('prefers a filled field to an empty one of a better alias', () => {
    const seen = read([{ email: null, 'Email Address': 'c@example.com' }]);
    expect(seen.rows[0]![1][0]).toBe('c@example.com');
  });

  it('follows dotted paths into nested objects (Segment and RudderStack events), ignoring case when no key matches exactly', () => {
    const seen = read(
      [
        { type: 'track', context: { device: { advertisingId: 'AD-1' } } },
        { type: 'identify', traits: { email: 'd@example.com' }, context: { Device: { advertisingid: 'AD-2' } } },
        { 'traits.email': 'flat@example.com' },
        { traits: 'not an object' },
      ],
      { emailColumn: 'traits.email', maidColumn: 'context.device.advertisingId' },
    );
    expect(seen.plan!.columns.map((c) => [c.kind, c.name])).toEqual([
      ['email', 'traits.email'],
      ['maid', 'context.device.advertisingId'],
    ]);
    expect(seen.rows.map((r) => r[1])).toEqual([
      ['', 'AD-1'],
      ['d@example.com', 'AD-2'],
      ['flat@example.com', ''],
      ['', ''],
    ]);
  });

  it('takes the list type from the kinds the first chunk holds', () => {
    expect(read([{ maid: 'M1' }, { idfa: 'I1' }]).plan!.listType).toBe('MAID');
    expect(read([{ idfa: 'I1' }, { email: 'a@example.com' }]).plan!.listType).toBe('EMAIL');
    expect(read([{ idfa: 'I1' }]).plan!.listType).toBe('IDFA');
  });

  it('refuses an input where no object holds an identifier field, without printing values', () => {
    expect(() => read([{ name: 'Jane Doe', city: 'Oslo' }, { name: 'Bob' }])).toThrow(/No identifier field found in any object \(fields of the first object: "name", "city"\)/);
    expect(() => read([{ traits: { mail: 'x@example.com' } }], { emailColumn: 'traits.email' })).toThrow(/No object holds "traits.email"/);
  });

  it('reads the same rows whatever the chunk boundaries', () => {
    const lines = Array.from({ length: 50 }, (_, i) => (i % 3 === 0 ? { email: `u${i}@example.com` } : { other: i }));
    expect(read(lines, {}, 7).rows).toEqual(read(lines).rows);
  });
});
