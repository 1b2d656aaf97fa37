// PinterestClient: the typed Pinterest API v5 calls pinsync makes, over one keep-alive undici
// dispatcher, each call rate-limited per category and retried until its deadline.
import { createHash } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import { createRequire } from 'node:module';
import { Agent, EnvHttpProxyAgent, request, type Dispatcher } from 'undici';
import type { TokenProvider } from '../auth/token-provider.js';
import { InterruptedError } from '../errors.js';
import {
  ApiError,
  errorCode,
  kindForStatus,
  messageForStatus,
  networkError,
  scrubApiMessage,
  type CallSubject,
} from './errors.js';
import { DEFAULT_PAGE_SIZE, paginate } from './pages.js';
import {
  DEFAULT_READ_RATE,
  DEFAULT_WRITE_RATE,
  RateLimiter,
  rateLimitResetMs,
  realClock,
  retryAfterMs,
  type Clock,
} from './ratelimit.js';
import { DEFAULT_RETRY_FOR_MS, withRetry } from './retry.js';
import {
  rateLimitCategories,
  type AdAccount,
  type Audience,
  type AudienceCreateRequest,
  type CustomerList,
  type CustomerListRequest,
  type CustomerListUpdateRequest,
  type OperationKey,
  type Operations,
} from './types.generated.js';

export const DEFAULT_API_BASE = 'https://api.pinterest.com/v5';
export const DEFAULT_TIMEOUT_MS = 60_000;

const { version } = createRequire(import.meta.url)('../../package.json') as { version: string };
export const USER_AGENT = `pinsync/${version}`;

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
  apiBase?: string;
  tokens: TokenProvider;
  /** ads_write requests per second (default 7). */
  writeRate?: number;
  /** ads_read requests per second (default 1000/min). */
  readRate?: number;
  /** How long one call keeps retrying, in ms (default 13 h). */
  retryFor?: number;
  /** Per-attempt timeout in ms (default 60 s). */
  timeoutMs?: number;
  /** For HTTPS_PROXY / HTTP_PROXY / NO_PROXY. */
  env?: Record<string, string | undefined>;
  signal?: AbortSignal;
  onEvent?: (event: ClientEvent) => void;
  /** Share one limiter between clients of the same token. */
  limiter?: RateLimiter;
  dispatcher?: Dispatcher;
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

interface Call<K extends OperationKey> {
  params?: Record<string, string>;
  query?: Record<string, string | number | boolean | undefined>;
  body?: Operations[K]['body'];
  subject?: CallSubject;
  /** For creates: find what an earlier attempt may have created despite its failure (epoch ms of the first attempt). */
  recover?: (sinceMs: number) => Promise<Operations[K]['response'] | undefined>;
}

/** Seconds of clock difference tolerated when matching a created object's timestamp. */
const CLOCK_SKEW_S = 120;

export class PinterestClient {
  readonly apiBase: string;
  readonly stats: ClientStats = { requests: 0, retries: 0, rateLimited: 0 };
  private readonly tokens: TokenProvider;
  private readonly limiter: RateLimiter;
  private readonly dispatcher: Dispatcher;
  private readonly ownsDispatcher: boolean;
  private readonly clock: Clock;
  private readonly options: PinterestClientOptions;

  constructor(options: PinterestClientOptions) {
    this.options = options;
    this.apiBase = (options.apiBase || DEFAULT_API_BASE).replace(/\/+$/, '');
    this.tokens = options.tokens;
    this.clock = options.clock ?? realClock;
    this.limiter =
      options.limiter ??
      new RateLimiter(
        { ads_write: options.writeRate ?? DEFAULT_WRITE_RATE, ads_read: options.readRate ?? DEFAULT_READ_RATE },
        this.clock,
      );
    // Every waiting and in-flight request listens on the run's signal: dozens at once is normal, not a leak.
    if (options.signal) setMaxListeners(0, options.signal);
    this.ownsDispatcher = !options.dispatcher;
    this.dispatcher = options.dispatcher ?? createDispatcher(options.env ?? {});
  }

  userAccount(options?: CallOptions) {
    return this.call('GET /user_account', {}, options);
  }

  adAccounts(options?: CallOptions): AsyncGenerator<AdAccount, void, undefined> {
    return paginate((bookmark) =>
      this.call('GET /ad_accounts', { query: { page_size: DEFAULT_PAGE_SIZE, bookmark } }, options),
    );
  }

  adAccount(adAccountId: string, options?: CallOptions) {
    return this.call('GET /ad_accounts/{ad_account_id}', { params: { ad_account_id: adAccountId }, subject: { adAccountId } }, options);
  }

  audiences(adAccountId: string, options?: CallOptions): AsyncGenerator<Audience, void, undefined> {
    return paginate((bookmark) =>
      this.call(
        'GET /ad_accounts/{ad_account_id}/audiences',
        { params: { ad_account_id: adAccountId }, query: { page_size: DEFAULT_PAGE_SIZE, bookmark }, subject: { adAccountId } },
        options,
      ),
    );
  }

  audience(adAccountId: string, audienceId: string, options?: CallOptions) {
    return this.call(
      'GET /ad_accounts/{ad_account_id}/audiences/{audience_id}',
      { params: { ad_account_id: adAccountId, audience_id: audienceId }, subject: { adAccountId, object: `audience ${audienceId}` } },
      options,
    );
  }

  /** Creates an audience. After an ambiguous failure (timeout, reset, 5xx) it looks for the audience first, so a retry does not make a twin. */
  createAudience(adAccountId: string, body: AudienceCreateRequest, options?: CallOptions) {
    return this.call(
      'POST /ad_accounts/{ad_account_id}/audiences',
      {
        params: { ad_account_id: adAccountId },
        body,
        subject: { adAccountId },
        recover: (sinceMs) =>
          this.findCreated(this.audiences(adAccountId, options), sinceMs, (a) =>
            a.name === body.name && (a.audience_type ?? a.type) === body.audience_type ? a.created_timestamp : undefined,
          ),
      },
      options,
    );
  }

  /** Archive (Pinterest: operation_type REMOVE) an audience. */
  archiveAudience(adAccountId: string, audienceId: string, options?: CallOptions) {
    return this.call(
      'PATCH /ad_accounts/{ad_account_id}/audiences/{audience_id}',
      {
        params: { ad_account_id: adAccountId, audience_id: audienceId },
        body: { operation_type: 'REMOVE' },
        subject: { adAccountId, object: `audience ${audienceId}` },
      },
      options,
    );
  }

  customerLists(adAccountId: string, options?: CallOptions): AsyncGenerator<CustomerList, void, undefined> {
    return paginate((bookmark) =>
      this.call(
        'GET /ad_accounts/{ad_account_id}/customer_lists',
        { params: { ad_account_id: adAccountId }, query: { page_size: DEFAULT_PAGE_SIZE, bookmark }, subject: { adAccountId } },
        options,
      ),
    );
  }

  customerList(adAccountId: string, customerListId: string, options?: CallOptions) {
    return this.call(
      'GET /ad_accounts/{ad_account_id}/customer_lists/{customer_list_id}',
      {
        params: { ad_account_id: adAccountId, customer_list_id: customerListId },
        subject: { adAccountId, object: `customer list ${customerListId}` },
      },
      options,
    );
  }

  /** Creates a customer list; like createAudience, an ambiguous failure is checked before a retry. */
  createCustomerList(adAccountId: string, body: CustomerListRequest, options?: CallOptions) {
    return this.call(
      'POST /ad_accounts/{ad_account_id}/customer_lists',
      {
        params: { ad_account_id: adAccountId },
        body,
        subject: { adAccountId },
        recover: (sinceMs) =>
          this.findCreated(this.customerLists(adAccountId, options), sinceMs, (l) => (l.name === body.name ? l.created_time : undefined)),
      },
      options,
    );
  }

  /** The newest item created since `sinceMs` (Unix seconds from `createdAt`; undefined = not a candidate). */
  private async findCreated<T>(
    items: AsyncIterable<T>,
    sinceMs: number,
    createdAt: (item: T) => number | null | undefined,
  ): Promise<T | undefined> {
    const since = Math.floor(sinceMs / 1000) - CLOCK_SKEW_S;
    let newest: { item: T; at: number } | undefined;
    for await (const item of items) {
      const at = createdAt(item);
      if (typeof at === 'number' && at >= since && (!newest || at >= newest.at)) newest = { item, at };
    }
    return newest?.item;
  }

  updateCustomerList(adAccountId: string, customerListId: string, body: CustomerListUpdateRequest, options?: CallOptions) {
    return this.call(
      'PATCH /ad_accounts/{ad_account_id}/customer_lists/{customer_list_id}',
      {
        params: { ad_account_id: adAccountId, customer_list_id: customerListId },
        body,
        subject: { adAccountId, object: `customer list ${customerListId}` },
      },
      options,
    );
  }

  async close(): Promise<void> {
    if (this.ownsDispatcher) await this.dispatcher.close();
  }

  /** One API call: rate-limited, retried until its deadline, with one token refresh after a 401. */
  private call<K extends OperationKey>(key: K, call: Call<K>, options: CallOptions = {}): Promise<Operations[K]['response']> {
    const [method, route] = key.split(' ') as [string, string];
    const path = buildPath(route, call.params ?? {}, call.query ?? {});
    const category: string = rateLimitCategories[key];
    const signal = options.signal ?? this.options.signal;
    if (options.signal) setMaxListeners(0, options.signal);
    const deadline = options.deadline ?? this.clock.now() + (this.options.retryFor ?? DEFAULT_RETRY_FOR_MS);
    let refreshedAfter401 = false;
    let lastFailureAmbiguous = false;
    const firstAttemptAt = this.clock.now();
    return withRetry(
      async (attempt) => {
        if (attempt > 0) this.stats.retries += 1;
        if (attempt > 0 && lastFailureAmbiguous && call.recover) {
          const existing = await call.recover(firstAttemptAt);
          if (existing !== undefined) return existing;
        }
        const token = await this.tokens.accessToken();
        const limiterKey = tokenKey(token);
        await this.waitForSlot(limiterKey, category, signal, deadline);
        try {
          return (await this.send(method, path, token, call, signal, attempt, limiterKey, category)) as Operations[K]['response'];
        } catch (error) {
          lastFailureAmbiguous = error instanceof ApiError && mayHaveBeenApplied(error);
          if (error instanceof ApiError && error.kind === 'auth' && !refreshedAfter401) {
            refreshedAfter401 = true;
            if (await this.tokens.refreshAfterUnauthorized()) {
              throw new ApiError(error.message, { kind: 'auth', status: 401, retryable: true, retryAfterMs: 0 });
            }
          }
          throw error;
        }
      },
      {
        deadline,
        signal,
        clock: this.clock,
        random: this.options.random,
        baseMs: this.options.backoffBaseMs,
        capMs: this.options.backoffCapMs,
        onRetry: (error, attempt, delayMs) =>
          this.emit({ type: 'retry', method, path: stripQuery(path), attempt: attempt + 1, delayMs, reason: error.kind }),
      },
    );
  }

  private async waitForSlot(key: string, category: string, signal: AbortSignal | undefined, deadline: number): Promise<void> {
    const pausedUntil = this.limiter.pausedUntil(key, category);
    if (pausedUntil >= deadline) {
      // Pinterest asked to wait past this call's retry window: fail now rather than sleep in vain.
      throw new ApiError(messageForStatus(429, {}, undefined), {
        kind: 'rate_limited',
        status: 429,
        retryable: true,
        retryAfterMs: pausedUntil - this.clock.now(),
      });
    }
    const pausedFor = pausedUntil - this.clock.now();
    if (pausedFor > 0) this.emit({ type: 'rate-limited', category, waitMs: pausedFor });
    try {
      await this.limiter.acquire(key, category, signal);
    } catch (error) {
      throw new InterruptedError('Interrupted while waiting for Pinterest.', { cause: error });
    }
  }

  /** One HTTP exchange. Returns the parsed body of a 2xx answer, else throws an ApiError. */
  private async send(
    method: string,
    path: string,
    token: string,
    call: Call<OperationKey>,
    userSignal: AbortSignal | undefined,
    attempt: number,
    limiterKey: string,
    category: string,
  ): Promise<unknown> {
    const started = this.clock.now();
    const timeoutMs = this.options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    const timeout = new AbortController();
    const timer = setTimeout(() => timeout.abort(), timeoutMs);
    const forwardAbort = () => timeout.abort();
    userSignal?.addEventListener('abort', forwardAbort, { once: true });
    this.stats.requests += 1;
    let status: number;
    let headers: Record<string, string | string[] | undefined>;
    let text: string;
    try {
      const response = await request(this.apiBase + path, {
        method: method as Dispatcher.HttpMethod,
        dispatcher: this.dispatcher,
        headers: requestHeaders(token, call.body !== undefined),
        body: call.body === undefined ? undefined : JSON.stringify(call.body),
        signal: timeout.signal,
        headersTimeout: timeoutMs,
        bodyTimeout: timeoutMs,
      });
      status = response.statusCode;
      headers = response.headers;
      text = await response.body.text();
    } catch (error) {
      if (userSignal?.aborted) throw new InterruptedError('Interrupted while waiting for Pinterest.');
      const timedOut = timeout.signal.aborted || /TIMEOUT/.test(errorCode(error) ?? '');
      const failure = networkError(this.apiBase, error, timedOut);
      this.emit({ type: 'request', method, path: stripQuery(path), ms: this.clock.now() - started, attempt, error: failure.kind });
      throw failure;
    } finally {
      clearTimeout(timer);
      userSignal?.removeEventListener('abort', forwardAbort);
    }
    this.emit({ type: 'request', method, path: stripQuery(path), status, ms: this.clock.now() - started, attempt });
    this.honourQuotaHeaders(headers, status, limiterKey, category);
    if (status >= 200 && status < 300) return text ? parseJson(text) : undefined;
    throw this.httpError(status, headers, text, call.subject ?? {});
  }

  private honourQuotaHeaders(
    headers: Record<string, string | string[] | undefined>,
    status: number,
    limiterKey: string,
    category: string,
  ): void {
    const now = this.clock.now();
    const retryAfter = retryAfterMs(header(headers, 'retry-after'), now);
    const reset = rateLimitResetMs(header(headers, 'x-ratelimit-reset'), now);
    const exhausted = header(headers, 'x-ratelimit-remaining')?.trim() === '0';
    let waitMs: number | undefined;
    if (status === 429) {
      this.stats.rateLimited += 1;
      // Without a hint, let the server's one-second window clear before anyone in this lane tries again.
      waitMs = retryAfter ?? reset ?? 1000;
    } else if (exhausted && (retryAfter ?? reset ?? 0) > 1000) {
      // A quota spent for longer than a second (e.g. a daily one): wait it out. A spent one-second window
      // is normal at full speed (the reset is rounded up to whole seconds) and spacing already covers it.
      waitMs = retryAfter ?? reset;
    }
    if (waitMs !== undefined && waitMs > 0) {
      this.limiter.pause(limiterKey, category, now + waitMs);
      this.emit({ type: 'rate-limited', category, waitMs });
    }
  }

  private httpError(
    status: number,
    headers: Record<string, string | string[] | undefined>,
    text: string,
    subject: CallSubject,
  ): ApiError {
    const body = parseErrorBody(text);
    const apiMessage = scrubApiMessage(body.message);
    const kind = kindForStatus(status);
    const retryable = status === 429 || status === 408 || status >= 500;
    const now = this.clock.now();
    const wait = retryAfterMs(header(headers, 'retry-after'), now) ?? (status === 429 ? rateLimitResetMs(header(headers, 'x-ratelimit-reset'), now) : undefined);
    return new ApiError(messageForStatus(status, subject, apiMessage), {
      kind,
      status,
      code: body.code,
      apiMessage,
      retryable,
      retryAfterMs: retryable ? wait : undefined,
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

/** Proxies from the environment (as curl reads them); loopback always goes direct. */
export function createDispatcher(env: Record<string, string | undefined>): Dispatcher {
  const httpsProxy = env.HTTPS_PROXY ?? env.https_proxy;
  const httpProxy = env.HTTP_PROXY ?? env.http_proxy;
  const keepAlive = { keepAliveTimeout: 30_000, keepAliveMaxTimeout: 600_000 };
  if (!httpsProxy && !httpProxy) return new Agent(keepAlive);
  const noProxy = [env.NO_PROXY ?? env.no_proxy, 'localhost', '127.0.0.1', '::1'].filter(Boolean).join(',');
  return new EnvHttpProxyAgent({ ...keepAlive, httpProxy, httpsProxy, noProxy });
}

function requestHeaders(token: string, hasBody: boolean): Record<string, string> {
  const headers: Record<string, string> = {
    authorization: `Bearer ${token}`,
    accept: 'application/json',
    'user-agent': USER_AGENT,
  };
  if (hasBody) headers['content-type'] = 'application/json';
  return headers;
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

/** Rate limits are per user: key the limiter by a digest, never the token itself. */
function tokenKey(token: string): string {
  return createHash('sha256').update(token).digest('hex').slice(0, 16);
}

function header(headers: Record<string, string | string[] | undefined>, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
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

function parseErrorBody(text: string): { code?: number; message?: string } {
  try {
    const parsed = JSON.parse(text) as { code?: unknown; message?: unknown };
    return {
      code: typeof parsed.code === 'number' ? parsed.code : undefined,
      message: typeof parsed.message === 'string' ? parsed.message : undefined,
    };
  } catch {
    return {};
  }
}
