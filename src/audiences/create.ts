// Audiences made outright (`audiences create`): a lookalike (ACTALIKE) of an audience, or a
// CUSTOMER_LIST audience on a list that exists. Customer-list audiences from a file go through push.
import type { Context } from '../context.js';
import { UsageError } from '../errors.js';
import type { PinterestClient } from '../pinterest/client.js';
import { ApiError } from '../pinterest/errors.js';
import type { Audience, CustomerList } from '../pinterest/types.generated.js';
import { AudienceDirectory, isArchived } from './directory.js';
import { whyListWaits } from './pending-audience.js';
import { SEE_AUDIENCES } from './show.js';
import { audienceNameLock } from './target.js';

export interface LookalikeRequest {
  name: string;
  seed: string;
  country: 'US' | 'CA' | 'GB';
  percentage: number;
  description?: string;
}

export async function createLookalike(client: PinterestClient, adAccountId: string, request: LookalikeRequest): Promise<{ created: Audience; seed: Audience }> {
  const directory = new AudienceDirectory(client, adAccountId);
  await refuseDuplicateName(directory, request.name);
  const seed = await directory.find(request.seed, { notFoundHint: SEE_AUDIENCES, receivedToo: true });
  const created = await client.createAudience(adAccountId, {
    name: request.name,
    audience_type: 'ACTALIKE',
    rule: { seed_id: [seed.id!], country: request.country, percentage: request.percentage },
    ...(request.description ? { description: request.description } : {}),
  });
  return { created, seed };
}

/**
 * A CUSTOMER_LIST audience on a list that exists, by hand, e.g. the list of an audience that a
 * `--create` run left pending. Holds the audience-name lock push and sync hold, so it never makes a twin.
 */
export async function createOnList(ctx: Context, client: PinterestClient, adAccountId: string, name: string, listId: string, description?: string): Promise<{ created: Audience; list: CustomerList }> {
  const lock = await audienceNameLock(ctx, adAccountId, name)(true);
  try {
    await refuseDuplicateName(new AudienceDirectory(client, adAccountId), name);
    const list = await client.customerList(adAccountId, listId.trim());
    const created = await client
      .createAudience(adAccountId, {
        name,
        audience_type: 'CUSTOMER_LIST',
        rule: { customer_list_id: list.id! },
        ...(description ? { description } : {}),
      })
      .catch((error: unknown) => {
        throw refusedOnList(error, list);
      });
    return { created, list };
  } finally {
    if (lock !== 'busy') lock.release();
  }
}

/**
 * Two audiences with one name would make every later `--audience NAME` ambiguous (an archived one is no
 * longer in the way). `seeding`: an earlier `create --from` that stopped half-way left it, and push finishes it.
 */
export async function refuseDuplicateName(directory: AudienceDirectory, name: string, seeding = false): Promise<void> {
  const taken = (await directory.audiences()).find((audience) => audience.name === name && !isArchived(audience));
  if (!taken) return;
  const next = seeding ? ` Choose another name, or add the file to it with \`pinsync push FILE --audience ${taken.id}\`.` : ' Choose another name.';
  throw new UsageError(`Ad account ${directory.adAccountId} already has an audience named "${name}" (id ${taken.id}).${next}`);
}

/** Pinterest's refusal of an audience on a young list, with what the list says and what to do. */
function refusedOnList(error: unknown, list: CustomerList): unknown {
  if (!(error instanceof ApiError) || error.kind !== 'bad_request') return error;
  const why = whyListWaits(list) ?? `Pinterest answered: ${(error.apiMessage ?? error.message).replace(/\.$/, '')}`;
  return new UsageError(`Pinterest did not accept an audience on customer list ${list.id}: ${why}. Add users with \`pinsync push\`, or try again once the list is ready.`);
}
