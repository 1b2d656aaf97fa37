// How a Context makes its API clients (the Context's connect, connectInteractive, clientWithTokens):
// resolves the tokens (auth), the API base and the limits (a run's writes share the token's budget,
// opened here from state/ for pinterest/ratelimit), and turns the client's events into --debug lines
// and a "retrying" note.
import type { ConnectOptions, Context, Connectors } from './context.js';
import { resolveTokenProvider } from './auth/token-provider.js';
import { apiBaseFrom } from './pinterest/api-base.js';
import { PinterestClient, type ClientEvent } from './pinterest/client.js';
import { aloneOnFailure, categoryRates, DEFAULT_WRITE_RATE, writeBudget, type Limiter, type WriteBudget } from './pinterest/ratelimit/index.js';
import type { TokenProvider } from './pinterest/tokens.js';
import { openSharedBudget } from './state/token-budget.js';

/** Commands a person waits on give up on an unreachable API after a minute, not 13 hours. */
const INTERACTIVE_RETRY_MS = 60_000;
const INTERACTIVE_TIMEOUT_MS = 30_000;

export const connectorsFor: Connectors = (ctx) => ({
  connect: (options) => connectClient(ctx, options),
  connectInteractive: () => connectInteractive(ctx),
  clientWithTokens: async (tokens) => clientWithTokens(ctx, tokens, interactive(ctx)),
});

/**
 * A client for a run (push, sync): its writes take turns in the token's budget, the given one (one
 * per `pinsync run`) or else one opened for this client on PINSYNC_HOME.
 */
async function connectClient(ctx: Context, options: ConnectOptions = {}): Promise<PinterestClient> {
  apiBaseFrom(ctx.env); // a refused base fails before resolving the tokens can send a refresh token there
  const tokens = await resolveTokenProvider(ctx);
  if (options.budget) return clientWithTokens(ctx, tokens, options, options.budget.lane());
  const budget = await openWriteBudget(ctx.paths.stateDir, options.writeRate, ctx.debugLog, ctx.warn);
  let client: PinterestClient;
  try {
    client = clientWithTokens(ctx, tokens, options, budget.lane());
  } catch (error) {
    budget.close(); // a client that could not be made (a proxy variable that is not a URL) holds no budget
    throw error;
  }
  const closeClient = client.close.bind(client);
  // The budget opened for one client lives as long as the client.
  client.close = async () => {
    try {
      await closeClient();
    } finally {
      budget.close();
    }
  };
  return client;
}

/**
 * This PINSYNC_HOME's write budget at `writeRate` per second, shared with every pinsync process of the
 * home that uses the same token. When its folder cannot hold the budget file (read-only home, full
 * disk) the process keeps to the rate on its own: the run's journal reports the folder itself, and a
 * dry run does not need it. A budget file found stale or damaged is repaired, and `warn` says so once.
 */
export async function openWriteBudget(
  stateDir: string,
  writeRate = DEFAULT_WRITE_RATE,
  debugLog: (message: string) => void = () => undefined,
  warn: (sentence: string) => void = () => undefined,
): Promise<WriteBudget> {
  const rates = categoryRates(writeRate);
  try {
    return writeBudget(rates, aloneOnFailure(await openSharedBudget(stateDir, writeRate, undefined, warn), debugLog));
  } catch (error) {
    debugLog(`the write budget shared with other pinsync processes is not available (${(error as Error).message}); keeping to ${writeRate}/s alone`);
    return writeBudget(rates);
  }
}

/** A client for a listing or look-up command (accounts, audiences, status, login): a few calls, its own spacing. */
async function connectInteractive(ctx: Context): Promise<PinterestClient> {
  apiBaseFrom(ctx.env);
  return clientWithTokens(ctx, await resolveTokenProvider(ctx), interactive(ctx));
}

function clientWithTokens(ctx: Context, tokens: TokenProvider, options: ConnectOptions, limiter?: Limiter): PinterestClient {
  return new PinterestClient({
    apiBase: apiBaseFrom(ctx.env),
    tokens,
    writeRate: options.writeRate,
    limiter,
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
