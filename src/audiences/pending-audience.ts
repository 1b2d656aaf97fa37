// The CUSTOMER_LIST audience of a customer list pinsync made (or found waiting): Pinterest accepts it
// only once the list matches ~100 users and has finished processing. So it is tried as soon as the list
// holds the first batch, again with backoff while the run goes on (a stream may never end), and at the
// end for a bounded time, but only while Pinterest says the list is still processing.
import type { PinterestClient } from '../pinterest/client.js';
import { isArchived, ownAudiences } from './directory.js';
import type { Audience, CustomerList } from '../pinterest/types.generated.js';

/** Pinterest's minimum: "You can create an audience with a minimum of 100 members." */
export const MIN_AUDIENCE_RECORDS = 100;
/** `--audience-wait` default: how long the end of a run waits for a list that is still processing. */
export const DEFAULT_AUDIENCE_WAIT_MS = 120_000;
const FIRST_RETRY_MS = 2_000;
const MAX_RETRY_MS = 60_000;
const MAX_POLL_MS = 10_000;
/** How long one create call may retry 429s and 5xx. */
const CALL_WINDOW_MS = 60_000;

export interface HeldLock {
  release(): void;
}

/**
 * The lock on one ad account's audience name, held while its list or audience is found or created, so two
 * runs never make two. `wait: false` gives up at once ('busy') when another process holds it.
 */
export type NameLock = (wait: boolean) => Promise<HeldLock | 'busy'>;

/** What the audience needs of the run's target (audience-target.ts's AudienceTarget has it). */
export interface AudienceToCreate {
  adAccountId: string;
  audienceName: string;
  customerListId?: string;
  audienceId?: string;
}

export interface PendingAudienceOptions {
  description?: string;
  lock: NameLock;
  now(): number;
  /** Ctrl-C: cuts the waits and the create calls (the next run finds the list by name). */
  signal?: AbortSignal;
}

export class PendingAudience {
  /** Why Pinterest has not accepted the audience yet (its words, or what the list says). */
  reason: string | undefined;
  private attempt: Promise<boolean> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private backoffMs = FIRST_RETRY_MS;
  private stopped = false;
  private readonly abandoned = new AbortController();
  /** Ctrl-C, or the run ended without its last tries: either cuts a call waiting for its turn. */
  private readonly signal: AbortSignal;

  constructor(
    private readonly client: PinterestClient,
    private readonly target: AudienceToCreate,
    private readonly options: PendingAudienceOptions,
  ) {
    this.signal = options.signal ? AbortSignal.any([options.signal, this.abandoned.signal]) : this.abandoned.signal;
  }

  get created(): boolean {
    return this.target.audienceId !== undefined;
  }

  /** The list took another batch: try now, unless a try is running or backing off. */
  listWritten(): void {
    if (this.created || this.stopped || this.attempt || this.timer) return;
    this.tryInBackground();
  }

  /** No more tries (an unfinished one is let finish); settle() still makes the last ones. */
  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** The run stopped early (fatal error, Ctrl-C): no more tries, and a call still waiting is cut. */
  abandon(): void {
    this.stop();
    this.abandoned.abort();
  }

  /**
   * The end of the run: one more try, then, while Pinterest says the list is still processing, wait and
   * try again for at most `waitMs`. A list under 100 records cannot become an audience by waiting.
   */
  async settle(waitMs: number, tell: (message: string) => void = () => {}): Promise<void> {
    this.stop();
    await this.attempt;
    if (this.created || !this.target.customerListId) return;
    const until = this.options.now() + waitMs;
    let told = false;
    while (!this.signal?.aborted) {
      if (await this.tryCreate(true)) return;
      const list = await this.listNow();
      if (!this.worthWaiting(list)) return;
      if (!told) tell(`Waiting up to ${Math.round(waitMs / 1000)} s for Pinterest to accept audience "${this.target.audienceName}": ${this.reason}.`);
      told = true;
      if (!(await this.waitWhileProcessing(until))) {
        this.reason = `customer list ${this.target.customerListId} was still processing after ${Math.round(waitMs / 1000)} s (--audience-wait)`;
        return;
      }
    }
  }

  private tryInBackground(): void {
    this.attempt = this.tryCreate(false);
    void this.attempt.then((created) => {
      this.attempt = undefined;
      if (created || this.stopped) return;
      this.timer = setTimeout(() => {
        this.timer = undefined;
        if (!this.stopped) this.tryInBackground();
      }, this.backoffMs);
      this.timer.unref();
      this.backoffMs = Math.min(this.backoffMs * 2, MAX_RETRY_MS);
    });
  }

  /**
   * Under the name lock: adopt an audience another run just made on this list, else ask Pinterest for one.
   * A list Pinterest says is still processing is not asked yet: the create would be refused, and each
   * create is a write that takes a slot from the upload (a read to look costs none).
   */
  private async tryCreate(waitForLock: boolean): Promise<boolean> {
    const list = await this.listNow();
    if (list && isProcessing(list) && (list.num_uploaded_user_records ?? 0) > 0) {
      this.reason = whyListWaits(list);
      return false;
    }
    const lock = await this.options.lock(waitForLock);
    if (lock === 'busy') return false;
    try {
      const existing = await this.liveAudience();
      if (existing) return this.adopt(existing);
      const { adAccountId, audienceName, customerListId } = this.target;
      const audience = await this.client.createAudience(
        adAccountId,
        {
          name: audienceName,
          audience_type: 'CUSTOMER_LIST',
          rule: { customer_list_id: customerListId! },
          ...(this.options.description ? { description: this.options.description } : {}),
        },
        { deadline: this.options.now() + CALL_WINDOW_MS, signal: this.signal },
      );
      this.target.audienceId = audience.id;
      this.reason = undefined;
      return true;
    } catch (error) {
      this.reason = refusalOf(error);
      return false;
    } finally {
      lock.release();
    }
  }

  private async liveAudience(): Promise<Audience | undefined> {
    for await (const audience of ownAudiences(this.client, this.target.adAccountId, { signal: this.signal })) {
      if (audience.name === this.target.audienceName && !isArchived(audience)) return audience;
    }
    return undefined;
  }

  private adopt(audience: Audience): boolean {
    if (audience.rule?.customer_list_id === this.target.customerListId) {
      this.target.audienceId = audience.id;
      this.reason = undefined;
      return true;
    }
    // Made by other means on another list: a second audience of this name would make the name ambiguous.
    this.reason = `audience "${this.target.audienceName}" (id ${audience.id}) already exists on another customer list`;
    this.stop();
    return false;
  }

  private async listNow(): Promise<CustomerList | undefined> {
    try {
      return await this.client.customerList(this.target.adAccountId, this.target.customerListId!, { signal: this.signal });
    } catch {
      return undefined;
    }
  }

  /** Waiting helps only a list that holds 100 records and that Pinterest says is still processing. */
  private worthWaiting(list: CustomerList | undefined): boolean {
    if (this.stopped && this.reason?.includes('already exists')) return false;
    const why = whyListWaits(list);
    if (why) this.reason = why;
    return list !== undefined && isProcessing(list) && (list.num_uploaded_user_records ?? 0) >= MIN_AUDIENCE_RECORDS;
  }

  /** Polls the list (reads, not writes) until it is done processing (true) or the time is up (false). */
  private async waitWhileProcessing(until: number): Promise<boolean> {
    let delay = 1000;
    for (;;) {
      const left = until - this.options.now();
      if (left <= 0 || this.signal?.aborted) return false;
      await sleep(Math.min(delay, left), this.signal);
      delay = Math.min(delay * 2, MAX_POLL_MS);
      const list = await this.listNow();
      if (list && !isProcessing(list)) return true;
    }
  }
}

function isProcessing(list: CustomerList): boolean {
  return list.status === 'PROCESSING' || list.status === 'UPLOADING';
}

/** Why a customer list cannot carry its audience yet, in words for the user; undefined when it looks ready. */
export function whyListWaits(list: CustomerList | undefined): string | undefined {
  if (!list) return undefined;
  const uploaded = list.num_uploaded_user_records ?? 0;
  if (uploaded < MIN_AUDIENCE_RECORDS) {
    return `customer list ${list.id} holds ${uploaded.toLocaleString('en-US')} uploaded records, fewer than the ${MIN_AUDIENCE_RECORDS} Pinterest needs for an audience`;
  }
  if (isProcessing(list)) return `customer list ${list.id} is still processing`;
  if (list.status === 'TOO_SMALL') {
    return `customer list ${list.id} matches fewer than ${MIN_AUDIENCE_RECORDS} Pinterest users so far (Pinterest's minimum for an audience)`;
  }
  return undefined;
}

/** Pinterest's own words for a refusal (a 400 names the list, never a record); else the error's sentence. */
function refusalOf(error: unknown): string {
  const { apiMessage, message } = (error ?? {}) as { apiMessage?: unknown; message?: unknown };
  const text = typeof apiMessage === 'string' && apiMessage ? apiMessage : typeof message === 'string' ? message : String(error);
  return `Pinterest answered: ${text.replace(/[\r\n]+/g, ' ').replace(/\.$/, '')}`;
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}
