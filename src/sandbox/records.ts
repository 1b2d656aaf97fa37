// Customer-list records as Pinterest takes them: one comma-separated string (`records`), checked entry by
// entry for the list's type, or (API 5.28) `records_v2` rows holding several identifiers of one user
// (oapicf/pinterest-sdk, models/CustomerListRecordRow.ts); and a deterministic stand-in for Pinterest's
// matching of records to its users.

export const LIST_TYPES = ['EMAIL', 'IDFA', 'MAID', 'LR_ID', 'DLX_ID', 'HASHED_PINNER_ID'] as const;
export type ListType = (typeof LIST_TYPES)[number];

/** Share of records the sandbox treats as matching a Pinterest user, unless told otherwise. */
export const DEFAULT_MATCHED_SHARE = 0.7;

/** Pinterest needs this many matched users before a list (and its audience) is usable. */
export const MIN_MATCHED_USERS = 100;

const HEX_DIGEST = /^(?:[0-9a-f]{32}|[0-9a-f]{40}|[0-9a-f]{64})$/;
const PLAIN_EMAIL = /^[a-z0-9.!#$%&'*+/=?^_`{|}~-]+@[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)+$/;

export interface BadRecord {
  index: number;
  reason: string;
}

export function splitRecords(records: string): string[] {
  return records.split(',');
}

/** The first entry Pinterest would refuse, by index (never by value: it is a user's identifier). */
export function findBadRecord(entries: string[], listType: ListType): BadRecord | undefined {
  for (let index = 0; index < entries.length; index++) {
    const reason = recordProblem(entries[index]!, listType);
    if (reason) return { index, reason };
  }
  return undefined;
}

function recordProblem(entry: string, listType: ListType): string | undefined {
  if (entry.length === 0) return 'is empty';
  if (/\s/.test(entry)) return 'contains whitespace';
  if (/[A-Z]/.test(entry)) return 'contains uppercase letters (records must be lowercase)';
  switch (listType) {
    case 'EMAIL':
      if (HEX_DIGEST.test(entry) || PLAIN_EMAIL.test(entry)) return undefined;
      return 'is neither a lowercase email address nor a hex SHA-256, SHA-1 or MD5 digest';
    case 'MAID':
    case 'IDFA':
      if (HEX_DIGEST.test(entry)) return undefined;
      return `is not a hex SHA-256, SHA-1 or MD5 digest (${listType} records must be hashed)`;
    default:
      return undefined;
  }
}

/** A records_v2 row: the identifiers of one user (API 5.28 CustomerListRecordRow). */
export type RecordRow = Partial<Record<RowField, string>>;

export const ROW_FIELDS = ['email', 'maid', 'hashed_phone_number', 'hashed_pinner_id', 'external_id', 'ip_address', 'user_agent', 'liveramp_envelope'] as const;
export type RowField = (typeof ROW_FIELDS)[number];

/** The fields that identify a user the way the list holds it: hashed (or, for email and MAID, plain) identifiers. */
export const IDENTIFYING_FIELDS = ['email', 'maid', 'hashed_phone_number', 'hashed_pinner_id'] as const;

const PLAIN_UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * The first row Pinterest would refuse, by index (never by value). `strict`: only the fields 5.28 names,
 * each a non-empty string (a lenient sandbox ignores fields it does not know).
 */
export function findBadRow(rows: readonly unknown[], strict: boolean): BadRecord | undefined {
  for (let index = 0; index < rows.length; index++) {
    const reason = rowProblem(rows[index], strict);
    if (reason) return { index, reason };
  }
  return undefined;
}

function rowProblem(row: unknown, strict: boolean): string | undefined {
  if (typeof row !== 'object' || row === null || Array.isArray(row)) return 'is not an object';
  const entries = Object.entries(row as Record<string, unknown>);
  if (strict) {
    const unknown = entries.find(([key]) => !(ROW_FIELDS as readonly string[]).includes(key));
    if (unknown) return `has a field records_v2 rows do not take (${unknown[0].slice(0, 40)})`;
  }
  let identifiers = 0;
  for (const [key, value] of entries) {
    if (!(IDENTIFYING_FIELDS as readonly string[]).includes(key)) continue;
    if (typeof value !== 'string' || value.length === 0) return `has an empty or non-string ${key}`;
    const problem = fieldProblem(key as (typeof IDENTIFYING_FIELDS)[number], value);
    if (problem) return `${key} ${problem}`;
    identifiers++;
  }
  return identifiers === 0 ? 'holds no identifier (email, maid, hashed_phone_number or hashed_pinner_id)' : undefined;
}

function fieldProblem(field: (typeof IDENTIFYING_FIELDS)[number], value: string): string | undefined {
  if (/\s/.test(value)) return 'contains whitespace';
  if (/[A-Z]/.test(value)) return 'contains uppercase letters (identifiers must be lowercase)';
  switch (field) {
    case 'email':
      return HEX_DIGEST.test(value) || PLAIN_EMAIL.test(value) ? undefined : 'is neither a lowercase email address nor a hex SHA-256, SHA-1 or MD5 digest';
    case 'maid':
      return HEX_DIGEST.test(value) || PLAIN_UUID.test(value) ? undefined : 'is neither a device id nor a hex SHA-256, SHA-1 or MD5 digest';
    default:
      return HEX_DIGEST.test(value) ? undefined : 'is not a hex SHA-256, SHA-1 or MD5 digest (it must be hashed)';
  }
}

/** A row's identifiers as the list holds them (the same strings a `records` upload would hold). */
export function rowIdentifiers(row: RecordRow): string[] {
  return IDENTIFYING_FIELDS.flatMap((field) => (row[field] ? [row[field]!] : []));
}

/** The identifier a row's user is counted (and matched) by: its email, else its MAID, else its phone. */
export function userKeyOf(row: RecordRow): string | undefined {
  return row.email ?? row.maid ?? row.hashed_phone_number ?? row.hashed_pinner_id;
}

/**
 * Whether a record "is" a Pinterest user. Pinterest never says per record; the sandbox decides by a
 * hash of the record so that about `share` of records match (70% by default) and the same record always
 * gives the same answer.
 */
export function isMatchedUser(record: string, share = DEFAULT_MATCHED_SHARE): boolean {
  return fnv1a(record) % 1000 < Math.round(share * 1000);
}

function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  // murmur3's finaliser, so that the low digits used above are well mixed
  hash ^= hash >>> 16;
  hash = Math.imul(hash, 0x85ebca6b);
  hash ^= hash >>> 13;
  hash = Math.imul(hash, 0xc2b2ae35);
  hash ^= hash >>> 16;
  return hash >>> 0;
}
