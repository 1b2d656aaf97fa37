// The questions commands ask on a terminal when a flag is missing: which ad account (flag > profile
// default > prompt), which audience (an existing one, or a new one for push/sync --create).
// Off a terminal each names the flag to pass instead (exit 2). Loaded lazily: it brings the client.
import type { Context } from '../context.js';
import { AuthError, missingFlag, NotFoundError } from '../errors.js';
import type { PinterestClient } from '../pinterest/client.js';
import { knownAdAccount } from '../pinterest/lookups.js';
import { collect } from '../pinterest/pages.js';
import { ownAudiences } from '../audiences/directory.js';
import type { AdAccount, Audience } from '../pinterest/types.generated.js';
import type { Choice } from '../prompt.js';

export const NO_AD_ACCOUNTS = 'This token sees no ad accounts. Ask your Pinterest Business admin for access to one.';

/** What push and sync need to know before they run (filled in here when the flags left it open). */
export interface TargetFlags {
  audience: string;
  /** --audience-column: each row names its audience, so none is asked for. */
  audienceColumn?: string;
  adAccount?: string;
  create?: boolean;
  dryRun?: boolean;
}

/**
 * Push and sync: no --audience → pick one (which may also pick the ad account, and --create for a
 * new one); no ad account → pick one. Off a terminal the run itself names the missing flag.
 */
export async function askForTargetIfMissing(ctx: Context, flags: TargetFlags, offerNew: boolean): Promise<void> {
  if (!flags.audience?.trim() && !flags.audienceColumn) {
    const choice = await askForAudience(ctx, flags.adAccount, offerNew);
    flags.audience = choice.audience;
    flags.adAccount = choice.adAccount;
    flags.create = flags.create || choice.create;
    return;
  }
  if (!ctx.canPrompt || knownAdAccount(flags.adAccount, profileDefault(ctx))) return;
  try {
    flags.adAccount = await resolveAdAccount(ctx, undefined);
  } catch (error) {
    // A dry run without credentials still checks the file locally (the run says so).
    if (!(flags.dryRun && error instanceof AuthError)) throw error;
  }
}

/**
 * The ad account to work on: --ad-account > the profile's default (`accounts use`) > a prompt listing
 * the accounts (on a TTY) > exit 2 naming --ad-account.
 */
export async function resolveAdAccount(ctx: Context, flag: string | undefined, client?: PinterestClient): Promise<string> {
  const known = knownAdAccount(flag, profileDefault(ctx));
  if (known) return known;
  if (!ctx.canPrompt) throw missingFlag('--ad-account', 'ad account');
  const api = client ?? (await ctx.connectInteractive());
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
  const current = profileDefault(ctx);
  return ctx.prompter.select(
    message,
    accounts.map((a) => ({ name: `${a.name ?? '(no name)'} (${a.id})${a.id === current ? ' (default)' : ''}`, value: a.id })),
  );
}

function profileDefault(ctx: Context): string | undefined {
  return ctx.config.profile(ctx.profile).adAccountId;
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
  const client = await ctx.connectInteractive();
  try {
    const adAccount = await resolveAdAccount(ctx, adAccountFlag, client);
    const all = await collect(ownAudiences(client, adAccount));
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
  const audiences = await collect(ownAudiences(client, adAccountId));
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
