// The call engine under every endpoint: waits for the token's rate-limit slot, sends, and retries
// until the call's deadline, refreshing the token once after a 401 and, for a create whose failure
// was ambiguous, looking for what the earlier attempt made before trying again.
import { setMaxListeners } from 'node:events';
import type { Dispatcher } from 'undici';
import { AuthError, InterruptedError } from '../errors.js';
import {
  ApiError,
  errorCode,
  kindForStatus,
  messageForStatus,
  MISSING_SCOPE_CODE,
  missingScopeError,
  quotaError,
  scopeFor,
  scrubApiMessage,
  spamError,
  type CallSubject,
} from './errors.js';
import { DEFAULT_API_BASE, withoutTrailingSlash } from './api-base.js';
import { realClock, type Clock } from './clock.js';
import {
  categoryRates,
  DEFAULT_READ_RATE,
  isPerSecondWindow,
  laneKey,
  PACED_WINDOW_MAX_MS,
  RateLimiter,
  tokenKey,
  type BudgetObservation,
  type CategoryRates,
  type Limiter,
} from './ratelimit/index.js';
import { DEFAULT_RETRY_FOR_MS, withRetry } from './retry.js';
import type { TokenProvider } from './tokens.js';
import {
  bearerHeaders,
  budgetOf,
  createDispatcher,
  DEFAULT_TIMEOUT_MS,
  exchange,
  quotaPauseMs,
  retryWaitMs,
  type HttpAnswer,
} from './transport.js';
import { rateLimitCategories, type OperationKey, type Operations } from './types.generated.js';

export type ClientEvent =
  | { type: 'request'; method: string; path: string; status?: number; ms: number; attempt: number; error?: string }
  | { type: 'retry'; method: string; path: string; attempt: number; delayMs: number; reason: string }
  | { type: 'rate-limited'; category: string; waitMs: number };

export interface ClientStats {
  /** HTTP requests sent (every attempt). */
  requests: number;
  /** Attempts after the first of a call. */
  retries: number;
  /** 429 answers received. */
  rateLimited: number;
}

export interface PinterestClientOptions {
  /** Default: Pinterest's (https://api.pinterest.com/v5). */
  apiBase?: string;
  tokens: TokenProvider;
  /** ads_write requests per second (default 7). */
  writeRate?: number;
  /**
   * Slots to wait for instead of the client's own: a lane of its own in a budget shared with other
   * clients of the token (WriteBudget.lane()); writeRate is then the limiter's business.
   */
  limiter?: Limiter;
  /** How long one call keeps retrying, in ms (default 13 h). */
  retryFor?: number;
  /** Per-attempt timeout in ms (default 60 s). */
  timeoutMs?: number;
  /** For HTTPS_PROXY / HTTP_PROXY / NO_PROXY. */
  env?: Record<string, string | undefined>;
  signal?: AbortSignal;
  onEvent?: (event: ClientEvent) => void;
  clock?: Clock;
  random?: () => number;
  backoffBaseMs?: number;
  backoffCapMs?: number;
}

export interface CallOptions {
  /** Epoch ms: keep retrying until then (default now + retryFor). */
  deadline?: number;
  signal?: AbortSignal;
}

export interface Call<K extends OperationKey> {
  params?: Record<string, string>;
  query?: Record<string, string | number | boolean | undefined>;
  body?: Operations[K]['body'];
  subject?: CallSubject;
  /** For creates: find what an earlier attempt may have created despite its failure (epoch ms of the first attempt). */
  recover?: (sinceMs: number) => Promise<Operations[K]['response'] | undefined>;
}

/** One attempt's route: where it goes and which token lane it waits in. */
interface Attempt {
  method: string;
  path: string;
  token: string;
  lane: string;
  category: string;
  number: number;
  signal: AbortSignal | undefined;
  /** Cuts the wait for a rate-limit slot: a stopped run starts no new request. */
  waitSignal: AbortSignal | undefined;
  /** Epoch ms: the call's retry window ends then. */
  deadline: number;
}

/** The call that asks Pinterest, with its write, whether a quota stop remembered from elsewhere still holds. */
interface QuotaProbe {
  /** The remembered stop: lifted when Pinterest takes the write. */
  until: number;
  /** The answer is in: calls waiting on the probe look at the lane again. */
  settle(): void;
}

export class CallEngine {
  readonly apiBase: string;
  readonly stats: ClientStats = { requests: 0, retries: 0, rateLimited: 0 };
  private readonly rates: CategoryRates;
  private readonly limiter: Limiter;
  /** Quota stops Pinterest announced to this client, by lane (until when): they stop a call unasked. */
  private readonly quotaHeard = new Map<string, number>();
  /** The one write per lane asking Pinterest whether a quota stop remembered from elsewhere still holds. */
  private readonly quotaProbes = new Map<string, Promise<void>>();
  private readonly dispatcher: Dispatcher;
  private readonly clock: Clock;
  /** Once closed, a call fails at once: a call left behind by an ended run must not retry for hours. */
  private closed = false;

  constructor(private readonly options: PinterestClientOptions) {
    this.apiBase = withoutTrailingSlash(options.apiBase || DEFAULT_API_BASE);
    this.clock = options.clock ?? realClock;
    this.rates = categoryRates(options.writeRate);
    this.limiter = options.limiter ?? new RateLimiter(this.rates, { clock: this.clock });
    // Every waiting and in-flight request listens on the run's signal: dozens at once is normal, not a leak.
    if (options.signal) setMaxListeners(0, options.signal);
    this.dispatcher = createDispatcher(options.env ?? {});
  }

  /** One API call: rate-limited, retried until its deadline, with one token refresh after a 401. */
  call<K extends OperationKey>(key: K, call: Call<K>, options: CallOptions = {}): Promise<Operations[K]['response']> {
    const [method, route] = key.split(' ') as [string, string];
    const path = buildPath(route, call.params ?? {}, call.query ?? {});
    const category: string = rateLimitCategories[key];
    const signal = options.signal ?? this.options.signal;
    if (options.signal) setMaxListeners(0, options.signal);
    // A call may have a later signal of its own (a grace for a write on the wire to be acknowledged):
    // backoff and rate-limit waits still stop at the client's signal, so a stopped run starts no new
    // request and never sleeps through an outage.
    const waitSignal = options.signal && this.options.signal ? AbortSignal.any([options.signal, this.options.signal]) : signal;
    const deadline = options.deadline ?? this.clock.now() + (this.options.retryFor ?? DEFAULT_RETRY_FOR_MS);
    let refreshedAfter401 = false;
    let lastFailureAmbiguous = false;
    const firstAttemptAt = this.clock.now();
    return withRetry(
      async (number) => {
        if (this.closed) throw new ApiError('The run has ended: its connection to Pinterest is closed.', { kind: 'network', retryable: false, unsent: true });
        if (number > 0) this.stats.retries += 1;
        if (number > 0 && lastFailureAmbiguous && call.recover) {
          const existing = await call.recover(firstAttemptAt);
          if (existing !== undefined) return existing;
        }
        const token = wellFormed(await this.options.tokens.accessToken());
        const attempt: Attempt = { method, path, token, lane: tokenKey(token), category, number, signal, waitSignal, deadline };
        const probe = await this.waitForSlot(attempt);
        try {
          const answer = (await this.send(attempt, call)) as Operations[K]['response'];
          // Pinterest took the write: the remembered quota stop was stale (the quota refilled, or grew).
          if (probe) this.limiter.resume(attempt.lane, attempt.category, probe.until);
          return answer;
        } catch (error) {
          lastFailureAmbiguous = error instanceof ApiError && mayHaveBeenApplied(error);
          if (error instanceof ApiError && error.kind === 'auth' && !refreshedAfter401) {
            refreshedAfter401 = true;
            if (await this.options.tokens.refreshAfterUnauthorized(attempt.token)) {
              throw new ApiError(error.message, { kind: 'auth', status: 401, retryable: true, retryAfterMs: 0 });
            }
          }
          throw error;
        } finally {
          probe?.settle();
        }
      },
      {
        deadline,
        signal: waitSignal,
        clock: this.clock,
        random: this.options.random,
        baseMs: this.options.backoffBaseMs,
        capMs: this.options.backoffCapMs,
        onRetry: (error, attempt, delayMs) =>
          this.emit({ type: 'retry', method, path: stripQuery(path), attempt: attempt + 1, delayMs, reason: error.kind }),
      },
    );
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.dispatcher.close();
  }

  /** Waits for the call's slot; returns a probe instead when this call is the one write that asks about a remembered quota stop. */
  private async waitForSlot(attempt: Attempt): Promise<QuotaProbe | undefined> {
    let pausedUntil = this.limiter.pausedUntil(attempt.lane, attempt.category);
    while (this.isQuotaStop(pausedUntil, attempt.deadline)) {
      const lane = laneKey(attempt.lane, attempt.category);
      // Pinterest told this client the quota is spent past this call's retry window (or for hours): stop now, send nothing.
      if (pausedUntil <= (this.quotaHeard.get(lane) ?? 0)) throw quotaError(pausedUntil, this.clock.now());
      // Remembered from an earlier run or another process: one write asks Pinterest before anything stops.
      const probing = this.quotaProbes.get(lane);
      if (!probing) return this.startQuotaProbe(lane, pausedUntil);
      await probing;
      pausedUntil = this.limiter.pausedUntil(attempt.lane, attempt.category);
    }
    const pausedFor = pausedUntil - this.clock.now();
    if (pausedFor > 0) this.emit({ type: 'rate-limited', category: attempt.category, waitMs: pausedFor });
    try {
      await this.limiter.acquire(attempt.lane, attempt.category, { signal: attempt.waitSignal, deadline: attempt.deadline });
    } catch (error) {
      if (attempt.waitSignal?.aborted) throw new InterruptedError('Interrupted while waiting for Pinterest.', { cause: error });
      throw error; // cut: the lane stopped (spam, a spent quota) while this call waited
    }
  }

  private startQuotaProbe(lane: string, until: number): QuotaProbe {
    let settle!: () => void;
    this.quotaProbes.set(lane, new Promise<void>((resolve) => (settle = resolve)));
    return {
      until,
      settle: () => {
        this.quotaProbes.delete(lane);
        settle();
      },
    };
  }

  /** Calls of this client still waiting for a slot in this lane stop unsent when `stops(deadline)` says so. */
  private cutWaiters(attempt: Attempt, error: ApiError, stops?: (deadline: number) => boolean): void {
    this.limiter.cut(attempt.lane, attempt.category, error.asUnsent(), stops);
  }

  /** One attempt. Returns the parsed body of a 2xx answer, else throws an ApiError. */
  private async send(attempt: Attempt, call: Call<OperationKey>): Promise<unknown> {
    const started = this.clock.now();
    const event = { type: 'request' as const, method: attempt.method, path: stripQuery(attempt.path), attempt: attempt.number };
    this.stats.requests += 1;
    let answer: HttpAnswer;
    try {
      answer = await exchange(this.dispatcher, this.apiBase, {
        method: attempt.method as Dispatcher.HttpMethod,
        url: this.apiBase + attempt.path,
        headers: bearerHeaders(attempt.token, call.body !== undefined),
        body: call.body === undefined ? undefined : JSON.stringify(call.body),
        timeoutMs: this.options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
        signal: attempt.signal,
        onSent: (at) => this.limiter.sent(attempt.lane, attempt.category, started, at),
      });
    } catch (error) {
      if (error instanceof ApiError) this.emit({ ...event, ms: this.clock.now() - started, error: error.kind });
      throw error;
    }
    this.emit({ ...event, status: answer.status, ms: this.clock.now() - started });
    this.honourQuotaHeaders(answer, attempt, started);
    if (answer.status >= 200 && answer.status < 300) return answer.text ? parseJson(answer.text) : undefined;
    const error = this.httpError(answer, call.subject ?? {}, attempt);
    // The run stops: what still waits for a slot is not sent (its rows stay pending for a rerun).
    if (error.kind === 'spam' || error.kind === 'quota') this.cutWaiters(attempt, error);
    throw error;
  }

  private isPerSecondWindow(attempt: Attempt, budget: BudgetObservation): boolean {
    return isPerSecondWindow(this.rates[attempt.category] ?? DEFAULT_READ_RATE, budget);
  }

  /** A pause still ahead that outlasts the call's retry window (or is hours long). One already over is no pause. */
  private isQuotaStop(until: number, deadline: number): boolean {
    const now = this.clock.now();
    return until > now && (until >= deadline || until - now > PACED_WINDOW_MAX_MS);
  }

  private honourQuotaHeaders(answer: HttpAnswer, attempt: Attempt, sentAt: number): void {
    const now = this.clock.now();
    if (answer.status === 429) this.stats.rateLimited += 1;
    if (answer.status === 429 && isSpam(answer.text)) return; // not a rate limit: nothing to learn
    const budget = { ...budgetOf(answer.headers, answer.status, now), sentAt };
    this.limiter.observe(attempt.lane, attempt.category, budget);
    // A 429 of the per-second window (another process on this token): the slower rate answers it;
    // holding the whole lane for the rounded-up second would waste most of that second.
    if (answer.status === 429 && this.isPerSecondWindow(attempt, budget)) return;
    const waitMs = quotaPauseMs(answer.headers, answer.status, now);
    if (waitMs !== undefined && waitMs > 0) {
      this.limiter.pause(attempt.lane, attempt.category, now + waitMs);
      const lane = laneKey(attempt.lane, attempt.category);
      this.quotaHeard.set(lane, Math.max(this.quotaHeard.get(lane) ?? 0, now + waitMs));
      this.emit({ type: 'rate-limited', category: attempt.category, waitMs });
      const until = now + waitMs;
      this.cutWaiters(attempt, quotaError(until, now), (deadline) => this.isQuotaStop(until, deadline));
    }
  }

  private httpError({ status, headers, text }: HttpAnswer, subject: CallSubject, attempt: Attempt): ApiError {
    const body = parseErrorBody(text);
    const apiMessage = scrubApiMessage(body.message);
    if (status === 401 && body.code === MISSING_SCOPE_CODE) return missingScopeError(scopeFor(attempt.category, body.message), apiMessage);
    if (status === 429 && isSpam(text)) return spamError(scrubApiMessage(body.detail ?? body.message));
    const now = this.clock.now();
    const waitMs = status === 429 ? retryWaitMs(headers, status, now) : undefined;
    if (waitMs !== undefined && this.isQuotaStop(now + waitMs, attempt.deadline)) return quotaError(now + waitMs, now);
    const retryable = status === 429 || status === 408 || status >= 500;
    return new ApiError(messageForStatus(status, subject, apiMessage), {
      kind: kindForStatus(status),
      status,
      code: body.code,
      apiMessage,
      retryable,
      retryAfterMs: retryable ? retryWaitMs(headers, status, this.clock.now()) : undefined,
    });
  }

  private emit(event: ClientEvent): void {
    try {
      this.options.onEvent?.(event);
    } catch {
      // A progress callback must never break an API call.
    }
  }
}

/**
 * A bearer token is printable ASCII without spaces. One with a control character (a stray newline
 * pasted into PINSYNC_ACCESS_TOKEN) cannot even go into a header: say so, not "check your network".
 */
function wellFormed(token: string): string {
  if (/^[\x21-\x7e]+$/.test(token)) return token;
  throw new AuthError(
    'The access token is malformed (it holds spaces or control characters): set PINSYNC_ACCESS_TOKEN to the token alone, or run `pinsync login` again.',
  );
}

function buildPath(route: string, params: Record<string, string>, query: Record<string, string | number | boolean | undefined>): string {
  const path = route.replace(/\{(\w+)\}/g, (_, name: string) => encodeURIComponent(params[name] ?? ''));
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value !== undefined) search.set(key, String(value));
  }
  const qs = search.toString();
  return qs ? `${path}?${qs}` : path;
}

/** A failure after the request may have reached Pinterest: a timeout, a dropped connection, a 5xx. */
function mayHaveBeenApplied(error: ApiError): boolean {
  if (error.kind === 'timeout' || error.kind === 'server') return true;
  return error.kind === 'network' && errorCode(error.cause) !== 'ECONNREFUSED';
}

function stripQuery(path: string): string {
  const index = path.indexOf('?');
  return index < 0 ? path : path.slice(0, index);
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new ApiError('Pinterest answered with something that is not JSON. Check PINSYNC_API_BASE, then run again.', {
      kind: 'server',
      retryable: true,
    });
  }
}

/** Pinterest's api-quickstart reads a 429 whose message_detail mentions spam as its own error. */
function isSpam(text: string): boolean {
  const { detail, message } = parseErrorBody(text);
  return /spam/i.test(detail ?? '') || /spam/i.test(message ?? '');
}

function parseErrorBody(text: string): { code?: number; message?: string; detail?: string } {
  try {
    const parsed = JSON.parse(text) as { code?: unknown; message?: unknown; message_detail?: unknown };
    return {
      code: typeof parsed.code === 'number' ? parsed.code : undefined,
      message: typeof parsed.message === 'string' ? parsed.message : undefined,
      detail: typeof parsed.message_detail === 'string' ? parsed.message_detail : undefined,
    };
  } catch {
    return {};
  }
}
