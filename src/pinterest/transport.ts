// The HTTP exchange under every Pinterest call (API and token endpoint): one keep-alive undici
// dispatcher with proxies from the environment, a per-attempt timeout, and the quota headers read back.
import diagnostics from 'node:diagnostics_channel';
import { Agent, EnvHttpProxyAgent, request, type Dispatcher } from 'undici';
import { InterruptedError } from '../errors.js';
import { errorCode, networkError } from './errors.js';
import type { BudgetObservation } from './ratelimit/index.js';
import { version } from '../version.js';

export const DEFAULT_TIMEOUT_MS = 60_000;

export const USER_AGENT = `pinsync/${version}`;

export type ResponseHeaders = Record<string, string | string[] | undefined>;

export interface HttpRequest {
  method: Dispatcher.HttpMethod;
  url: string;
  headers: Record<string, string>;
  body?: string;
  timeoutMs: number;
  /** The caller's stop signal (Ctrl-C): firing it is an interruption, not a network error. */
  signal?: AbortSignal;
  /** Told the epoch ms the request's headers went onto the socket (requests with a body only). */
  onSent?: (at: number) => void;
}

export interface HttpAnswer {
  status: number;
  headers: ResponseHeaders;
  text: string;
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

/** The headers of an API call: bearer token, JSON both ways, who is calling. */
export function bearerHeaders(token: string, hasBody: boolean): Record<string, string> {
  const headers: Record<string, string> = {
    authorization: `Bearer ${token}`,
    accept: 'application/json',
    'user-agent': USER_AGENT,
  };
  if (hasBody) headers['content-type'] = 'application/json';
  return headers;
}

/**
 * One request and its whole answer. Any status comes back as an answer; a failure to get one throws
 * an ApiError (network or timeout, naming `origin`), or InterruptedError when the caller's signal fired.
 */
export async function exchange(dispatcher: Dispatcher, origin: string, http: HttpRequest): Promise<HttpAnswer> {
  const body = http.body === undefined ? undefined : Buffer.from(http.body);
  if (body && http.onSent) whenSent(body, http.onSent);
  const timeout = new AbortController();
  const timer = setTimeout(() => timeout.abort(), http.timeoutMs);
  const forwardAbort = () => timeout.abort();
  http.signal?.addEventListener('abort', forwardAbort, { once: true });
  try {
    const response = await request(http.url, {
      method: http.method,
      dispatcher,
      headers: http.headers,
      body,
      signal: timeout.signal,
      headersTimeout: http.timeoutMs,
      bodyTimeout: http.timeoutMs,
    });
    return { status: response.statusCode, headers: response.headers, text: await response.body.text() };
  } catch (error) {
    if (http.signal?.aborted) throw new InterruptedError('Interrupted while waiting for Pinterest.');
    const timedOut = timeout.signal.aborted || /TIMEOUT/.test(errorCode(error) ?? '');
    throw networkError(origin, error, timedOut);
  } finally {
    clearTimeout(timer);
    http.signal?.removeEventListener('abort', forwardAbort);
  }
}

/**
 * Callbacks for requests not yet written, by body. undici keeps a Buffer body as the same object on
 * its request, so its `sendHeaders` diagnostics message finds them; a request never written (a
 * connection refused, Ctrl-C) leaves nothing behind.
 */
const sentListeners = new WeakMap<object, (at: number) => void>();
let listening = false;

/**
 * The moment a request really leaves matters to the rate limit: a busy event loop (several pipelines
 * starting at once) can hold a granted request back for tens of ms, and it then reaches the server
 * closer to the next one than its slot said.
 */
function whenSent(body: Buffer, listener: (at: number) => void): void {
  sentListeners.set(body, listener);
  if (listening) return;
  listening = true;
  diagnostics.subscribe('undici:client:sendHeaders', (message) => {
    const requestBody = (message as { request?: { body?: unknown } }).request?.body;
    if (typeof requestBody !== 'object' || requestBody === null) return;
    const sent = sentListeners.get(requestBody);
    if (!sent) return;
    sentListeners.delete(requestBody);
    sent(Date.now());
  });
}

/**
 * How long Pinterest asks this token's lane to pause after an answer, in ms (undefined: no pause).
 */
export function quotaPauseMs(headers: ResponseHeaders, status: number, now: number): number | undefined {
  const retryAfter = retryAfterMs(header(headers, 'retry-after'), now);
  const reset = rateLimitResetMs(header(headers, 'x-ratelimit-reset'), now);
  const exhausted = header(headers, 'x-ratelimit-remaining')?.trim() === '0';
  // Without a hint, let the server's one-second window clear before anyone in this lane tries again.
  if (status === 429) return retryAfter ?? reset ?? 1000;
  // A quota spent for longer than a second (e.g. a daily one): wait it out. A spent one-second window
  // is normal at full speed (the reset is rounded up to whole seconds) and spacing already covers it.
  if (exhausted && (retryAfter ?? reset ?? 0) > 1000) return retryAfter ?? reset;
  return undefined;
}

/** How long to wait before retrying a failed answer: Retry-After, or for a 429 the quota reset. */
export function retryWaitMs(headers: ResponseHeaders, status: number, now: number): number | undefined {
  const retryAfter = retryAfterMs(header(headers, 'retry-after'), now);
  return retryAfter ?? (status === 429 ? rateLimitResetMs(header(headers, 'x-ratelimit-reset'), now) : undefined);
}

/** What an answer's x-ratelimit-* headers say about the token's budget. */
export function budgetOf(headers: ResponseHeaders, status: number, now: number): BudgetObservation {
  return {
    status,
    limit: wholeNumber(header(headers, 'x-ratelimit-limit')),
    remaining: wholeNumber(header(headers, 'x-ratelimit-remaining')),
    resetMs: rateLimitResetMs(header(headers, 'x-ratelimit-reset'), now),
  };
}

/** Parse Retry-After (seconds or an HTTP date) into ms from `now`. */
export function retryAfterMs(value: string | undefined, now: number): number | undefined {
  if (!value) return undefined;
  const trimmed = value.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Number(trimmed) * 1000;
  const date = Date.parse(trimmed);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/**
 * x-ratelimit-reset: Pinterest does not document the unit; large values are read as an epoch
 * (seconds or ms), small ones as seconds from now.
 */
export function rateLimitResetMs(value: string | undefined, now: number): number | undefined {
  if (!value) return undefined;
  const n = Number(value.trim());
  if (!Number.isFinite(n) || n < 0) return undefined;
  if (n > 1e12) return Math.max(0, n - now);
  if (n > 1e9) return Math.max(0, n * 1000 - now);
  return n * 1000;
}

function wholeNumber(value: string | undefined): number | undefined {
  if (value === undefined || !/^\s*\d+\s*$/.test(value)) return undefined;
  return Number(value);
}

function header(headers: ResponseHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}
