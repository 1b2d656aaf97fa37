// Which values may name an audience (--audience with --create, each --audience-column value): never one
// that looks like a personal identifier (an email address, a phone number, a device id, a hash), nor one
// holding control characters or longer than Pinterest takes.
import { canonicalUuid, isHexDigest, isPlausibleEmail } from '../identify/normalise.js';

/**
 * Pinterest's API description gives no maximum for an audience or customer-list name; its other name
 * fields stop at 256 characters (openapi-v5.json: AdAccount.name maxLength 256), so longer is refused
 * here rather than by Pinterest in the middle of a run.
 */
export const MAX_AUDIENCE_NAME_CHARS = 256;

export type NameProblem = 'identifier' | 'control' | 'too_long';

/** C0 and C1 control characters and DEL (newline, TAB, BEL, ESC …): a name holding one is refused. */
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;
/** Phone-like: digits with `+`, spaces, dots, dashes or brackets; digits alone read as an audience id. */
const PHONE_LIKE = /^[+\d\s().-]+$/;

/** Whether a (cleaned, trimmed) value would be taken as an identifier by pinsync's own normalisers (checked per row: no hashing). */
function looksLikeIdentifier(value: string): boolean {
  const bare = value.replace(/^mailto:/i, '').trim();
  if (isHexDigest(bare) || isPlausibleEmail(bare.toLowerCase())) return true; // an address, or an MD5/SHA-1/SHA-256
  if (canonicalUuid(value) !== undefined) return true; // a device id, dashed or not
  if (PHONE_LIKE.test(value) && !/^\d+$/.test(value)) return (value.match(/\d/g)?.length ?? 0) >= 7;
  return false;
}

/** Why a segment value cannot name an audience, or undefined when it can. */
export function audienceNameProblem(value: string): NameProblem | undefined {
  if (value.length > MAX_AUDIENCE_NAME_CHARS) return 'too_long';
  if (CONTROL.test(value)) return 'control';
  if (looksLikeIdentifier(value)) return 'identifier';
  return undefined;
}
