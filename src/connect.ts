// From a command's Context to a ready PinterestClient: resolves the tokens (auth), the API base and
// the limits, and turns the client's events into --debug lines and a "retrying" note.
import type { Context } from './context.js';
import { resolveTokenProvider } from './auth/token-provider.js';
import { apiBaseFrom } from './pinterest/api-base.js';
import { PinterestClient, type ClientEvent } from './pinterest/client.js';
import type { TokenProvider } from './pinterest/tokens.js';

export interface ConnectOptions {
  /** ads_write requests per second (push --rate). */
  writeRate?: number;
  /** ms one call keeps retrying (push --retry-for). */
  retryFor?: number;
  timeoutMs?: number;
  /** Progress hook (retries, rate limits); --debug request lines are added here anyway. */
  onEvent?: (event: ClientEvent) => void;
}

/** Commands a person waits on give up on an unreachable API after a minute, not 13 hours. */
export const INTERACTIVE_RETRY_MS = 60_000;
export const INTERACTIVE_TIMEOUT_MS = 30_000;

export async function connectClient(ctx: Context, options: ConnectOptions = {}): Promise<PinterestClient> {
  apiBaseFrom(ctx.env); // a refused base fails before resolving the tokens can send a refresh token there
  return clientWithTokens(ctx, await resolveTokenProvider(ctx), options);
}

/** A client for a listing or look-up command (accounts, audiences, status, login). */
export async function connectInteractive(ctx: Context): Promise<PinterestClient> {
  return connectClient(ctx, interactive(ctx));
}

/** A client for tokens the caller already holds (login's fresh ones), with the interactive limits by default. */
export function clientWithTokens(ctx: Context, tokens: TokenProvider, options: ConnectOptions = interactive(ctx)): PinterestClient {
  return new PinterestClient({
    apiBase: apiBaseFrom(ctx.env),
    tokens,
    writeRate: options.writeRate,
    retryFor: options.retryFor,
    timeoutMs: options.timeoutMs,
    env: ctx.env,
    signal: ctx.signal,
    onEvent: (event) => {
      logEvent(ctx, event);
      options.onEvent?.(event);
    },
  });
}

function interactive(ctx: Context): ConnectOptions {
  return { retryFor: INTERACTIVE_RETRY_MS, timeoutMs: INTERACTIVE_TIMEOUT_MS, onEvent: sayRetryingOnce(ctx) };
}

const RETRY_REASON: Record<string, string> = {
  network: 'cannot be reached',
  timeout: 'is not answering',
  server: 'answers with server errors',
  rate_limited: 'is rate-limiting the requests',
};

/** Someone waiting on a listing hears once that pinsync is retrying, instead of up to a minute of silence. */
function sayRetryingOnce(ctx: Context): (event: ClientEvent) => void {
  let said = false;
  return (event) => {
    if (event.type !== 'retry' || said) return;
    said = true;
    ctx.info(`Pinterest ${RETRY_REASON[event.reason] ?? 'did not answer'}: retrying for up to a minute (Ctrl-C to stop)…`);
  };
}

/** --debug lines: method, path, status and time only; never headers or bodies. */
function logEvent(ctx: Context, event: ClientEvent): void {
  if (!ctx.debug) return;
  if (event.type === 'request') {
    const outcome = event.status !== undefined ? String(event.status) : (event.error ?? 'failed');
    ctx.debugLog(`${event.method} ${event.path} -> ${outcome} in ${Math.round(event.ms)} ms${event.attempt ? ` (attempt ${event.attempt + 1})` : ''}`);
  } else if (event.type === 'retry') {
    ctx.debugLog(`retrying ${event.method} ${event.path} in ${Math.round(event.delayMs)} ms after ${event.reason}`);
  } else {
    ctx.debugLog(`rate limited (${event.category}): waiting ${Math.round(event.waitMs)} ms`);
  }
}
