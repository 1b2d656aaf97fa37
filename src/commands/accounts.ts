// `pinsync accounts list|use`: the ad accounts this token can use, and the profile's default one.
// Light on purpose: the API client (undici) is imported inside the actions.
import type { Command } from 'commander';
import { action } from './action.js';
import type { Context } from '../context.js';
import type { AdAccount } from '../pinterest/types.generated.js';

/** Listing commands are interactive: give up on an unreachable API after a minute, not 13 hours. */
export const INTERACTIVE_RETRY_MS = 60_000;
export const INTERACTIVE_TIMEOUT_MS = 30_000;

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
    .argument('<ad-account-id>', 'numeric ad account id (see `pinsync accounts list`)')
    .action(action(runAccountsUse));
}

export async function runAccountsList(ctx: Context, options: { json?: boolean }): Promise<number> {
  const { connectClient } = await import('../pinterest/connect.js');
  const { collect } = await import('../pinterest/pages.js');
  const client = await connectClient(ctx, { retryFor: INTERACTIVE_RETRY_MS, timeoutMs: INTERACTIVE_TIMEOUT_MS });
  try {
    const accounts = await collect(client.adAccounts());
    if (options.json) {
      ctx.stdout.write(JSON.stringify(accounts, null, 2) + '\n');
      return 0;
    }
    if (accounts.length === 0) {
      ctx.info('This token sees no ad accounts. Ask your Pinterest Business admin for access to one.');
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
  const table = renderTable(
    accounts,
    [
      { header: ' ', value: (a) => (a.id === defaultId ? '*' : '') },
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

export async function runAccountsUse(ctx: Context, _options: unknown, adAccountId: string): Promise<number> {
  const { connectClient, validAdAccountId } = await import('../pinterest/connect.js');
  const id = validAdAccountId(adAccountId.trim());
  const client = await connectClient(ctx, { retryFor: INTERACTIVE_RETRY_MS, timeoutMs: INTERACTIVE_TIMEOUT_MS });
  try {
    const account = await client.adAccount(id);
    ctx.config.updateProfile(ctx.profile, { adAccountId: account.id ?? id });
    const name = account.name ? ` (${account.name})` : '';
    ctx.info(`Default ad account for profile "${ctx.profile}" is now ${account.id ?? id}${name}.`);
    return 0;
  } finally {
    await client.close();
  }
}
