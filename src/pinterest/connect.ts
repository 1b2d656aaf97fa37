// From a command's Context to a ready PinterestClient, plus the two look-ups every audience command
// needs: which ad account (flag > profile default > prompt) and which audience (id or exact name).
import type { Context } from '../context.js';
import type { Choice } from '../prompt.js';
import { missingFlag, NotFoundError, UsageError } from '../errors.js';
import { resolveTokenProvider, type TokenProvider } from '../auth/token-provider.js';
import { ApiError } from './errors.js';
import { collect } from './pages.js';
import { DEFAULT_API_BASE, PinterestClient, type ClientEvent } from './client.js';
import type { AdAccount, Audience } from './types.generated.js';

export interface ConnectOptions {
  /** ads_write requests per second (push --rate). */
  writeRate?: number;
  /** Same as writeRate (the name ARCHITECTURE.md uses). */
  rate?: number;
  /** ms one call keeps retrying (push --retry-for). */
  retryFor?: number;
  timeoutMs?: number;
  /** Progress hook (retries, rate limits); --debug request lines are added here anyway. */
  onEvent?: (event: ClientEvent) => void;
}

/** Commands a person waits on give up on an unreachable API after a minute, not 13 hours. */
export const INTERACTIVE_RETRY_MS = 60_000;
export const INTERACTIVE_TIMEOUT_MS = 30_000;
export const NO_AD_ACCOUNTS = 'This token sees no ad accounts. Ask your Pinterest Business admin for access to one.';

/** PINSYNC_API_BASE or Pinterest's; a value that is no http(s) address is a setup mistake (exit 2), not a network error. */
export function apiBaseFrom(ctx: Pick<Context, 'env'>): string {
  const base = (ctx.env.PINSYNC_API_BASE?.trim() || DEFAULT_API_BASE).replace(/\/+$/, '');
  if (!isHttpAddress(base)) {
    throw new UsageError(`PINSYNC_API_BASE must be an http(s) address such as ${DEFAULT_API_BASE}, not "${base}".`);
  }
  return base;
}

function isHttpAddress(value: string): boolean {
  try {
    const url = new URL(value);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname !== '';
  } catch {
    return false;
  }
}

export async function connectClient(ctx: Context, options: ConnectOptions = {}): Promise<PinterestClient> {
  return clientWithTokens(ctx, await resolveTokenProvider(ctx), options);
}

/** A client for a listing or look-up command (accounts, audiences, status, login). */
export async function connectInteractive(ctx: Context): Promise<PinterestClient> {
  return connectClient(ctx, interactive(ctx));
}

/** A client for tokens the caller already holds (login's fresh ones), with the interactive limits by default. */
export function clientWithTokens(ctx: Context, tokens: TokenProvider, options: ConnectOptions = interactive(ctx)): PinterestClient {
  return new PinterestClient({
    apiBase: apiBaseFrom(ctx),
    tokens,
    writeRate: options.writeRate ?? options.rate,
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

/**
 * The ad account to work on: --ad-account > the profile's default (`accounts use`) > a prompt listing
 * the accounts (on a TTY) > exit 2 naming --ad-account.
 */
export async function resolveAdAccount(
  ctx: Context,
  flag: string | undefined,
  client?: PinterestClient,
): Promise<string> {
  const given = flag?.trim();
  if (given) return validAdAccountId(given);
  const saved = ctx.config.profile(ctx.profile).adAccountId;
  if (saved) return saved;
  if (!ctx.canPrompt) throw missingFlag('--ad-account', 'ad account');
  const api = client ?? (await connectInteractive(ctx));
  try {
    const accounts = await collect(api.adAccounts());
    if (accounts.length === 1) {
      ctx.info(`Using ad account ${accounts[0]!.id} (the only one). Make it the default with \`pinsync accounts use ${accounts[0]!.id}\`.`);
      return accounts[0]!.id;
    }
    return await selectAdAccount(ctx, accounts, 'Which ad account?');
  } finally {
    if (!client) await api.close();
  }
}

/** A select prompt over ad accounts (the profile's default marked); exit 5 when there are none. */
export function selectAdAccount(ctx: Context, accounts: readonly AdAccount[], message: string): Promise<string> {
  if (accounts.length === 0) throw new NotFoundError(NO_AD_ACCOUNTS);
  const current = ctx.config.profile(ctx.profile).adAccountId;
  return ctx.prompter.select(
    message,
    accounts.map((a) => ({ name: `${a.name ?? '(no name)'} (${a.id})${a.id === current ? ' (default)' : ''}`, value: a.id })),
  );
}

export function validAdAccountId(value: string): string {
  if (!/^\d{1,18}$/.test(value)) {
    throw new UsageError(`--ad-account takes a numeric ad account id, not "${value}". Run \`pinsync accounts list\` to see yours.`);
  }
  return value;
}

/**
 * An audience by id or exact name. All digits: tried as an id first, then as a name. A name must match
 * exactly one audience of the ad account.
 */
export async function findAudience(
  client: PinterestClient,
  adAccountId: string,
  idOrName: string,
  notFoundHint = 'Pass --create to create it, or run `pinsync audiences list`.',
): Promise<Audience> {
  const wanted = idOrName.trim();
  if (/^\d+$/.test(wanted)) {
    try {
      return await client.audience(adAccountId, wanted);
    } catch (error) {
      if (!(error instanceof ApiError && error.kind === 'not_found')) throw error;
    }
  }
  const matches: Audience[] = [];
  for await (const audience of client.audiences(adAccountId)) {
    if (audience.name === wanted) matches.push(audience);
  }
  if (matches.length === 1) return matches[0]!;
  if (matches.length === 0) {
    const what = /^\d+$/.test(wanted) ? 'with id or name' : 'named';
    throw new NotFoundError(
      `No audience ${what} "${wanted}" in ad account ${adAccountId}. ${notFoundHint}`,
    );
  }
  const ids = matches.map((audience) => audience.id).join(', ');
  throw new UsageError(`${matches.length} audiences in ad account ${adAccountId} are named "${wanted}" (ids ${ids}): pass the id instead.`);
}

export interface AudienceChoice {
  audience: string;
  adAccount: string;
  /** The user chose to make a new audience (push/sync --create). */
  create: boolean;
}

const NEW_AUDIENCE = '\u0000new';

/**
 * --audience was not given: on a TTY, pick one of the ad account's customer-list audiences or name a
 * new one (which implies --create); off a TTY, exit 2 naming --audience.
 */
export async function askForAudience(ctx: Context, adAccountFlag: string | undefined, offerNew: boolean): Promise<AudienceChoice> {
  if (!ctx.canPrompt) throw missingFlag('--audience', 'audience');
  const client = await connectInteractive(ctx);
  try {
    const adAccount = await resolveAdAccount(ctx, adAccountFlag, client);
    const all = await collect(client.audiences(adAccount));
    const audiences = all.filter((a) => a.audience_type === 'CUSTOMER_LIST'); // the only kind that takes users
    if (audiences.length === 0 && !offerNew) throw new NotFoundError(`Ad account ${adAccount} has no customer-list audience to remove users from.`);
    const picked = await selectAudience(
      ctx,
      audiences,
      offerNew ? [{ name: 'A new audience…', value: NEW_AUDIENCE, description: 'creates the customer list and the audience from this file' }] : [],
    );
    const choice =
      picked === NEW_AUDIENCE
        ? { audience: await askNewAudienceName(ctx, all), adAccount, create: true }
        : { audience: uniqueNameOrId(audiences, picked), adAccount, create: false };
    ctx.info(`Next time pass --audience ${JSON.stringify(choice.audience)} --ad-account ${adAccount}${choice.create ? ' --create' : ''} to skip these questions.`);
    return choice;
  } finally {
    await client.close();
  }
}

/** `audiences show` without an audience: pick any of the ad account's audiences. */
export async function pickAudienceId(ctx: Context, client: PinterestClient, adAccountId: string): Promise<string> {
  const audiences = await collect(client.audiences(adAccountId));
  if (audiences.length === 0) throw new NotFoundError(`Ad account ${adAccountId} has no audiences yet: create one with \`pinsync audiences create\`.`);
  return selectAudience(ctx, audiences);
}

/** A select prompt over audiences (name, id, size or status); answers the chosen id or an extra choice's value. */
function selectAudience(ctx: Context, audiences: readonly Audience[], extra: Choice<string>[] = []): Promise<string> {
  return ctx.prompter.select('Which audience?', [
    ...audiences
      .filter((a) => a.id)
      .map((a) => ({ name: `${a.name ?? '(no name)'} (${a.id})`, value: a.id!, description: `${a.audience_type ?? ''} · ${sizeNote(a)}` })),
    ...extra,
  ]);
}

function sizeNote(audience: Audience): string {
  return audience.size === undefined || audience.size === null ? `${audience.status ?? 'size pending'}` : `${audience.size.toLocaleString('en-US')} users`;
}

function askNewAudienceName(ctx: Context, existing: readonly Audience[]): Promise<string> {
  const taken = new Set(existing.map((a) => a.name));
  return ctx.prompter
    .input('Name of the new audience:', {
      validate: (value) => {
        const name = value.trim();
        if (name === '') return 'Give the audience a name.';
        if (/^\d+$/.test(name)) return 'A name of digits only would read as an audience id; add a word.';
        return taken.has(name) ? `This ad account already has an audience named "${name}".` : true;
      },
    })
    .then((name) => name.trim());
}

/** The name reads better in the hint and in later cron lines; the id only when the name is ambiguous. */
function uniqueNameOrId(audiences: readonly Audience[], id: string): string {
  const name = audiences.find((a) => a.id === id)?.name;
  return name && audiences.filter((a) => a.name === name).length === 1 && !/^\d+$/.test(name) ? name : id;
}
