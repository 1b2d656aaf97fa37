import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { planColumns } from '../../src/input/columns.js';
import { DigestSet } from '../../src/identify/dedupe.js';
import { RowIdentifier, Verdict } from '../../src/identify/identify.js';

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
const maid = '6BA7B810-9DAD-11D1-80B4-00C04FD430C8';

function identifier(headers = ['email', 'maid']) {
  return new RowIdentifier(planColumns(headers, {}), new DigestSet());
}

/** The verdict and the records the row would send. */
function judge(rows: RowIdentifier, values: string[]) {
  const verdict = rows.identify(values);
  return { verdict, records: rows.records.slice(0, rows.count), reason: verdict === Verdict.NotSynced ? rows.reason : undefined };
}

describe("deciding a row's fate", () => {
  it('sends the hashes of every usable identifier of a new row', () => {
    expect(judge(identifier(), [' Ann@Example.com ', maid])).toEqual({
      verdict: Verdict.New,
      records: [sha256('ann@example.com'), sha256(maid.toLowerCase())],
      reason: undefined,
    });
  });

  it('calls a row a duplicate only when all its usable identifiers were sent before in this run', () => {
    const rows = identifier();
    judge(rows, ['ann@example.com', '']);
    expect(judge(rows, ['ANN@example.com', '']).verdict).toBe(Verdict.Duplicate);
    expect(judge(rows, ['ann@example.com', 'not-a-device-id']).verdict).toBe(Verdict.Duplicate);
    expect(judge(rows, ['ann@example.com', maid])).toMatchObject({ verdict: Verdict.New, records: [sha256(maid.toLowerCase())] });
  });

  it('does not sync a row without a usable identifier, saying why', () => {
    const rows = identifier();
    expect(judge(rows, ['', '  '])).toMatchObject({ verdict: Verdict.NotSynced, reason: 'missing_identifier', records: [] });
    expect(judge(rows, ['ann@', ''])).toMatchObject({ verdict: Verdict.NotSynced, reason: 'invalid_email' });
    expect(judge(rows, ['', 'abc'])).toMatchObject({ verdict: Verdict.NotSynced, reason: 'invalid_maid' });
    expect(judge(rows, ['ann@', 'abc']).reason).toBe('invalid_email');
  });

  it('syncs a row whose one identifier is invalid when another is usable', () => {
    expect(judge(identifier(), ['ann@', maid])).toMatchObject({ verdict: Verdict.New, records: [sha256(maid.toLowerCase())] });
  });

  it('reports an IDFA-only row with the IDFA reason', () => {
    expect(judge(identifier(['idfa']), ['zzz'])).toMatchObject({ verdict: Verdict.NotSynced, reason: 'invalid_idfa' });
  });
});

describe('records_v2 rows (a phone column)', () => {
  const phone = sha256('14155550101');
  /** Values come in plan order: email, maid, phone. */
  function v2(headers = ['email', 'phone', 'maid']) {
    return new RowIdentifier(planColumns(headers, {}), new DigestSet(), undefined, { phoneCountry: 'US' });
  }

  it('makes each row one record holding all its identifiers, phones as E.164 digits hashed', () => {
    const judged = judge(v2(), ['Ann@Example.com', maid, '(415) 555-0101']);
    expect(judged.verdict).toBe(Verdict.New);
    expect(judged.records).toEqual([`E${sha256('ann@example.com')}M${sha256(maid.toLowerCase())}P${phone}`]);
  });

  it('sends a row again whole when one identifier is new, and calls it a duplicate when none is', () => {
    const rows = v2();
    judge(rows, ['ann@example.com', '', '']);
    expect(judge(rows, ['ann@example.com', '', '']).verdict).toBe(Verdict.Duplicate);
    expect(judge(rows, ['ann@example.com', '', '+1 415 555 0101']).records).toEqual([`E${sha256('ann@example.com')}P${phone}`]);
    expect(judge(rows, ['', '', '415-555-0101']).verdict).toBe(Verdict.Duplicate);
  });

  it('says invalid_phone for a row whose only identifier is a phone that is not possible', () => {
    expect(judge(v2(), ['', '', '555'])).toMatchObject({ verdict: Verdict.NotSynced, reason: 'invalid_phone' });
  });
});
