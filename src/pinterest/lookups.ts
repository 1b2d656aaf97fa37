// Look-ups that ask nobody: an ad account id checked (flag > profile default), an audience found by id
// or exact name (archived ones never match a name), and the customer list of an audience still to create.
import { NotFoundError, UsageError } from '../errors.js';
import type { PinterestClient } from './client.js';
import { ApiError } from './errors.js';
import type { Audience, CustomerList } from './types.generated.js';

export function validAdAccountId(value: string): string {
  if (!/^\d{1,18}$/.test(value)) {
    throw new UsageError(`--ad-account takes a numeric ad account id, not "${value}". Run \`pinsync accounts list\` to see yours.`);
  }
  return value;
}

/** --ad-account (checked) > the profile's default (`accounts use`); undefined when neither is set. */
export function knownAdAccount(flag: string | undefined, profileDefault: string | undefined): string | undefined {
  const given = flag?.trim();
  return given ? validAdAccountId(given) : profileDefault;
}

/** Pinterest keeps an archived audience listed (status ARCHIVED); nothing may be written to it. */
export function isArchived(audience: Audience): boolean {
  return audience.status === 'ARCHIVED';
}

export interface FindAudienceOptions {
  /** Only to look at it (`audiences show`): an archived audience is found when no live one has the name. */
  archivedToo?: boolean;
}

/**
 * An audience by id or exact name. All digits: tried as an id first, then as a name. A name must match
 * exactly one audience of the ad account that is not archived; an archived one is not found (exit 5),
 * with a sentence saying so.
 */
export async function findAudience(
  client: PinterestClient,
  adAccountId: string,
  idOrName: string,
  notFoundHint = 'Pass --create to create it, or run `pinsync audiences list`.',
  options: FindAudienceOptions = {},
): Promise<Audience> {
  const wanted = idOrName.trim();
  if (/^\d+$/.test(wanted)) {
    const byId = await audienceById(client, adAccountId, wanted);
    if (byId && isArchived(byId) && !options.archivedToo) {
      throw new NotFoundError(`Audience ${wanted} in ad account ${adAccountId} is archived: pinsync never writes to an archived audience. Use another audience, or --create a new one by name.`);
    }
    if (byId) return byId;
  }
  const named: Audience[] = [];
  for await (const audience of client.audiences(adAccountId)) {
    if (audience.name === wanted) named.push(audience);
  }
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
    throw new NotFoundError(`No audience ${what} "${wanted}" in ad account ${adAccountId}. ${notFoundHint}`);
  }
  const ids = matches.map((audience) => audience.id).join(', ');
  throw new UsageError(`${matches.length} audiences in ad account ${adAccountId} are named "${wanted}" (ids ${ids}): pass the id instead.`);
}

async function audienceById(client: PinterestClient, adAccountId: string, id: string): Promise<Audience | undefined> {
  try {
    return await client.audience(adAccountId, id);
  } catch (error) {
    if (error instanceof ApiError && error.kind === 'not_found') return undefined;
    throw error;
  }
}

/**
 * The customer list of an audience still to create: named `name`, and no audience (archived ones
 * included) built on it. A `--create` run whose audience Pinterest refused leaves one; the newest wins.
 */
export async function findPendingList(client: PinterestClient, adAccountId: string, name: string): Promise<CustomerList | undefined> {
  const wanted = name.trim();
  const used = new Set<string>();
  for await (const audience of client.audiences(adAccountId)) {
    const listId = audience.rule?.customer_list_id;
    if (listId) used.add(listId);
  }
  let newest: CustomerList | undefined;
  for await (const list of client.customerLists(adAccountId)) {
    if (list.name !== wanted || !list.id || used.has(list.id)) continue;
    if (!newest || (list.created_time ?? 0) >= (newest.created_time ?? 0)) newest = list;
  }
  return newest;
}
