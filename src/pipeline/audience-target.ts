// Where push and sync send their batches: the customer list behind a CUSTOMER_LIST audience, found
// by id or exact name, or (with --create) created from the first batch, list first, then the audience.
import type { Context } from '../context.js';
import { missingFlag, NotFoundError, UsageError } from '../errors.js';
import type { PinterestClient } from '../pinterest/client.js';
import { findAudience, knownAdAccount } from '../pinterest/lookups.js';
import type { Audience } from '../pinterest/types.generated.js';
import type { ListType } from './columns.js';
import { markFatal, type UploadTarget } from './upload.js';

export interface AudienceTarget {
  adAccountId: string;
  audienceId?: string;
  audienceName: string;
  customerListId?: string;
  /** The audience does not exist and --create was given: the first batch creates it. */
  toCreate: boolean;
}

export interface TargetOptions {
  audience: string;
  adAccount?: string;
  create?: boolean;
}

/** --create with a digits-only --audience: it reads as an id, so it cannot name the new audience. */
const ID_IS_NO_NAME = 'A new audience needs a name, not an id: pass --audience "NAME" --create, or run `pinsync audiences list`.';

/**
 * The ad account comes from --ad-account or the profile default: a command that may ask for it on a
 * terminal has done so before the run (src/commands/choices.ts).
 */
export async function resolveAudienceTarget(ctx: Context, client: PinterestClient, options: TargetOptions): Promise<AudienceTarget> {
  const audienceName = options.audience.trim();
  const adAccountId = knownAdAccount(options.adAccount, ctx.config.profile(ctx.profile).adAccountId);
  if (!adAccountId) throw missingFlag('--ad-account', 'ad account');
  const digitsOnly = /^\d+$/.test(audienceName);
  let audience: Audience;
  try {
    audience = await findAudience(client, adAccountId, audienceName, options.create && digitsOnly ? ID_IS_NO_NAME : undefined);
  } catch (error) {
    if (error instanceof NotFoundError && options.create && !digitsOnly) {
      return { adAccountId, audienceName, toCreate: true };
    }
    throw error;
  }
  const type = audience.audience_type ?? (audience as { type?: string }).type;
  const listId = audience.rule?.customer_list_id;
  if (type !== 'CUSTOMER_LIST' || !listId) {
    throw new UsageError(
      `Audience "${audience.name ?? audience.id}" is a ${type ?? 'non-customer-list'} audience: only customer-list audiences can take users. Pick a CUSTOMER_LIST audience, or --create a new one under another name.`,
    );
  }
  return { adAccountId, audienceId: audience.id, audienceName: audience.name ?? audienceName, customerListId: listId, toCreate: false };
}

export interface CustomerListTargetOptions {
  operation: 'ADD' | 'REMOVE';
  listType: ListType;
  description?: string;
  /** Per-call abort signal; push passes one that never fires so the first Ctrl-C lets writes finish. */
  signal?: AbortSignal;
}

/** PATCHes the list; for an audience still to create, the first batch creates list and audience. */
export function customerListTarget(client: PinterestClient, target: AudienceTarget, options: CustomerListTargetOptions): UploadTarget {
  let created: Promise<void> | undefined;
  const patch = (records: readonly string[], deadline: number) =>
    client.updateCustomerList(
      target.adAccountId,
      target.customerListId!,
      { operation_type: options.operation, records: records.join(',') },
      { deadline, signal: options.signal },
    );
  return {
    send: async (records, deadline) => {
      if (created) await created;
      if (created || !target.toCreate) {
        await patch(records, deadline);
        return;
      }
      created = createAudienceFrom(client, target, records, deadline, options).catch((error: unknown) => {
        throw markFatal(error);
      });
      await created;
    },
  };
}

async function createAudienceFrom(
  client: PinterestClient,
  target: AudienceTarget,
  records: readonly string[],
  deadline: number,
  options: CustomerListTargetOptions,
): Promise<void> {
  const call = { deadline, signal: options.signal };
  const list = await client.createCustomerList(
    target.adAccountId,
    { name: target.audienceName, records: records.join(','), list_type: options.listType },
    call,
  );
  target.customerListId = list.id;
  const audience = await client.createAudience(
    target.adAccountId,
    {
      name: target.audienceName,
      audience_type: 'CUSTOMER_LIST',
      rule: { customer_list_id: list.id },
      ...(options.description ? { description: options.description } : {}),
    },
    call,
  );
  target.audienceId = audience.id;
}
