// The few API reads login and status make with a given token: who the user is, and (on a terminal,
// after login) which ad account becomes the profile's default.
import type { Context } from '../context.js';
import type { PinterestClient } from '../pinterest/client.js';
import type { TokenProvider } from '../pinterest/tokens.js';

export interface UserSummary {
  username?: string;
  account_type?: string;
}

export async function withClient<T>(ctx: Context, tokens: TokenProvider, run: (client: PinterestClient) => Promise<T>): Promise<T> {
  const client = await ctx.clientWithTokens(tokens);
  try {
    return await run(client);
  } finally {
    await client.close();
  }
}

export async function fetchUser(ctx: Context, tokens: TokenProvider): Promise<UserSummary> {
  const account = (await withClient(ctx, tokens, (client) => client.userAccount())) as UserSummary;
  return { username: account.username, account_type: account.account_type };
}

export async function describeUser(ctx: Context, tokens: TokenProvider): Promise<string> {
  const user = await fetchUser(ctx, tokens);
  return user.username ? `@${user.username}` : 'your Pinterest account';
}

/** Offers the ad accounts in a list; the pick becomes the profile's default (`accounts use`). */
export async function chooseDefaultAdAccount(ctx: Context, tokens: TokenProvider): Promise<void> {
  const accounts = await withClient(ctx, tokens, async (client) => {
    const found: { id: string; name?: string }[] = [];
    for await (const account of client.adAccounts()) found.push({ id: account.id, name: account.name });
    return found;
  }).catch((error: Error) => {
    ctx.warn(`could not list your ad accounts: ${error.message}`);
    return [];
  });
  if (accounts.length === 0) return;
  const current = ctx.config.profile(ctx.profile).adAccountId;
  // The current default first, so a reflexive Enter keeps it.
  accounts.sort((a, b) => Number(b.id === current) - Number(a.id === current));
  const keep = '';
  const choice = await ctx.prompter.select('Default ad account for this profile:', [
    ...accounts.map((account) => ({
      name: `${account.name ?? 'unnamed'} (${account.id})${account.id === current ? ' (current)' : ''}`,
      value: account.id,
    })),
    { name: current ? 'Keep the current default' : 'Decide later (pinsync accounts use <id>)', value: keep },
  ]);
  if (choice === keep) return;
  ctx.config.updateProfile(ctx.profile, { adAccountId: choice });
  ctx.info(`Default ad account set to ${choice}.`);
}
