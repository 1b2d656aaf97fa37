import { describe, expect, it } from 'vitest';
import { UsageError } from '../../src/errors.js';
import { planColumns } from '../../src/input/columns.js';

const kindsAndNames = (headers: string[], flags = {}) => planColumns(headers, flags).columns.map((c) => [c.kind, c.name, c.index]);

describe('picking the identifier columns from the header', () => {
  it('finds common aliases whatever their case, spaces, dashes or underscores', () => {
    expect(kindsAndNames(['First name', 'Email Address', 'GAID', 'i-d-f-a'])).toEqual([
      ['email', 'Email Address', 1],
      ['maid', 'GAID', 2],
      ['idfa', 'i-d-f-a', 3],
    ]);
    expect(kindsAndNames(['E-Mail'])).toEqual([['email', 'E-Mail', 0]]);
  });

  it('makes one list per file: EMAIL when there is an email column, else MAID, else IDFA', () => {
    expect(planColumns(['idfa', 'maid', 'email'], {}).listType).toBe('EMAIL');
    expect(planColumns(['idfa', 'device_id'], {}).listType).toBe('MAID');
    expect(planColumns(['IDFA'], {}).listType).toBe('IDFA');
  });

  it('reads only the columns named by flags, matching case-insensitively when no exact match', () => {
    expect(kindsAndNames(['email', 'Work mail'], { emailColumn: 'work MAIL' })).toEqual([['email', 'Work mail', 1]]);
    expect(kindsAndNames(['email', 'phone id'], { maidColumn: 'phone id' })).toEqual([['maid', 'phone id', 1]]);
  });

  it('refuses a named column the input does not have (exit 2), listing the columns it saw', () => {
    const attempt = () => planColumns(['email', 'name'], { emailColumn: 'mail_address' });
    expect(attempt).toThrow(UsageError);
    expect(attempt).toThrow('No column "mail_address" in the input (columns seen: "email", "name").');
  });

  it('says how to name a column when none is recognised, without echoing a value from a headerless file', () => {
    let error: unknown;
    try {
      planColumns(['jane@example.com', '5551234567'], {});
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(UsageError);
    expect((error as UsageError).exitCode).toBe(2);
    const message = (error as Error).message;
    expect(message).toMatch(/No identifier column found.*--email-column, --maid-column, --idfa-column or --phone-column/);
    expect(message).toContain('is the header row missing?');
    expect(message).not.toContain('jane@example.com');
    expect(message).not.toContain('5551234567');
  });

  it('looks NDJSON fields up by name (no position)', () => {
    expect(planColumns(['id', 'email'], {}, true).columns).toEqual([{ kind: 'email', index: -1, name: 'email' }]);
  });
});

describe('phone columns and records_v2 rows', () => {
  it('finds a phone column by its usual headers, and then sends records_v2 rows', () => {
    for (const header of ['phone', 'Phone Number', 'phone_number', 'mobile', 'Mobile Phone', 'msisdn']) {
      const plan = planColumns(['Email', header], {});
      expect(plan.columns.map((c) => c.kind), header).toEqual(['email', 'phone']);
      expect(plan.recordsV2).toBe(true);
    }
    expect(planColumns(['email', 'Mobile Ad ID'], {}).columns.map((c) => c.kind)).toEqual(['email', 'maid']);
  });

  it('keeps the records string without phones unless --rows v2 asks, and refuses --rows v1 with phones', () => {
    expect(planColumns(['email'], {}).recordsV2).toBe(false);
    expect(planColumns(['email'], { rows: 'v2' }).recordsV2).toBe(true);
    expect(planColumns(['cell'], { phoneColumn: 'cell' })).toMatchObject({ recordsV2: true, listType: 'EMAIL' });
    expect(() => planColumns(['email', 'phone'], { rows: 'v1' })).toThrow('--rows v1 cannot carry phone numbers');
  });
});
