// A list's match health as Pinterest shows it: Pinterest matches an upload against its users and then
// deletes it, so what can be read back is the customer list's status (PROCESSING, READY, TOO_SMALL), its
// counts and the audience's size. Judged against the list's previous reading: a list that stays TOO_SMALL,
// or an audience that shrank by more than a set share, is worth a warning.
import type { CallOptions, PinterestClient } from '../pinterest/client.js';
import type { HealthReading } from '../state/match-health.js';
import { matchRate } from '../state/match-health.js';

export interface HealthTarget {
  adAccountId: string;
  customerListId: string;
  audienceId?: string;
  audienceName: string;
}

/** While the list is in one of these, Pinterest has not finished matching the last upload. */
const BUSY = new Set(['PROCESSING', 'UPLOADING']);

/** The default share (percent) the audience may shrink between two readings before a warning. */
export const DEFAULT_SIZE_DROP_PERCENT = 20;

export type PinterestHealth = Pick<HealthReading, 'listStatus' | 'audienceStatus' | 'audienceSize'>;

/** Reads the list's status and the audience's size and status (two GETs; the audience only when there is one). */
export async function readHealth(client: PinterestClient, target: HealthTarget, options?: CallOptions): Promise<PinterestHealth> {
  const list = await client.customerList(target.adAccountId, target.customerListId, options);
  const audience = target.audienceId ? await client.audience(target.adAccountId, target.audienceId, options) : undefined;
  return { listStatus: list.status ?? null, audienceStatus: audience?.status ?? null, audienceSize: audience?.size ?? null };
}

export interface WaitOptions {
  untilMs: number;
  now(): number;
  signal: AbortSignal;
}

/** --wait-ready: polls the list until Pinterest has matched the upload (or time is up); the last reading. */
export async function waitUntilMatched(client: PinterestClient, target: HealthTarget, options: WaitOptions): Promise<{ health: PinterestHealth; matched: boolean }> {
  let pauseMs = 2000;
  for (;;) {
    const health = await readHealth(client, target, { signal: options.signal });
    const matched = !BUSY.has(health.listStatus ?? '');
    if (matched || options.now() + pauseMs > options.untilMs || options.signal.aborted) return { health, matched };
    await pause(pauseMs, options.signal);
    pauseMs = Math.min(30_000, pauseMs * 2);
  }
}

/** One sentence when the reading calls for attention, compared with the list's previous reading. */
export function healthWarning(name: string, current: HealthReading, previous: HealthReading | undefined, dropPercent: number): string | undefined {
  if (current.listStatus === 'TOO_SMALL' && previous?.listStatus === 'TOO_SMALL') {
    return `Audience "${name}" is still TOO_SMALL: Pinterest matched fewer than 100 of its users, again. Add users, or check the identifiers (several per user, e.g. email and phone, match more).`;
  }
  if (current.audienceSize !== null && previous?.audienceSize) {
    const fell = 1 - current.audienceSize / previous.audienceSize;
    if (fell * 100 > dropPercent) {
      return `Audience "${name}" shrank by ${(fell * 100).toFixed(0)}% since the last reading (${previous.audienceSize.toLocaleString('en-US')} → ${current.audienceSize.toLocaleString('en-US')} matched users), more than --warn-size-drop ${dropPercent}%.`;
    }
  }
  return undefined;
}

/** "7,200 matched of 10,000 users synced (72%)", or what is known. */
export function describeMatch(reading: HealthReading): string {
  const users = reading.usersSynced === null ? undefined : `${reading.usersSynced.toLocaleString('en-US')} users synced`;
  if (reading.audienceSize === null) return `list ${reading.listStatus ?? 'status unknown'}, no audience size yet${users ? ` (${users})` : ''}`;
  const size = `${reading.audienceSize.toLocaleString('en-US')} matched`;
  const rate = matchRate(reading);
  return users ? `${size} of ${users}${rate === undefined ? '' : ` (${formatRate(rate)})`}` : size;
}

export function formatRate(rate: number): string {
  return `${(rate * 100).toFixed(rate < 0.1 ? 1 : 0)}%`;
}

function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
  });
}
