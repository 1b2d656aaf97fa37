// Exclusion files are read like the input: any format, plain or hashed, and an excluded user is
// recognised by the very record the input would send for them.
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { UsageError } from '../../src/errors.js';
import { loadExclusions, noExclusions } from '../../src/identify/exclusions.js';
import { normaliseDeviceId, normaliseEmail } from '../../src/identify/normalise.js';

let folder: string;

beforeEach(() => {
  folder = fs.mkdtempSync(path.join(os.tmpdir(), 'pinsync-exclusions-'));
});

afterEach(() => fs.rmSync(folder, { recursive: true, force: true }));

function file(name: string, text: string): string {
  const target = path.join(folder, name);
  fs.writeFileSync(target, name.endsWith('.gz') ? zlib.gzipSync(text) : text);
  return target;
}

const sha256 = (text: string) => crypto.createHash('sha256').update(text).digest('hex');
/** The record the input pipeline sends for an email. */
const emailRecord = (email: string) => normaliseEmail(email)!;

describe('loadExclusions', () => {
  it('recognises plain emails however the input writes them', async () => {
    const exclusions = await loadExclusions([file('optouts.csv', 'Email Address,name\nOpted.Out@Example.com,Ann\n')]);
    expect(exclusions.has(emailRecord('  opted.out@example.COM '))).toBe(true);
    expect(exclusions.has(emailRecord('kept@example.com'))).toBe(false);
    expect(exclusions.size).toBe(1);
  });

  it('takes already-hashed identifiers (any case) as they are', async () => {
    const hashed = sha256('hashed@example.com');
    const exclusions = await loadExclusions([file('suppress.csv', `email_sha256\n${hashed.toUpperCase()}\n`)]);
    expect(exclusions.has(emailRecord('hashed@example.com'))).toBe(true);
    expect(exclusions.has(hashed)).toBe(true);
  });

  it('reads gzip NDJSON with device ids, and several files into one set', async () => {
    const maid = '6F9619FF-8B86-D011-B42D-00CF4FC964FF';
    const exclusions = await loadExclusions([
      file('devices.ndjson.gz', `{"gaid":"${maid}"}\n{"gaid":"not-a-uuid"}\n`),
      file('emails.csv', 'email\na@example.com\nb@example.com\na@example.com\n'),
    ]);
    expect(exclusions.has(normaliseDeviceId(maid.toLowerCase()) as string)).toBe(true);
    expect(exclusions.has(emailRecord('b@example.com'))).toBe(true);
    expect(exclusions.size).toBe(3);
    expect(exclusions.files).toEqual([
      { name: 'devices.ndjson.gz', rows: 2, unusable: 1, kinds: ['maid'] },
      { name: 'emails.csv', rows: 3, unusable: 0, kinds: ['email'] },
    ]);
  });

  it('checks a record inside concatenated records without copying it', async () => {
    const exclusions = await loadExclusions([file('optouts.csv', 'email\nx@example.com\n')]);
    const block = emailRecord('y@example.com') + emailRecord('x@example.com');
    expect(exclusions.hasAt(block, 0)).toBe(false);
    expect(exclusions.hasAt(block, 64)).toBe(true);
  });

  it('finds every record, whatever its digits (a zero word, either case), and no other', async () => {
    const zeroWords = ['0000000000000000', 'abcdef0100000000', '00000000abcdef01'].map((start) => start + sha256('tail').slice(16));
    const records = [...zeroWords, ...Array.from({ length: 2000 }, (_, i) => sha256(`hashed${i}`))];
    const exclusions = await loadExclusions([file('hashed.csv', ['email_sha256', ...records.map((r, i) => (i % 2 ? r.toUpperCase() : r))].join('\n') + '\n')]);
    expect(exclusions.size).toBe(records.length);
    expect(records.every((record) => exclusions.has(record))).toBe(true);
    expect(Array.from({ length: 2000 }, (_, i) => sha256(`kept${i}`)).some((record) => exclusions.has(record))).toBe(false);
    // Alone in its file, so no other record's bit answers for it.
    const alone = await loadExclusions([file('zero.csv', `email_sha256\n${zeroWords[0]}\n`)]);
    expect(alone.has(zeroWords[0]!)).toBe(true);
  });

  it('reads a list of bare SHA-256s as the CSV reader would: CRLF, blank lines, other rows among them, no last newline', async () => {
    const hashed = Array.from({ length: 20_000 }, (_, i) => sha256(`bare${i}`));
    const lines = ['email_sha256', ...hashed.slice(0, 9_000).map((r, i) => (i % 3 ? r : `${r.toUpperCase()}\r`)), '', ...hashed.slice(9_000, 15_000)];
    lines.push(' Mixed@Example.COM', 'not an email', ...hashed.slice(15_000));
    const exclusions = await loadExclusions([file('suppressed.csv', lines.join('\n'))]); // 1.3 MB: lines straddle the reader's chunks
    expect(hashed.every((record) => exclusions.has(record))).toBe(true);
    expect(exclusions.has(emailRecord('mixed@example.com'))).toBe(true);
    expect(exclusions.size).toBe(20_001);
    expect(exclusions.files).toEqual([{ name: 'suppressed.csv', rows: 20_002, unusable: 1, kinds: ['email'] }]);
  });

  it('counts lines read from the bytes, so a later error names its true line', async () => {
    const text = ['email_sha256', ...Array.from({ length: 5_000 }, (_, i) => sha256(`bare${i}`)), '"unclosed', ''].join('\n');
    const error = await loadExclusions([file('suppressed.csv', text)]).catch((e: unknown) => e);
    expect((error as UsageError).message).toBe('In the exclusion file suppressed.csv: Line 5002: a quoted field is never closed.');
  });

  it('sizes its table by rows, not bytes: 30,000 SHA-256 rows take about what 30,000 emails do', async () => {
    const count = 30_000;
    const hashed = await loadExclusions([file('hashed.csv', ['email_sha256', ...Array.from({ length: count }, (_, i) => sha256(`u${i}@example.com`))].join('\n') + '\n')]);
    const plain = await loadExclusions([file('plain.csv', ['email', ...Array.from({ length: count }, (_, i) => `u${i}@example.com`)].join('\n') + '\n')]);
    expect(hashed.size).toBe(count);
    // 65,536 slots of 8 bytes for 30,000 records at most 3/4 full, and a 64 KiB filter (16 bits a record).
    expect(hashed.bytes).toBe(65_536 * 8 + 64 * 1024);
    expect(hashed.bytes).toBe(plain.bytes);
  });

  it('uses the run delimiter for CSV files', async () => {
    const exclusions = await loadExclusions([file('optouts.tsv', 'id\temail\n1\tt@example.com\n')], { delimiter: '\t' });
    expect(exclusions.has(emailRecord('t@example.com'))).toBe(true);
  });

  it('no files: nobody is excluded', async () => {
    expect(await loadExclusions([])).toBe(noExclusions);
    expect(noExclusions.has(emailRecord('a@example.com'))).toBe(false);
  });

  it('a file without an identifier column, or missing, stops with exit 2 naming the exclusion file', async () => {
    const noColumn = await loadExclusions([file('names.csv', 'first,last\nAnn,Lee\n')]).catch((e: unknown) => e);
    expect(noColumn).toBeInstanceOf(UsageError);
    expect((noColumn as UsageError).message).toBe(
      'In the exclusion file names.csv: No identifier column found (columns seen: "first", "last"). Name the column email, maid, idfa or phone.',
    );
    const missing = await loadExclusions([path.join(folder, 'gone.csv')]).catch((e: unknown) => e);
    expect((missing as UsageError).message).toMatch(/^Cannot read the exclusion file \S*gone\.csv: no such file\.$/);
  });

  it('never names an identifier of a malformed file in its message', async () => {
    const error = await loadExclusions([file('bad.ndjson', 'secret.person@example.com\n')]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UsageError);
    expect((error as Error).message).not.toContain('secret.person');
  });
});
