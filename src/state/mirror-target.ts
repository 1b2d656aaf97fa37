// Where a mirror sync sends its ADD and REMOVE batches: the audience's customer list, found by id or
// name, or (with --create) created from the first ADD batch, list first, then the audience.
import type { Context } from '../context.js';
import { NotFoundError, UsageError } from '../errors.js';
import type { PinterestClient } from '../pinterest/client.js';
import type { Audience } from '../pinterest/types.generated.js';
import type { ListType } from '../pipeline/columns.js';
import { markFatal, type UploadTarget } from '../pipeline/upload.js';

export interface MirrorTarget {
  adAccountId: string;
  audienceId?: string;
  audienceName: string;
  customerListId?: string;
  /** The audience does not exist and --create was given: the first ADD batch creates it. */
  toCreate: boolean;
}

export async function resolveMirrorTarget(
  ctx: Context,
  client: PinterestClient,
  options: { audience: string; adAccount?: string; create?: boolean },
): Promise<MirrorTarget> {
  const { findAudience, resolveAdAccount } = await import('../pinterest/connect.js');
  const audienceName = options.audience.trim();
  const adAccountId = await resolveAdAccount(ctx, options.adAccount, client);
  let audience: Audience;
  try {
    audience = await findAudience(client, adAccountId, audienceName);
  } catch (error) {
    if (error instanceof NotFoundError && options.create && !/^\d+$/.test(audienceName)) {
      return { adAccountId, audienceName, toCreate: true };
    }
    throw error;
  }
  const type = audience.audience_type ?? (audience as { type?: string }).type;
  const listId = audience.rule?.customer_list_id;
  if (type !== 'CUSTOMER_LIST' || !listId) {
    throw new UsageError(
      `Audience "${audience.name ?? audience.id}" is a ${type ?? 'non-customer-list'} audience: only customer-list audiences can be synced. Pick a CUSTOMER_LIST audience, or --create a new one under another name.`,
    );
  }
  return { adAccountId, audienceId: audience.id, audienceName: audience.name ?? audienceName, customerListId: listId, toCreate: false };
}

/** PATCHes the list; for an audience still to create, the first batch creates list and audience. */
export function mirrorUploadTarget(
  client: PinterestClient,
  target: MirrorTarget,
  operation: 'ADD' | 'REMOVE',
  listType: ListType,
): UploadTarget {
  let created: Promise<void> | undefined;
  const patch = (records: readonly string[], deadline: number) =>
    client.updateCustomerList(target.adAccountId, target.customerListId!, { operation_type: operation, records: records.join(',') }, { deadline });
  return {
    send: async (records, deadline) => {
      if (created) await created;
      if (created || !target.toCreate) {
        await patch(records, deadline);
        return;
      }
      created = createAudienceWith(client, target, listType, records, deadline).catch((error: unknown) => {
        throw markFatal(error);
      });
      await created;
    },
  };
}

async function createAudienceWith(
  client: PinterestClient,
  target: MirrorTarget,
  listType: ListType,
  records: readonly string[],
  deadline: number,
): Promise<void> {
  const list = await client.createCustomerList(
    target.adAccountId,
    { name: target.audienceName, records: records.join(','), list_type: listType },
    { deadline },
  );
  target.customerListId = list.id;
  const audience = await client.createAudience(
    target.adAccountId,
    { name: target.audienceName, audience_type: 'CUSTOMER_LIST', rule: { customer_list_id: list.id } },
    { deadline },
  );
  target.audienceId = audience.id;
}
