// What `audiences show` looks at: one audience (archived ones too) with its customer list, or, for a
// name with no audience, the customer list waiting for one and why it waits.
import type { PinterestClient } from '../pinterest/client.js';
import type { Audience, CustomerList } from '../pinterest/types.generated.js';
import { AudienceDirectory, findPendingList } from './directory.js';
import { NotFoundError } from '../errors.js';
import { whyListWaits } from './pending-audience.js';
import fs from 'node:fs';
import { matchRate, type RunHealth } from '../state/match-health.js';
import { openStateStore } from '../state/store.js';

/** `show` and `--actalike-of` have no --create flag, unlike push: point at what exists and how to add one. */
export const SEE_AUDIENCES = 'Run `pinsync audiences list` to see them, or make one with `pinsync audiences create NAME --from FILE`.';

export type ShownAudience =
  | { kind: 'audience'; audience: Audience; customerList: CustomerList | undefined; tooSmall: boolean }
  | { kind: 'pending'; name: string; list: CustomerList; reason: string };

export async function showAudience(client: PinterestClient, adAccountId: string, idOrName: string): Promise<ShownAudience> {
  let audience: Audience;
  try {
    audience = await new AudienceDirectory(client, adAccountId).find(idOrName, { notFoundHint: SEE_AUDIENCES, archivedToo: true, receivedToo: true });
  } catch (error) {
    const list = error instanceof NotFoundError ? await findPendingList(client, adAccountId, idOrName) : undefined;
    if (!list) throw error;
    const reason = whyListWaits(list) ?? `customer list ${list.id} looks ready: the next run creates the audience`;
    return { kind: 'pending', name: idOrName, list, reason };
  }
  const listId = audience.audience_type === 'CUSTOMER_LIST' ? audience.rule?.customer_list_id : undefined;
  const customerList = listId ? await client.customerList(adAccountId, listId) : undefined;
  const tooSmall = audience.status === 'TOO_SMALL' || customerList?.status === 'TOO_SMALL';
  return { kind: 'audience', audience, customerList, tooSmall };
}

/** The match health of the audience's last recorded sync (`pinsync runs`), from this PINSYNC_HOME's history. */
export interface LastSyncMatch {
  run_id: number;
  match_rate: number | null;
  audience_size: number | null;
  users_synced: number | null;
  list_status: string | null;
  checked_at: string;
  warning: string | null;
}

export async function lastSyncMatch(stateFile: string, adAccountId: string, audience: Audience): Promise<LastSyncMatch | undefined> {
  if (!fs.existsSync(stateFile)) return undefined;
  const store = await openStateStore(stateFile);
  let reading: RunHealth | undefined;
  try {
    reading = store.health.lastSyncOf(adAccountId, audience.id, audience.rule?.customer_list_id);
  } finally {
    store.close();
  }
  if (!reading) return undefined;
  const rate = matchRate(reading);
  return {
    run_id: reading.runId,
    match_rate: rate === undefined ? null : Math.round(rate * 10_000) / 10_000,
    audience_size: reading.audienceSize,
    users_synced: reading.usersSynced,
    list_status: reading.listStatus,
    checked_at: new Date(reading.checkedAt).toISOString(),
    warning: reading.warning,
  };
}
