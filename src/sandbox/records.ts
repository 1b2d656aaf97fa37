// Customer-list records as Pinterest takes them: one comma-separated string, checked entry by entry
// for the list's type, and a deterministic stand-in for Pinterest's matching of records to its users.

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
