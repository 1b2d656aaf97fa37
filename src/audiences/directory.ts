// One ad account's audiences and customer lists as a run sees them: listed once and shared by every
// look-up of the run (a fan-out over 1,000 segment values lists them once, not once per value). An
// audience is found by id or exact name (archived ones never match a name); a customer list "waits"
// when it bears a name and no audience is built on it (a --create run whose audience Pinterest refused).
// Creating lists the customer lists again under the name lock (pendingListNow, from target.ts).
// Only the account's own audiences and lists are looked at (ownAudiences, ownCustomerLists): since API
// 5.28 a plain listing also holds audiences shared into the account, and one of those must never be
// written to, nor stand in for the account's own name, nor block --create.
import { NotFoundError, UsageError } from '../errors.js';
import type { AudienceListing, CallOptions, PinterestClient } from '../pinterest/client.js';
import { ApiError } from '../pinterest/errors.js';
import { collect } from '../pinterest/pages.js';
import type { Audience, CustomerList } from '../pinterest/types.generated.js';

/** Pinterest keeps an archived audience listed (status ARCHIVED); nothing may be written to it. */
export function isArchived(audience: Audience): boolean {
  return audience.status === 'ARCHIVED';
}

export interface FindAudienceOptions {
  /** Said when nothing matches (how to make one). */
  notFoundHint?: string;
  /** Only to look at it (`audiences show`): an archived audience is found when no live one has the name. */
  archivedToo?: boolean;
  /** Not to write to it (`audiences show`, a lookalike's seed): an audience shared into the account may be named by id. */
  receivedToo?: boolean;
}

/** What a look-up by name may match: the account's own audiences, not those built on new-customer-acquisition lists. */
const OWN_AUDIENCES: AudienceListing = { ownership: 'OWNED', excludeNca: true };

/**
 * The account's own audiences, asked for as such; one the answer carries anyway (a server that ignores the
 * filter) is left out here too: an audience of another ad account, or one built on an NCA list.
 */
export async function* ownAudiences(client: PinterestClient, adAccountId: string, options?: CallOptions): AsyncGenerator<Audience, void, undefined> {
  for await (const audience of client.audiences(adAccountId, OWN_AUDIENCES, options)) {
    if (audience.is_nca !== true && !isOfAnotherAccount(audience, adAccountId)) yield audience;
  }
}

/** The account's customer lists but new-customer-acquisition ones (pinsync never makes those). */
async function* ownCustomerLists(client: PinterestClient, adAccountId: string, options?: CallOptions): AsyncGenerator<CustomerList, void, undefined> {
  for await (const list of client.customerLists(adAccountId, { excludeNca: true }, options)) if (list.is_nca !== true) yield list;
}

/** A shared (received) audience names the ad account that owns it. */
function isOfAnotherAccount(audience: Audience, adAccountId: string): boolean {
  return audience.ad_account_id !== undefined && audience.ad_account_id !== adAccountId;
}

const DEFAULT_NOT_FOUND_HINT = 'Pass --create to create it, or run `pinsync audiences list`.';

export class AudienceDirectory {
  private listedAudiences: Promise<Audience[]> | undefined;
  private listedLists: Promise<CustomerList[]> | undefined;

  constructor(
    readonly client: PinterestClient,
    readonly adAccountId: string,
  ) {}

  /** Every audience the account owns, listed on first use. */
  audiences(): Promise<Audience[]> {
    this.listedAudiences ??= collect(ownAudiences(this.client, this.adAccountId));
    return this.listedAudiences;
  }

  /** Every customer list of the account (NCA lists left out), listed on first use. */
  customerLists(): Promise<CustomerList[]> {
    this.listedLists ??= collect(ownCustomerLists(this.client, this.adAccountId));
    return this.listedLists;
  }

  /**
   * An audience by id or exact name. All digits: tried as an id first, then as a name. A name must match
   * exactly one audience that is not archived; an archived one is not found (exit 5), with a sentence saying so.
   */
  async find(idOrName: string, options: FindAudienceOptions = {}): Promise<Audience> {
    const wanted = idOrName.trim();
    const { adAccountId } = this;
    if (/^\d+$/.test(wanted)) {
      const byId = await this.byId(wanted);
      if (byId && !options.receivedToo && (await this.isReceived(byId))) {
        throw new UsageError(
          `Audience ${wanted} is shared into ad account ${adAccountId} by another account: pinsync writes only to the account's own audiences. Use one of its own (\`pinsync audiences list\`), or --create a new one by name.`,
        );
      }
      if (byId && isArchived(byId) && !options.archivedToo) {
        throw new NotFoundError(`Audience ${wanted} in ad account ${adAccountId} is archived: pinsync never writes to an archived audience. Use another audience, or --create a new one by name.`);
      }
      if (byId) return byId;
    }
    const named = (await this.audiences()).filter((audience) => audience.name === wanted);
    const matches = named.filter((audience) => !isArchived(audience));
    if (matches.length === 1) return matches[0]!;
    if (matches.length === 0 && named.length > 0 && options.archivedToo) return named[named.length - 1]!;
    if (matches.length === 0 && named.length > 0) {
      throw new NotFoundError(
        `The audience named "${wanted}" in ad account ${adAccountId} is archived (id ${named.map((a) => a.id).join(', ')}): pinsync never writes to an archived audience. Pass --create to make a new one of that name.`,
      );
    }
    if (matches.length === 0) {
      const what = /^\d+$/.test(wanted) ? 'with id or name' : 'named';
      throw new NotFoundError(`No audience ${what} "${wanted}" in ad account ${adAccountId}. ${options.notFoundHint ?? DEFAULT_NOT_FOUND_HINT}`);
    }
    const ids = matches.map((audience) => audience.id).join(', ');
    throw new UsageError(`${matches.length} audiences in ad account ${adAccountId} are named "${wanted}" (ids ${ids}): pass the id instead.`);
  }

  /** The customer list waiting for an audience of this name (no audience, archived ones included, is built on it); the newest wins. */
  async pendingList(name: string): Promise<CustomerList | undefined> {
    const [audiences, lists] = await Promise.all([this.audiences(), this.customerLists()]); // both listings at once
    return newestWaitingList(audiences, lists, name);
  }

  /**
   * The same, once the name lock is held: only the customer lists are listed again, because a run that
   * held the lock can only have made a list (an audience is always built on a list it made first); the
   * audiences stay as first listed. A list that run made counts as waiting, and the audience that run
   * may have built on it is adopted before a new one is asked for (pending-audience.ts).
   */
  async pendingListNow(name: string): Promise<CustomerList | undefined> {
    this.listedLists = undefined;
    return this.pendingList(name);
  }

  /**
   * Whether an audience found by id was shared into the account. A shared audience names its owner's ad
   * account; when an answer names none, the account's list of received audiences decides.
   */
  private async isReceived(audience: Audience): Promise<boolean> {
    if (audience.ad_account_id !== undefined) return isOfAnotherAccount(audience, this.adAccountId);
    for await (const received of this.client.audiences(this.adAccountId, { ownership: 'RECEIVED' })) if (received.id === audience.id) return true;
    return false;
  }

  private async byId(id: string): Promise<Audience | undefined> {
    try {
      return await this.client.audience(this.adAccountId, id);
    } catch (error) {
      if (error instanceof ApiError && error.kind === 'not_found') return undefined;
      throw error;
    }
  }
}

export type Ownership = 'OWNED' | 'RECEIVED';
/** An audience as `audiences list` shows it: with whether the account owns it or received it shared. */
export type ListedAudience = Audience & { ownership_type: Ownership };

/**
 * `audiences list`: the account's own audiences, those shared into it, or both (asked for apart, so
 * which is which never depends on a field the answer may lack). NCA-derived ones are listed too.
 */
export async function listAudiences(client: PinterestClient, adAccountId: string, ownership: Ownership | 'ALL'): Promise<ListedAudience[]> {
  const kinds: Ownership[] = ownership === 'ALL' ? ['OWNED', 'RECEIVED'] : [ownership];
  const listed: ListedAudience[] = [];
  for (const kind of kinds) {
    for await (const audience of client.audiences(adAccountId, { ownership: kind })) listed.push({ ...audience, ownership_type: kind });
  }
  return listed;
}

/** Finds once, from a fresh listing: for commands that look up one audience (`audiences show`, `--actalike-of`). */
export function findAudience(client: PinterestClient, adAccountId: string, idOrName: string, options: FindAudienceOptions = {}): Promise<Audience> {
  return new AudienceDirectory(client, adAccountId).find(idOrName, options);
}

/** The waiting list of this name, from live listings (under the name lock, or for `audiences show`). */
export async function findPendingList(client: PinterestClient, adAccountId: string, name: string): Promise<CustomerList | undefined> {
  return new AudienceDirectory(client, adAccountId).pendingList(name);
}

function newestWaitingList(audiences: readonly Audience[], lists: readonly CustomerList[], name: string): CustomerList | undefined {
  const wanted = name.trim();
  const used = new Set(audiences.flatMap((audience) => (audience.rule?.customer_list_id ? [audience.rule.customer_list_id] : [])));
  let newest: CustomerList | undefined;
  for (const list of lists) {
    if (list.name !== wanted || !list.id || used.has(list.id)) continue;
    if (!newest || (list.created_time ?? 0) >= (newest.created_time ?? 0)) newest = list;
  }
  return newest;
}
