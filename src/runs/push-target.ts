// Where a push writes, shared by the one-audience run (push-run.ts) and the fan-out
// (push-fan-out.ts): the client (none for a local dry run), the audience resolved (or planned for
// --create), and the upload target that PATCHes its customer list.
import type { Context } from '../context.js';
import { AuthError } from '../errors.js';
import type { PinterestClient } from '../pinterest/client.js';
import type { Operation } from '../report/run-report.js';
import { customerListTarget, resolveAudienceTarget, type AudienceTarget } from '../audiences/target.js';
import type { ColumnPlan } from '../input/columns.js';
import type { PushOptions } from './options.js';
import type { RunSettings } from './settings.js';
import type { UploadTarget } from '../send/upload.js';
import { requestSignal } from '../send/stop-signal.js';
import { exclusionShape } from '../identify/exclusions.js';

/** Without credentials (a local dry run) the ad account may be unknown. */
export type PushTarget = Omit<AudienceTarget, 'adAccountId'> & { adAccountId?: string };

/** Without credentials a dry run still checks the file locally; anything else needs a client. */
export async function connectUnlessLocalDryRun(ctx: Context, options: PushOptions, settings: RunSettings): Promise<PinterestClient | undefined> {
  const { connectClient } = await import('../connect.js');
  try {
    return await connectClient(ctx, { writeRate: settings.rate, retryFor: settings.retryForMs });
  } catch (error) {
    if (options.dryRun && error instanceof AuthError) {
      ctx.info('No Pinterest credentials: this dry run checks the file locally and does not look the audience up.');
      return undefined;
    }
    throw error;
  }
}

/** The audience named `audienceName` (an id or exact name), or its creation planned with --create. */
export async function resolvePushTarget(ctx: Context, client: PinterestClient | undefined, options: PushOptions, audienceName: string): Promise<PushTarget> {
  if (!client) {
    return { adAccountId: options.adAccount ?? ctx.config.profile(ctx.profile).adAccountId, audienceName, toCreate: false };
  }
  const target = await resolveAudienceTarget(ctx, client, { audience: audienceName, adAccount: options.adAccount, create: options.create });
  if (target.toCreate && options.dryRun) {
    ctx.info(`Audience "${audienceName}" does not exist: a real run would create it (customer list first).`);
  }
  return target;
}

/** On Ctrl-C or SIGTERM (`stop`) a write on its way gets a short grace to be acknowledged (its rows then count as synced). */
export function uploadTarget(client: PinterestClient, target: PushTarget, operation: Operation, plan: ColumnPlan, stop: AbortSignal, description?: string): UploadTarget {
  return customerListTarget(client, target as AudienceTarget, {
    operation: operation === 'REMOVE' ? 'REMOVE' : 'ADD',
    listType: plan.listType,
    description,
    signal: requestSignal(stop),
    stop,
  });
}

/**
 * What makes two push runs "the same command" for resuming (the journal's key): one shape for a plain
 * push and for each audience of a fan-out, so both resume alike.
 */
export function pushRequestShape(options: PushOptions, settings: RunSettings, audience: string, adAccount: string): Record<string, unknown> {
  return {
    audience,
    // Only when given: runKey keeps an undefined key (as null), and plain pushes must keep their keys.
    ...(options.audienceColumn === undefined ? {} : { audienceColumn: options.audienceColumn.trim() }),
    adAccount,
    columns: { email: options.emailColumn, maid: options.maidColumn, idfa: options.idfaColumn },
    format: options.format,
    delimiter: settings.delimiter,
    ...exclusionShape(options.exclude),
  };
}
