// When a customer list can carry a CUSTOMER_LIST audience, as Pinterest's docs state it: at least 100
// matched users, and done processing (a list is PROCESSING for a while after every create or PATCH).
import { DEFAULT_MATCHED_SHARE, MIN_MATCHED_USERS } from './records.js';

/**
 * Whether the sandbox refuses an audience on a list that is not READY, unless told otherwise. Pinterest
 * does, and push/sync --create handle it (the audience waits, `audiencePending`), so it is the default.
 */
export const AUDIENCES_NEED_READY_LISTS_BY_DEFAULT = true;
/** How long a list stays PROCESSING after each write when audiences need ready lists. */
export const DEFAULT_LIST_PROCESSING_MS = 3000;

export interface ListRules {
  /** Refuse a CUSTOMER_LIST audience (400) on a list that is PROCESSING or TOO_SMALL. */
  audiencesNeedReadyList: boolean;
  /** How long a list stays PROCESSING after each create or PATCH (0: never). */
  processingMs: number;
  /** Share (0–1) of records that match a Pinterest user, decided per record by a hash (1: every record). */
  matchedShare: number;
}

/** Fills the defaults; processing lasts only as long as someone is refused for it (by default). */
export function listRulesFrom(options: Partial<ListRules> = {}): ListRules {
  const audiencesNeedReadyList = options.audiencesNeedReadyList ?? AUDIENCES_NEED_READY_LISTS_BY_DEFAULT;
  return {
    audiencesNeedReadyList,
    processingMs: options.processingMs ?? (audiencesNeedReadyList ? DEFAULT_LIST_PROCESSING_MS : 0),
    matchedShare: options.matchedShare ?? DEFAULT_MATCHED_SHARE,
  };
}

/** What readiness needs of a customer list (state.ts's CustomerListState has it). */
export interface ListProgress {
  id: string;
  matched: number;
  processingUntil?: number;
}

export type ListStatus = 'PROCESSING' | 'READY' | 'TOO_SMALL';

export function listStatus(list: ListProgress, now: number): ListStatus {
  if ((list.processingUntil ?? 0) > now) return 'PROCESSING';
  return list.matched >= MIN_MATCHED_USERS ? 'READY' : 'TOO_SMALL';
}

/** Why Pinterest would refuse an audience on this list now, or undefined when it accepts. */
export function audienceRefusal(list: ListProgress, now: number): string | undefined {
  switch (listStatus(list, now)) {
    case 'PROCESSING':
      return `Customer list ${list.id} is still processing. Create the audience once the list is READY.`;
    case 'TOO_SMALL':
      return `You can create an audience with a minimum of ${MIN_MATCHED_USERS} members: customer list ${list.id} does not match enough Pinterest users.`;
    default:
      return undefined;
  }
}
