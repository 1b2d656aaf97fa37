// `pinsync accounts list|use`: the ad accounts this token can use, and the profile's default one.
// Light on purpose: the API client (undici) is imported inside the actions.
import type { Command } from 'commander';
import { action } from './action.js';
import type { Context } from '../context.js';
import { UsageError } from '../errors.js';
import type { PinterestClient } from '../pinterest/client.js';
import type { AdAccount } from '../pinterest/types.generated.js';

export function registerAccounts(program: Command): void {
  const accounts = program.command('accounts').description('List the ad accounts you can use and pick the default.');
  accounts
    .command('list')
    .description('List the ad accounts this token can use (the default is marked *).')
    .option('--json', 'print one JSON array with every ad account')
    .action(action(runAccountsList));
  accounts
    .command('use')
    .description('Make an ad account the default for this profile (used when --ad-account is not given).')
    .argument('[ad-account-id]', 'numeric ad account id (see `pinsync accounts list`; asked on a terminal when missing)')
    .action(action(runAccountsUse));
}

export async function runAccountsList(ctx: Context, options: { json?: boolean }): Promise<number> {
  const { NO_AD_ACCOUNTS } = await import('./choices.js');
  const { collect } = await import('../pinterest/pages.js');
  const client = await ctx.connectInteractive();
  try {
    const accounts = await collect(client.adAccounts());
    if (options.json) {
      ctx.stdout.write(JSON.stringify(accounts, null, 2) + '\n');
      return 0;
    }
    if (accounts.length === 0) {
      ctx.info(NO_AD_ACCOUNTS);
      return 0;
    }
    const defaultId = ctx.config.profile(ctx.profile).adAccountId;
    await printAccountsTable(ctx, accounts, defaultId);
    if (!defaultId) ctx.info('No default ad account yet: pick one with `pinsync accounts use <ad-account-id>`.');
    return 0;
  } finally {
    await client.close();
  }
}

async function printAccountsTable(ctx: Context, accounts: AdAccount[], defaultId: string | undefined): Promise<void> {
  const { renderTable, stdoutTableOptions } = await import('../report/table.js');
  // The marker column only when it marks something: otherwise every line starts with blanks.
  const marker = accounts.some((a) => a.id === defaultId) ? [{ header: ' ', value: (a: AdAccount) => (a.id === defaultId ? '*' : '') }] : [];
  const table = renderTable(
    accounts,
    [
      ...marker,
      { header: 'ID', value: (a) => a.id },
      { header: 'NAME', value: (a) => a.name ?? '', shrink: true },
      { header: 'COUNTRY', value: (a) => a.country ?? '' },
      { header: 'CURRENCY', value: (a) => a.currency ?? '' },
      { header: 'ROLE', value: (a) => (a.permissions ?? []).join(','), shrink: true },
    ],
    stdoutTableOptions(ctx),
  );
  ctx.stdout.write(table);
}

export async function runAccountsUse(ctx: Context, _options: unknown, adAccountId: string | undefined): Promise<number> {
  const { validAdAccountId } = await import('../pinterest/lookups.js');
  const given = adAccountId?.trim();
  if (!given && !ctx.canPrompt) {
    throw new UsageError('No ad account given: pass its id, e.g. `pinsync accounts use 549755885175` (no terminal to ask on; `pinsync accounts list` shows them).');
  }
  const client = await ctx.connectInteractive();
  try {
    const id = given ? validAdAccountId(given) : await pickAdAccount(ctx, client);
    const account = await client.adAccount(id);
    ctx.config.updateProfile(ctx.profile, { adAccountId: account.id ?? id });
    const name = account.name ? ` (${account.name})` : '';
    ctx.info(`Default ad account for profile "${ctx.profile}" is now ${account.id ?? id}${name}.`);
    return 0;
  } finally {
    await client.close();
  }
}

async function pickAdAccount(ctx: Context, client: PinterestClient): Promise<string> {
  const { selectAdAccount } = await import('./choices.js');
  const { collect } = await import('../pinterest/pages.js');
  return selectAdAccount(ctx, await collect(client.adAccounts()), 'Which ad account should be the default?');
}
