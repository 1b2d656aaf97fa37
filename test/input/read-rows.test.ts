import { describe, expect, it } from 'vitest';
import { UsageError } from '../../src/errors.js';
import { createRowReader, type RowReaderOptions } from '../../src/input/read-rows.js';

interface Read {
  columns: string[];
  rows: Array<[number, string[]]>;
  malformed: number[];
}

/** Reads `input` as the pipeline does, `chunkBytes` at a time; what the sink saw. */
function read(input: string | Buffer, options: RowReaderOptions, chunkBytes = 1 << 16): Read {
  const seen: Read = { columns: [], rows: [], malformed: [] };
  const reader = createRowReader(options, {
    planned: (plan) => seen.columns.push(...plan.columns.map((c) => `${c.kind}:${c.name}`)),
    row: (line, values) => seen.rows.push([line, [...values]]),
    malformed: (line) => seen.malformed.push(line),
  });
  const bytes = Buffer.isBuffer(input) ? input : Buffer.from(input);
  for (let at = 0; at < bytes.length; at += chunkBytes) reader.push(bytes.subarray(at, at + chunkBytes));
  reader.end();
  return seen;
}

describe('reading CSV rows', () => {
  it('gives each row its identifier values and the line number the user sees in the file', () => {
    const csv = 'name,email,maid\nAnn,ann@example.com,\n\nBen,"ben@example.com",6ba7b810-9dad-11d1-80b4-00c04fd430c8\n';
    expect(read(csv, { format: 'csv' })).toEqual({
      columns: ['email:email', 'maid:maid'],
      rows: [
        [2, ['ann@example.com', '']],
        [4, ['ben@example.com', '6ba7b810-9dad-11d1-80b4-00c04fd430c8']],
      ],
      malformed: [],
    });
  });

  it('counts lines inside quoted fields, so later rows keep their real line numbers', () => {
    const csv = 'note,email\n"two\nlines",a@example.com\nplain,b@example.com\n';
    expect(read(csv, { format: 'csv' }).rows).toEqual([
      [2, ['a@example.com']],
      [4, ['b@example.com']],
    ]);
  });

  it('reads a short row as empty values and honours --delimiter', () => {
    expect(read('id;email\n1\n2;c@example.com\n', { format: 'csv', delimiter: ';' }).rows).toEqual([
      [2, ['']],
      [3, ['c@example.com']],
    ]);
  });

  it('reads the same rows whatever the chunk boundaries, even inside a multi-byte character', () => {
    const csv = '\uFEFFemail\nzoë@example.com\nrené@example.com\n';
    expect(read(csv, { format: 'csv' }, 1)).toEqual(read(csv, { format: 'csv' }));
    expect(read(csv, { format: 'csv' }, 1).rows).toEqual([
      [2, ['zoë@example.com']],
      [3, ['rené@example.com']],
    ]);
  });

  it('refuses an empty input and a header without an identifier column (exit 2)', () => {
    expect(() => read('', { format: 'csv' })).toThrow(UsageError);
    expect(() => read('', { format: 'csv' })).toThrow('The input is empty');
    expect(() => read('name,city\nAnn,Oslo\n', { format: 'csv' })).toThrow('No identifier column found');
  });

  it('refuses a line that grows past the limit while it is read (no end of line in sight), naming it', () => {
    const csv = `email\n${'x'.repeat(200)}@example.com\n`;
    expect(() => read(csv, { format: 'csv', maxLineChars: 100 }, 64)).toThrow(/^Line 2 is longer than 100 characters/);
  });
});

describe('reading NDJSON rows', () => {
  it('reads each object on its line, skipping blank lines but counting them (every kind is looked for in every object)', () => {
    const ndjson = '{"email":"a@example.com","maid":"x"}\n\n{"email":"b@example.com"}\n{"maid":42}';
    expect(read(ndjson, { format: 'ndjson' })).toEqual({
      columns: ['email:email', 'maid:maid', 'idfa:', 'phone:'],
      rows: [
        [1, ['a@example.com', 'x', '', '']],
        [3, ['b@example.com', '', '', '']],
        [4, ['', '42', '', '']],
      ],
      malformed: [],
    });
  });

  it('reports a later line that is not an object as malformed, and goes on', () => {
    const seen = read('{"email":"a@example.com"}\nnot json\n[1]\n{"email":"b@example.com"}\n', { format: 'ndjson' });
    expect(seen.malformed).toEqual([2, 3]);
    expect(seen.rows.map(([line]) => line)).toEqual([1, 4]);
  });

  it('refuses an input whose first line is not a JSON object, and an empty one', () => {
    expect(() => read('email\na@example.com\n', { format: 'ndjson' })).toThrow('Line 1 is not a JSON object');
    expect(() => read('\n\n', { format: 'ndjson' })).toThrow('The input is empty: expected one JSON object per line.');
  });

  it('refuses a line longer than the limit before reading it whole', () => {
    const long = `{"email":"${'x'.repeat(300)}"`;
    expect(() => read(long, { format: 'ndjson', maxLineChars: 100 }, 64)).toThrow(/^Line 1 is longer than 100 characters/);
  });
});
