// Where push and sync send their batches: the customer list behind a CUSTOMER_LIST audience, found
// by id or exact name (archived audiences never match), the list of an audience still waiting for
// Pinterest (found by its name), or (with --create) created from the first batch, list first, then the
// audience as soon as Pinterest accepts it (pending-audience.ts). Finding or creating either holds a
// lock on the ad account and name, so two runs of one name end with one list and one audience.
import type { Context } from '../context.js';
import { NotFoundError, UsageError } from '../errors.js';
import type { PinterestClient } from '../pinterest/client.js';
import type { Audience } from '../pinterest/types.generated.js';
import { AudienceDirectory } from './directory.js';
import { clean } from '../report/table.js';
import { acquireRunLock, RunInProgressError, waitForRunLock } from '../state/run-lock.js';
import type { ListType } from '../input/columns.js';
import { DEFAULT_AUDIENCE_WAIT_MS, PendingAudience, type HeldLock, type NameLock } from './pending-audience.js';
import { markFatal, type ListWriter } from '../send/upload.js';
import { isRowRecord, rowFields, type RowFields } from '../identify/row-record.js';

export interface AudienceTarget {
  adAccountId: string;
  audienceId?: string;
  audienceName: string;
  customerListId?: string;
  /** The audience does not exist and --create was given: the first batch creates the list (or finds one another run made). */
  toCreate: boolean;
  /** A customer list of this name waits for its audience (an earlier run's audience was refused): it is reused. */
  waitingList?: boolean;
  /** Held while the list or the audience of this name is found or created. */
  nameLock?: NameLock;
  /** The audience still to create on the list, once the run writes to it. */
  pendingAudience?: PendingAudience;
  /** Where it was looked up: the list to write to is looked for again there, under the name lock. */
  directory?: AudienceDirectory;
}

export interface TargetOptions {
  /** An audience id or exact name. */
  audience: string;
  create?: boolean;
  /**
   * With --create, a customer list waiting under this name is looked for only under the name lock, when
   * the first batch is ready (push: nothing keyed on the list before that). A sync keys its snapshot on
   * the list, so it looks for one at once.
   */
  waitingListAtFirstBatch?: boolean;
  /** Said when a digits-only value (read as an id) names nothing: a fan-out's segment value has its own hint. */
  digitsHint?: string;
}

/** --create with a digits-only --audience: it reads as an id, so it cannot name the new audience. */
const ID_IS_NO_NAME = 'A new audience needs a name, not an id: pass --audience "NAME" --create, or run `pinsync audiences list`.';
/** How long a run waits for another one that holds the audience name (it creates a list or an audience). */
const NAME_LOCK_WAIT_MS = 10 * 60_000;

/**
 * The audience a run writes to, looked up in the run's directory of the ad account. A name with no
 * live audience but a customer list waiting for one resumes that list, with or without --create: the
 * audience was asked for.
 */
export async function resolveAudienceTarget(ctx: Context, directory: AudienceDirectory, options: TargetOptions): Promise<AudienceTarget> {
  const audienceName = options.audience.trim();
  const { adAccountId } = directory;
  const digitsOnly = /^\d+$/.test(audienceName);
  let audience: Audience;
  try {
    const hint = digitsOnly ? (options.digitsHint ?? (options.create ? ID_IS_NO_NAME : undefined)) : undefined;
    audience = await directory.find(audienceName, hint ? { notFoundHint: hint } : {});
  } catch (error) {
    if (!(error instanceof NotFoundError) || digitsOnly) throw error;
    const nameLock = audienceNameLock(ctx, adAccountId, audienceName);
    if (options.create && options.waitingListAtFirstBatch) return { adAccountId, audienceName, toCreate: true, nameLock, directory };
    const waiting = await directory.pendingList(audienceName);
    if (waiting) return { adAccountId, audienceName, customerListId: waiting.id, toCreate: false, waitingList: true, nameLock, directory };
    if (options.create) return { adAccountId, audienceName, toCreate: true, nameLock, directory };
    throw error;
  }
  return { adAccountId, audienceId: audience.id, audienceName: audience.name ?? audienceName, customerListId: customerListOf(audience), toCreate: false };
}

function customerListOf(audience: Audience): string {
  const type = audience.audience_type ?? (audience as { type?: string }).type;
  const listId = audience.rule?.customer_list_id;
  if (type !== 'CUSTOMER_LIST' || !listId) {
    throw new UsageError(
      `Audience "${audience.name ?? audience.id}" is a ${type ?? 'non-customer-list'} audience: only customer-list audiences can take users. Pick a CUSTOMER_LIST audience, or --create a new one under another name.`,
    );
  }
  return listId;
}

/**
 * The run lock (state/run-lock.ts) on one ad account's audience name, waited for (bounded) when asked.
 * Without a usable PINSYNC_HOME there is nothing to share a lock through: the run goes on, warned.
 */
export function audienceNameLock(ctx: Context, adAccountId: string, audienceName: string): NameLock {
  const key = `audience:${adAccountId}:${audienceName}`;
  const shown = clean(audienceName);
  let told = false;
  return async (wait) => {
    const doing = `creating audience "${shown}"`;
    try {
      if (!wait) return await acquireRunLock(ctx.paths.stateDir, key, doing);
      return await waitForRunLock(ctx.paths.stateDir, key, doing, {
        waitMs: NAME_LOCK_WAIT_MS,
        signal: ctx.signal,
        onWait: () => ctx.info(`Another pinsync run is creating audience "${shown}": waiting for it, to use the same one.`),
      });
    } catch (error) {
      if (!(error instanceof RunInProgressError)) return unlocked(ctx, shown, error);
      if (!wait) return 'busy';
      throw error;
    }
  };
}

function unlocked(ctx: Context, audienceName: string, error: unknown): HeldLock {
  ctx.warn(
    `Could not lock audience name "${audienceName}" (${(error as Error).message}): a second pinsync run of this name at the same time could make a second audience.`,
  );
  return { release() {} };
}

const noLock: NameLock = async () => ({ release() {} });

export interface ListWriterOptions {
  operation: 'ADD' | 'REMOVE';
  listType: ListType;
  description?: string;
  /** Per-call abort signal; push passes one that never fires so the first Ctrl-C lets writes finish. */
  signal?: AbortSignal;
  /** Ctrl-C: cuts the waits and tries of an audience still to create (never a write to the list). */
  stop?: AbortSignal;
  now?: () => number;
}

/**
 * PATCHes the list. Without one yet, the first batch finds the list another run made (under the name
 * lock) or creates it with its records; every ADD batch acknowledged then gives a pending audience a try.
 */
export function customerListWriter(client: PinterestClient, target: AudienceTarget, options: ListWriterOptions): ListWriter {
  let listFound: Promise<readonly string[] | undefined> | undefined;
  const audience = options.operation === 'ADD' ? pendingAudienceOf(client, target, options) : undefined;
  const patch = async (records: readonly string[], deadline: number) => {
    for (const upload of uploadsOf(records)) {
      await client.updateCustomerList(target.adAccountId, target.customerListId!, { operation_type: options.operation, ...upload }, { deadline, signal: options.signal });
    }
  };
  return {
    send: async (records, deadline) => {
      if (!target.customerListId || listFound) {
        listFound ??= findOrCreateList(client, target, records, deadline, options).catch((error: unknown) => {
          throw markFatal(error);
        });
        // The batch whose records created the list is delivered; every other one is a PATCH.
        if ((await listFound) !== records) await patch(records, deadline);
      } else {
        await patch(records, deadline);
      }
      audience?.listWritten();
    },
  };
}

/** The audience still to create on the target's list (one per run, shared by sync's phases). */
function pendingAudienceOf(
  client: PinterestClient,
  target: AudienceTarget,
  options: Pick<ListWriterOptions, 'description' | 'stop' | 'now'>,
): PendingAudience | undefined {
  if (target.audienceId !== undefined) return undefined;
  target.pendingAudience ??= new PendingAudience(client, target, {
    description: options.description,
    lock: target.nameLock ?? noLock,
    now: options.now ?? Date.now,
    signal: options.stop,
  });
  return target.pendingAudience;
}

/** Returns the records the list was created with, or undefined when another run had made it. */
async function findOrCreateList(
  client: PinterestClient,
  target: AudienceTarget,
  records: readonly string[],
  deadline: number,
  options: ListWriterOptions,
): Promise<readonly string[] | undefined> {
  const lock = await (target.nameLock ?? noLock)(true);
  if (lock === 'busy') throw new Error('the audience name lock was busy'); // a waiting lock is never busy
  try {
    // Another run of this name may have made the list (and its audience, adopted later) since the look-up.
    const directory = target.directory ?? new AudienceDirectory(client, target.adAccountId);
    const waiting = await directory.pendingListNow(target.audienceName);
    if (waiting) {
      target.customerListId = waiting.id;
      target.waitingList = true;
      return undefined;
    }
    const [first, ...rest] = uploadsOf(records);
    const list = await client.createCustomerList(target.adAccountId, { name: target.audienceName, ...first, list_type: options.listType }, { deadline, signal: options.signal });
    target.customerListId = list.id;
    for (const upload of rest) {
      await client.updateCustomerList(target.adAccountId, list.id, { operation_type: options.operation, ...upload }, { deadline, signal: options.signal });
    }
    return records;
  } finally {
    lock.release();
  }
}

/**
 * A batch's records as Pinterest takes them: the `records` string, or (API 5.28) `records_v2` rows, never
 * both in a request. A batch holding both kinds (a sync's removals, its snapshot taken before the file
 * had phones) goes as two requests, plain records first.
 */
function uploadsOf(records: readonly string[]): Array<{ records: string } | { records_v2: RowFields[] }> {
  const plain = records.filter((record) => !isRowRecord(record));
  if (plain.length === records.length) return [{ records: plain.join(',') }];
  const rows = records.filter(isRowRecord).map(rowFields);
  return plain.length === 0 ? [{ records_v2: rows }] : [{ records: plain.join(',') }, { records_v2: rows }];
}

export interface SettleOptions {
  /** --audience-wait: how long the end of the run waits for a list Pinterest says is still processing (default 2 min). */
  waitMs?: number;
  description?: string;
  stop?: AbortSignal;
  now?: () => number;
  /** Told once when the end of the run waits for a list that is still processing (a line on stderr). */
  tell?: (message: string) => void;
}

/**
 * The end of a run: an audience still to create gets its last tries (bounded), or, when the run did not
 * end normally, no more. A waiting list the run did not write to (nothing new to send) is tried too.
 */
export async function settleAudience(client: PinterestClient, target: AudienceTarget, ended: boolean, options: SettleOptions): Promise<void> {
  if (!target.customerListId || target.audienceId !== undefined) return;
  const pending = target.pendingAudience ?? (ended && target.waitingList ? pendingAudienceOf(client, target, options) : undefined);
  if (!pending) return;
  if (ended) await pending.settle(options.waitMs ?? DEFAULT_AUDIENCE_WAIT_MS, (message) => options.tell?.(clean(message)));
  else pending.abandon();
}

/** The report's `audiencePending`: the list holds the users, the audience is not there yet. */
export function audiencePending(target: { customerListId?: string; audienceId?: string }): boolean {
  return target.customerListId !== undefined && target.audienceId === undefined;
}

/** The report's `audiencePending`, and `audiencePendingReason` when it is true. */
export function audiencePendingKeys(target: AudienceTarget): { audiencePending: boolean; audiencePendingReason?: string | null } {
  if (!audiencePending(target)) return { audiencePending: false };
  return { audiencePending: true, audiencePendingReason: target.pendingAudience?.reason ?? null };
}

/** One sentence on why the audience waits and how it completes; undefined when it does not wait. */
export function audiencePendingNote(target: AudienceTarget): string | undefined {
  if (!audiencePending(target)) return undefined;
  const name = clean(target.audienceName);
  const why = target.pendingAudience?.reason ?? 'the run stopped before Pinterest was asked for it';
  return (
    `Audience "${name}" is not created yet: ${why}. The next push or sync of "${name}" adds to customer list ` +
    `${target.customerListId} (it holds the users) and creates the audience, or run ` +
    `\`pinsync audiences create "${name}" --list ${target.customerListId}\` once Pinterest accepts it.`
  );
}
