// One ad account's audiences and customer lists as a run sees them: listed once and shared by every
// look-up of the run (a fan-out over 1,000 segment values lists them once, not once per value). An
// audience is found by id or exact name (archived ones never match a name); a customer list "waits"
// when it bears a name and no audience is built on it (a --create run whose audience Pinterest refused).
// Creating re-checks what is live under the name lock (target.ts), never this snapshot.
import { NotFoundError, UsageError } from '../errors.js';
import type { PinterestClient } from '../pinterest/client.js';
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
}

const DEFAULT_NOT_FOUND_HINT = 'Pass --create to create it, or run `pinsync audiences list`.';

export class AudienceDirectory {
  private listedAudiences: Promise<Audience[]> | undefined;
  private listedLists: Promise<CustomerList[]> | undefined;

  constructor(
    readonly client: PinterestClient,
    readonly adAccountId: string,
  ) {}

  /** Every audience of the account, listed on first use. */
  audiences(): Promise<Audience[]> {
    this.listedAudiences ??= collect(this.client.audiences(this.adAccountId));
    return this.listedAudiences;
  }

  /** Every customer list of the account, listed on first use. */
  customerLists(): Promise<CustomerList[]> {
    this.listedLists ??= collect(this.client.customerLists(this.adAccountId));
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
    this.listedLists = collect(this.client.customerLists(this.adAccountId));
    return this.pendingList(name);
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
