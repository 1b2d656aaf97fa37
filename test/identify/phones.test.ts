// Phones (API 5.28 records_v2 `hashed_phone_number`): parsed by libphonenumber-js, the digits of their
// E.164 form (no +, Pinterest's documented `ph` normalisation) hashed with SHA-256; a number that is not
// possible is invalid; a 64-hex value passes through as already hashed.
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { e164Digits, normalisePhone, normaliserFor } from '../../src/identify/normalise.js';

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

describe('phone numbers', () => {
  it('hash one number written five ways (and as a number of the --phone-country) the same: E.164 digits without +', () => {
    const forms = ['+1 415-555-0101', '(415) 555-0101', '415.555.0101', '+1 (415) 555 0101', 'tel:+14155550101', '1-415-555-0101', '\u200B+14155550101 '];
    for (const form of forms) expect(normalisePhone(form, 'US'), form).toBe(sha256('14155550101'));
  });

  it('reads numbers without + in the given country, and international prefixes as such', () => {
    expect(e164Digits('020 7946 0958', 'GB')).toBe('442079460958');
    expect(e164Digits('00 44 20 7946 0958', 'GB')).toBe('442079460958');
    expect(e164Digits('+44 (0)20 7946 0958')).toBe('442079460958');
  });

  it('calls a number that is not possible, or written without + and without a country, invalid', () => {
    expect(normalisePhone('12', 'US')).toBeNull();
    expect(normalisePhone('+1 555', 'US')).toBeNull();
    expect(normalisePhone('call me', 'US')).toBeNull();
    expect(normalisePhone('(415) 555-0101')).toBeNull();
  });

  it('passes a SHA-256 through lowercased, and only a SHA-256', () => {
    const digest = sha256('14155550101');
    expect(normalisePhone(digest.toUpperCase())).toBe(digest);
    expect(normalisePhone(digest.slice(0, 40))).toBeNull();
  });

  it('is the phone column normaliser, with the run country', () => {
    expect(normaliserFor('phone', { phoneCountry: 'US' })('415 555 0101')).toBe(sha256('14155550101'));
    expect(normaliserFor('phone')('415 555 0101')).toBeNull();
  });
});
