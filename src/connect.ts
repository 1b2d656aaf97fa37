// From a command's Context to a ready PinterestClient: resolves the tokens (auth), the API base and
// the limits (a run's writes share the token's budget: openWriteBudget), and turns the client's
// events into --debug lines and a "retrying" note.
import type { Context } from './context.js';
import { resolveTokenProvider } from './auth/token-provider.js';
import { apiBaseFrom } from './pinterest/api-base.js';
import { PinterestClient, type ClientEvent } from './pinterest/client.js';
import {
  aloneOnFailure,
  categoryRates,
  DEFAULT_WRITE_RATE,
  writeBudget,
  type Limiter,
  type WriteBudget,
} from './pinterest/ratelimit/index.js';
import type { TokenProvider } from './pinterest/tokens.js';

export interface ConnectOptions {
  /** ads_write requests per second (push --rate). */
  writeRate?: number;
  /** ms one call keeps retrying (push --retry-for). */
  retryFor?: number;
  timeoutMs?: number;
  /** Progress hook (retries, rate limits); --debug request lines are added here anyway. */
  onEvent?: (event: ClientEvent) => void;
  /** Slots to take turns on instead of the client's own spacing at writeRate. */
  limiter?: Limiter;
}

/** Commands a person waits on give up on an unreachable API after a minute, not 13 hours. */
export const INTERACTIVE_RETRY_MS = 60_000;
export const INTERACTIVE_TIMEOUT_MS = 30_000;

/**
 * A client for a run (push, sync): its writes take turns in the token's budget, the run's own
 * (ctx.writeBudget, one per `pinsync run`) or else one opened for this client on PINSYNC_HOME.
 */
export async function connectClient(ctx: Context, options: ConnectOptions = {}): Promise<PinterestClient> {
  apiBaseFrom(ctx.env); // a refused base fails before resolving the tokens can send a refresh token there
  const tokens = await resolveTokenProvider(ctx);
  if (options.limiter) return clientWithTokens(ctx, tokens, options);
  if (ctx.writeBudget) return clientWithTokens(ctx, tokens, { ...options, limiter: ctx.writeBudget.lane() });
  const budget = await openWriteBudget(ctx.paths.stateDir, options.writeRate, ctx.debugLog);
  return closingBudgetToo(clientWithTokens(ctx, tokens, { ...options, limiter: budget.lane() }), budget);
}

/** A client for a listing or look-up command (accounts, audiences, status, login): a few calls, its own spacing. */
export async function connectInteractive(ctx: Context): Promise<PinterestClient> {
  apiBaseFrom(ctx.env);
  return clientWithTokens(ctx, await resolveTokenProvider(ctx), interactive(ctx));
}

/**
 * This PINSYNC_HOME's write budget at `writeRate` per second (`stateDir` is ctx.paths.stateDir). When
 * its folder cannot hold the budget file (read-only home, full disk) the process keeps to the rate on
 * its own: the run's journal reports the folder itself, and a dry run does not need it.
 */
export async function openWriteBudget(
  stateDir: string,
  writeRate = DEFAULT_WRITE_RATE,
  debugLog: (message: string) => void = () => undefined,
): Promise<WriteBudget> {
  const rates = categoryRates(writeRate);
  try {
    const { openSharedBudget } = await import('./state/token-budget.js');
    return writeBudget(rates, aloneOnFailure(await openSharedBudget(stateDir, writeRate), debugLog));
  } catch (error) {
    debugLog(`the write budget shared with other pinsync processes is not available (${(error as Error).message}); keeping to ${writeRate}/s alone`);
    return writeBudget(rates);
  }
}

/** The budget opened for one client lives as long as the client. */
function closingBudgetToo(client: PinterestClient, budget: WriteBudget): PinterestClient {
  const closeClient = client.close.bind(client);
  client.close = async () => {
    try {
      await closeClient();
    } finally {
      budget.close();
    }
  };
  return client;
}

/** A client for tokens the caller already holds (login's fresh ones), with the interactive limits by default. */
export function clientWithTokens(ctx: Context, tokens: TokenProvider, options: ConnectOptions = interactive(ctx)): PinterestClient {
  return new PinterestClient({
    apiBase: apiBaseFrom(ctx.env),
    tokens,
    writeRate: options.writeRate,
    limiter: options.limiter,
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
