// Turns a raw identifier into the exact record Pinterest expects (contract: "Identifiers sent to
// Pinterest"): emails trimmed, lowercased, checked; MAIDs/IDFAs in UUID form lowercased; then SHA-256.
// Values that already are hex digests (SHA-256, SHA-1, MD5) pass through lowercased.
import { sha256Hex } from './hash.js';

export type IdentifierKind = 'email' | 'maid' | 'idfa';

export type InvalidReason = 'invalid_email' | 'invalid_maid' | 'invalid_idfa';

const hexDigest = /^(?:[0-9a-f]{32}|[0-9a-f]{40}|[0-9a-f]{64})$/i;
const plausibleEmail = /^[^\s@",;<>()[\]]+@[^\s@",;<>()[\]]+\.[^\s@",;<>()[\].]{2,}$/;

/** 8-4-4-4-12 hex digits (any case); a hand-written check, as this runs once per MAID. */
export function isUuid(value: string): boolean {
  if (value.length !== 36) return false;
  for (let i = 0; i < 36; i++) {
    const c = value.charCodeAt(i);
    if (i === 8 || i === 13 || i === 18 || i === 23) {
      if (c !== 45) return false;
    } else if (!((c >= 48 && c <= 57) || ((c | 32) >= 97 && (c | 32) <= 102))) {
      return false;
    }
  }
  return true;
}

export function isHexDigest(value: string): boolean {
  const n = value.length;
  return (n === 64 || n === 40 || n === 32) && hexDigest.test(value);
}

/** Returns the record to send for an email, or null when it is not a plausible address. */
export function normaliseEmail(raw: string): string | null {
  const value = raw.trim();
  if (isHexDigest(value)) return value.toLowerCase();
  const email = value.toLowerCase();
  if (email.length > 254 || !plausibleEmail.test(email)) return null;
  return sha256Hex(email);
}

/** Returns the record to send for a mobile advertising id (MAID or IDFA), or null when not a UUID. */
export function normaliseDeviceId(raw: string): string | null {
  const value = raw.trim();
  if (isUuid(value)) return sha256Hex(value.toLowerCase());
  if (isHexDigest(value)) return value.toLowerCase();
  return null;
}

export const invalidReasonOf: Record<IdentifierKind, InvalidReason> = {
  email: 'invalid_email',
  maid: 'invalid_maid',
  idfa: 'invalid_idfa',
};

/** Normalises one value of a column; blank (only spaces) values are missing, not invalid. */
export function normaliserFor(kind: IdentifierKind): (raw: string) => string | null {
  return kind === 'email' ? normaliseEmail : normaliseDeviceId;
}

export function isBlank(value: string): boolean {
  if (value.length === 0) return true;
  if (value.charCodeAt(0) > 32 && value.charCodeAt(0) !== 160) return false; // the usual case, without allocating
  return value.trim().length === 0;
}
