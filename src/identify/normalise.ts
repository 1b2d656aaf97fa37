// Turns a raw identifier into the exact record Pinterest expects (contract: "Identifiers sent to
// Pinterest"): Unicode format characters removed and the value trimmed; emails without `mailto:`,
// lowercased, checked; device ids in the lowercase dashed UUID form; phones parsed by libphonenumber-js
// into E.164 digits; then SHA-256. Already-hashed values pass through lowercased: any hex digest in an
// email column, only SHA-256 in a device-id or phone column (32 hex digits in a device-id column are an
// undashed UUID, not an MD5).
import { createRequire } from 'node:module';
import type { CountryCode as PhoneCountry } from 'libphonenumber-js/min';
import { sha256Hex } from './hash.js';
import { isAllHex } from './hex-digits.js';
import type { IdentifierKind } from '../input/columns.js';

export type { IdentifierKind };

export type InvalidReason = 'invalid_email' | 'invalid_maid' | 'invalid_idfa' | 'invalid_phone';

/** Why a non-blank value yields no record. */
export type UnusableReason = InvalidReason | 'opted_out_device';

/** A device id that is the all-zero UUID: ad tracking is limited, the user must not be synced. */
export const OPTED_OUT: unique symbol = Symbol('opted_out_device');

/** A record to send, null when the value is invalid, or OPTED_OUT. */
export type Normalised = string | null | typeof OPTED_OUT;

const sha256Digest = /^[0-9a-f]{64}$/i;
const plausibleEmail = /^[^\s@",;<>()[\]]+@[^\s@",;<>()[\]]+\.[^\s@",;<>()[\].]{2,}$/;
const formatChars = /\p{Cf}/gu;
const anyFormatChar = /\p{Cf}/u;
const ZERO_UUID = '00000000-0000-0000-0000-000000000000';

/**
 * Removes Unicode format characters (zero-width spaces, BOM, soft hyphen…) and trims. The compiled
 * test scans an ASCII value about twice as fast as a charCodeAt loop (this runs once per value).
 */
export function cleanValue(raw: string): string {
  return anyFormatChar.test(raw) ? raw.replace(formatChars, '').trim() : raw.trim();
}

/** 8-4-4-4-12 hex digits (any case); a hand-written check, as this runs once per MAID. */
export function isUuid(value: string): boolean {
  if (value.length !== 36) return false;
  for (let i = 0; i < 36; i++) {
    const c = value.charCodeAt(i);
    if (i === 8 || i === 13 || i === 18 || i === 23) {
      if (c !== 45) return false;
    } else if (!isHexDigit(c)) {
      return false;
    }
  }
  return true;
}

function isHexDigit(c: number): boolean {
  return (c >= 48 && c <= 57) || ((c | 32) >= 97 && (c | 32) <= 102);
}

function isUndashedUuid(value: string): boolean {
  if (value.length !== 32) return false;
  for (let i = 0; i < 32; i++) if (!isHexDigit(value.charCodeAt(i))) return false;
  return true;
}

/** An MD5, SHA-1 or SHA-256 in hex (any case); a table scan, as this runs once per email (and per hashed exclusion). */
export function isHexDigest(value: string): boolean {
  const n = value.length;
  return (n === 64 || n === 40 || n === 32) && isAllHex(value);
}

/** 64 hex digits (any case): a bare SHA-256, its own record in every column kind. */
export function isSha256Hex(value: string): boolean {
  return value.length === 64 && isAllHex(value);
}

/** Drops a leading `mailto:` in any case (addresses copied from links). */
function withoutMailto(value: string): string {
  if (value.length > 7 && (value.charCodeAt(0) | 32) === 109 && value.slice(0, 7).toLowerCase() === 'mailto:') return value.slice(7).trim();
  return value;
}

/** A lowercased value that reads as an email address (what normaliseEmail hashes). */
export function isPlausibleEmail(email: string): boolean {
  return email.length <= 254 && plausibleEmail.test(email);
}

/** Returns the record to send for an email, or null when it is not a plausible address. */
export function normaliseEmail(raw: string): string | null {
  const value = withoutMailto(cleanValue(raw));
  if (isHexDigest(value)) return value.toLowerCase();
  const email = value.toLowerCase();
  if (!isPlausibleEmail(email)) return null;
  return sha256Hex(email);
}

/** The lowercase dashed form of a UUID written with or without dashes, else undefined. */
export function canonicalUuid(value: string): string | undefined {
  if (isUuid(value)) return value.toLowerCase();
  if (!isUndashedUuid(value)) return undefined;
  const v = value.toLowerCase();
  return `${v.slice(0, 8)}-${v.slice(8, 12)}-${v.slice(12, 16)}-${v.slice(16, 20)}-${v.slice(20)}`;
}

/** Returns the record to send for a mobile advertising id (MAID or IDFA): null when not a UUID or SHA-256. */
export function normaliseDeviceId(raw: string): Normalised {
  const value = cleanValue(raw);
  const uuid = canonicalUuid(value);
  if (uuid === ZERO_UUID) return OPTED_OUT;
  if (uuid !== undefined) return sha256Hex(uuid);
  if (value.length === 64 && sha256Digest.test(value)) return value.toLowerCase();
  return null;
}

/**
 * The digits of a phone number in E.164 form (country code first, no `+`), or undefined when it is not
 * a possible number. Parsed by libphonenumber-js (Google's libphonenumber metadata, the "min" set: it
 * checks possible lengths per country, what "possible" means here); a number written without `+` (or an
 * international prefix such as 00 / 011) is read as a number of `defaultCountry`, and is not possible
 * without one. Pinterest's one documented phone normalisation (API spec, ConversionEventsUserDataProperties
 * `ph`: "only digits with country code, area code, and number. Remove any symbols, letters, spaces and
 * leading zeros") is what is hashed: E.164 without its `+`.
 */
export function e164Digits(value: string, defaultCountry?: string): string | undefined {
  const phone = phoneNumbers().parsePhoneNumberFromString(value, defaultCountry as PhoneCountry | undefined);
  return phone?.isPossible() ? phone.number.slice(1) : undefined;
}

/** Returns the record to send for a phone number, or null when it is not a possible number. A 64-hex value passes through as hashed. */
export function normalisePhone(raw: string, defaultCountry?: string): string | null {
  const value = cleanValue(raw);
  if (isSha256Hex(value)) return value.toLowerCase();
  const digits = e164Digits(value, defaultCountry);
  return digits === undefined ? null : sha256Hex(digits);
}

/** Whether --phone-country names a country libphonenumber knows (ISO 3166-1 alpha-2, e.g. US, GB, DE). */
export function isPhoneCountry(code: string): boolean {
  return phoneNumbers().isSupportedCountry(code as PhoneCountry);
}

type PhoneNumbers = typeof import('libphonenumber-js/min');
let loadedPhoneNumbers: PhoneNumbers | undefined;

/** libphonenumber-js with its metadata (~50 ms to load) only once a run reads phones. */
function phoneNumbers(): PhoneNumbers {
  loadedPhoneNumbers ??= createRequire(import.meta.url)('libphonenumber-js/min') as PhoneNumbers;
  return loadedPhoneNumbers;
}

export const invalidReasonOf: Record<IdentifierKind, InvalidReason> = {
  email: 'invalid_email',
  maid: 'invalid_maid',
  idfa: 'invalid_idfa',
  phone: 'invalid_phone',
};

/** How a run reads identifiers beyond their column: `phoneCountry` for phones written without `+`. */
export interface NormaliseOptions {
  phoneCountry?: string;
}

/** Normalises one value of a column; blank values are missing, not invalid. */
export function normaliserFor(kind: IdentifierKind, options: NormaliseOptions = {}): (raw: string) => Normalised {
  if (kind === 'phone') return (raw) => normalisePhone(raw, options.phoneCountry);
  return kind === 'email' ? normaliseEmail : normaliseDeviceId;
}

/** Empty, or only spaces and format characters. */
export function isBlank(value: string): boolean {
  if (value.length === 0) return true;
  const first = value.charCodeAt(0);
  if (first > 32 && first < 127) return false; // the usual case, without allocating
  return cleanValue(value).length === 0;
}
