// `pinsync audiences list|show|create`: flags and printing. The audiences of an ad account, one audience
// with its customer list, and new audiences (lookalikes directly; customer-list audiences are seeded
// through push). What is looked up or created lives in src/audiences/, imported inside the actions
// (it brings the API client, undici, which `pinsync --version` must not load).
import { Option, type Command } from 'commander';
import { action, parseInteger, printRunResult } from './action.js';
import { addInputOptions } from './input-flags.js';
import type { PushOptions } from '../runs/options.js';
import type { Context } from '../context.js';
import { UsageError } from '../errors.js';
import { renderDetails } from '../report/table.js';
import type { Audience, CustomerList } from '../pinterest/types.generated.js';
import type { ListedAudience } from '../audiences/directory.js';
import type { LastSyncMatch } from '../audiences/show.js';

export const TOO_SMALL_NOTE =
  'Pinterest shows a size after ~100 matched users; sizes can take 24–48 hours to appear in Ads Manager.';

interface ListOptions {
  adAccount?: string;
  name?: string;
  received?: boolean;
  ownership?: 'owned' | 'received' | 'all';
  json?: boolean;
}

interface ShowOptions {
  adAccount?: string;
  json?: boolean;
}

/** Push's input, batching and report options ride along for --from. */
export interface CreateOptions extends Omit<Partial<PushOptions>, 'audience' | 'create' | 'remove'> {
  adAccount?: string;
  description?: string;
  from?: string;
  actalikeOf?: string;
  country?: 'US' | 'CA' | 'GB';
  percentage?: number;
  /** --list: the existing customer list the new CUSTOMER_LIST audience is built on. */
  list?: string;
  json?: boolean;
}

export function registerAudiences(program: Command): void {
  const audiences = program.command('audiences').description('List, inspect and create audiences of an ad account.');
  audiences
    .command('list')
    .description('List the audiences of an ad account (every page).')
    .option('--ad-account <id>', 'ad account id (default: the profile default from `accounts use`)')
    .option('--name <text>', 'only audiences whose name contains TEXT (case-insensitive)')
    .option('--received', 'also list the audiences other accounts share into this one (same as --ownership all)')
    .addOption(new Option('--ownership <which>', 'owned (default), received (shared into the account) or all').choices(['owned', 'received', 'all']))
    .option('--json', 'print one JSON array with every audience')
    .action(action(runAudiencesList));
  audiences
    .command('show')
    .description('Show one audience and, for a customer-list audience, its customer list.')
    .argument('[id-or-name]', 'audience id or exact name (asked on a terminal when missing)')
    .option('--ad-account <id>', 'ad account id (default: the profile default from `accounts use`)')
    .option('--json', 'print one JSON object')
    .action(action(runAudiencesShow));
  const create = audiences
    .command('create')
    .description('Create an audience: a customer-list audience from a file (--from), or a lookalike (--actalike-of).')
    .argument('[name]', 'the new audience name')
    .option('--ad-account <id>', 'ad account id (default: the profile default from `accounts use`)')
    .option('--description <text>', 'audience description')
    .option('--from <file>', 'seed a customer-list audience with the users in FILE (as `pinsync push --create`)')
    .option('--list <id>', 'build the customer-list audience on this existing customer list (e.g. one a --create run left waiting)')
    .option('--actalike-of <audience>', 'create a lookalike (ACTALIKE) of this audience id or name')
    .addOption(new Option('--country <code>', 'lookalike country').choices(['US', 'CA', 'GB']))
    .option('--percentage <n>', 'lookalike size, 1-10 (% of the country)', parseInteger('--percentage', 1, 10))
    .option('--json', 'print the created audience (with --from: the push report) as one JSON object');
  addPushOptions(create);
  create.action(action(runAudiencesCreate));
}

/** `audiences create --from FILE` takes push's input, batching and report options. */
function addPushOptions(command: Command): void {
  addInputOptions(command, 'with --from: ')
    .option('--dry-run', 'with --from: read, check and count everything, send nothing')
    .option('--force', 'with --from: push even when most of the first rows have no valid identifier');
}

async function adAccountFor(ctx: Context, flag: string | undefined): Promise<string> {
  const { resolveAdAccount } = await import('./choices.js');
  return resolveAdAccount(ctx, flag);
}

export async function runAudiencesList(ctx: Context, options: ListOptions): Promise<number> {
  const adAccountId = await adAccountFor(ctx, options.adAccount);
  const client = await ctx.connectInteractive();
  try {
    const { listAudiences } = await import('../audiences/directory.js');
    const needle = options.name?.toLowerCase();
    const ownership = options.ownership ? (options.ownership.toUpperCase() as 'OWNED' | 'RECEIVED' | 'ALL') : options.received ? 'ALL' : 'OWNED';
    const audiences = (await listAudiences(client, adAccountId, ownership)).filter(
      (audience) => !needle || (audience.name ?? '').toLowerCase().includes(needle),
    );
    if (options.json) {
      ctx.stdout.write(JSON.stringify(audiences, null, 2) + '\n');
      return 0;
    }
    if (audiences.length === 0) {
      const filter = options.name ? ` with "${options.name}" in the name` : '';
      ctx.info(`No audiences${filter} in ad account ${adAccountId}. Create one with \`pinsync audiences create NAME --from FILE\`.`);
      return 0;
    }
    const { renderTable, stdoutTableOptions } = await import('../report/table.js');
    ctx.stdout.write(
      renderTable(
        audiences,
        [
          { header: 'ID', value: (a) => a.id ?? '' },
          { header: 'NAME', value: (a) => a.name ?? '', shrink: true },
          { header: 'TYPE', value: (a) => audienceType(a) },
          { header: 'STATUS', value: (a) => a.status ?? '' },
          { header: 'SIZE', value: (a) => formatCount(a.size), align: 'right' },
          { header: 'UPDATED (UTC)', value: (a) => formatTimestamp(a.updated_timestamp ?? a.created_timestamp) },
          ...(ownership === 'OWNED' ? [] : [{ header: 'OWNERSHIP', value: (a: ListedAudience) => (a.ownership_type === 'RECEIVED' ? 'received (shared, read-only)' : 'owned') }]),
        ],
        stdoutTableOptions(ctx),
      ),
    );
    return 0;
  } finally {
    await client.close();
  }
}

export async function runAudiencesShow(ctx: Context, options: ShowOptions, idOrName: string | undefined): Promise<number> {
  if (!idOrName?.trim() && !ctx.canPrompt) {
    throw new UsageError('No audience given: pass its id or name, e.g. `pinsync audiences show "Spring buyers"` (no terminal to ask on).');
  }
  const adAccountId = await adAccountFor(ctx, options.adAccount);
  const client = await ctx.connectInteractive();
  try {
    const { lastSyncMatch, showAudience } = await import('../audiences/show.js');
    const { pickAudienceId } = await import('./choices.js');
    const wanted = idOrName?.trim() || (await pickAudienceId(ctx, client, adAccountId));
    const shown = await showAudience(client, adAccountId, wanted);
    if (shown.kind === 'pending') {
      printPending(ctx, adAccountId, shown, options);
      return 0;
    }
    const { audience, customerList, tooSmall } = shown;
    const match = await lastSyncMatch(ctx.paths.stateFile, adAccountId, audience);
    if (options.json) {
      const extra = { ...(customerList ? { customer_list: customerList } : {}), ...(match ? { last_sync_match: match } : {}) };
      ctx.stdout.write(JSON.stringify({ ...audience, ...extra }, null, 2) + '\n');
      if (tooSmall) ctx.info(TOO_SMALL_NOTE);
      return 0;
    }
    ctx.stdout.write(describeAudience(audience, adAccountId, customerList, match));
    if (tooSmall) ctx.stdout.write(`\n${TOO_SMALL_NOTE}\n`);
    return 0;
  } finally {
    await client.close();
  }
}

/**
 * A name with no audience but a customer list of that name waiting for one (a `--create` run that
 * Pinterest refused so far): the list, why it waits and how it completes.
 */
function printPending(ctx: Context, adAccountId: string, pending: { name: string; list: CustomerList; reason: string }, options: ShowOptions): void {
  const { name, list, reason } = pending;
  const next = `the next \`pinsync push FILE --audience "${name}" --create\` (or sync) adds to this list and creates the audience; or run \`pinsync audiences create "${name}" --list ${list.id}\`.`;
  if (options.json) {
    ctx.stdout.write(JSON.stringify({ name, ad_account_id: adAccountId, status: 'PENDING', pending_reason: reason, customer_list: list }, null, 2) + '\n');
    return;
  }
  const rows: Array<[string, string]> = [
    ['Audience', `${name} (not created yet)`],
    ['Ad account', adAccountId],
    ['Status', 'PENDING'],
    ['Waits because', reason],
    ...listRows(list),
  ];
  ctx.stdout.write(`${renderDetails(rows)}\nTo finish it: ${next}\n`);
}

function listRows(list: CustomerList): Array<[string, string]> {
  return [
    ['Customer list', `${list.name ?? '(no name)'} (id ${list.id ?? '?'})`],
    ['  Status', list.status ?? '—'],
    ['  Uploaded records', formatCount(list.num_uploaded_user_records)],
    ['  Removed records', formatCount(list.num_removed_user_records)],
    ['  Batches', formatCount(list.num_batches)],
    ['  Exceptions', formatExceptions(list.exceptions)],
  ];
}

function describeAudience(audience: Audience, adAccountId: string, list: CustomerList | undefined, match: LastSyncMatch | undefined): string {
  const rows: Array<[string, string]> = [
    ['Audience', `${audience.name ?? '(no name)'} (id ${audience.id ?? '?'})`],
    ['Ad account', audience.ad_account_id ?? adAccountId],
    ['Type', audienceType(audience)],
    ['Status', audience.status ?? '—'],
    ['Size', formatCount(audience.size)],
  ];
  if (audience.description) rows.push(['Description', audience.description]);
  if (audience.rule?.seed_id?.length) {
    rows.push(['Lookalike of', `${audience.rule.seed_id.join(', ')} (${audience.rule.country ?? '?'}, ${audience.rule.percentage ?? '?'}%)`]);
  }
  rows.push(['Created', utcOrDash(audience.created_timestamp)]);
  rows.push(['Updated', utcOrDash(audience.updated_timestamp)]);
  if (match) rows.push(['Match (last sync)', describeLastMatch(match)]);
  if (list) {
    rows.push(...listRows(list));
  } else if (audience.rule?.customer_list_id) {
    rows.push(['Customer list', `id ${audience.rule.customer_list_id}`]);
  }
  return renderDetails(rows);
}

export async function runAudiencesCreate(ctx: Context, options: CreateOptions, nameArg?: string): Promise<number> {
  checkCreateFlags(options);
  const name = await audienceName(ctx, nameArg);
  if (options.from) return createFromFile(ctx, name, options);
  if (options.list) return createOnList(ctx, name, options.list, options);
  if (!options.actalikeOf) {
    throw new UsageError(
      `Pinterest cannot create an empty customer-list audience, so nothing was created. Seed it with users: \`pinsync push FILE --audience "${name}" --create\` (or \`pinsync audiences create "${name}" --from FILE\`).`,
    );
  }
  const adAccountId = await adAccountFor(ctx, options.adAccount);
  const client = await ctx.connectInteractive();
  try {
    const { createLookalike } = await import('../audiences/create.js');
    const { created, seed } = await createLookalike(client, adAccountId, {
      name,
      seed: options.actalikeOf,
      country: options.country!,
      percentage: options.percentage!,
      description: options.description,
    });
    if (options.json) {
      ctx.stdout.write(JSON.stringify(created, null, 2) + '\n');
    } else {
      ctx.stdout.write(
        `Created lookalike audience "${created.name ?? name}" (id ${created.id}) of "${seed.name ?? seed.id}" in ad account ${adAccountId}: ${options.country}, ${options.percentage}%.\n`,
      );
    }
    return 0;
  } finally {
    await client.close();
  }
}

function checkCreateFlags(options: CreateOptions): void {
  const lookalikeFlags = options.country !== undefined || options.percentage !== undefined;
  if ([options.actalikeOf, options.from, options.list].filter((given) => given !== undefined).length > 1) {
    throw new UsageError('Pass one of --from FILE (a new customer-list audience), --list ID (an audience on an existing customer list) or --actalike-of AUDIENCE (a lookalike).');
  }
  if (options.list !== undefined && !/^\d+$/.test(options.list.trim())) {
    throw new UsageError(`--list takes a numeric customer list id, not "${options.list}". \`pinsync audiences show NAME\` shows the list of a pending audience.`);
  }
  if (options.actalikeOf && (options.country === undefined || options.percentage === undefined)) {
    throw new UsageError('A lookalike needs --country (US, CA or GB) and --percentage (1-10) with --actalike-of.');
  }
  if (!options.actalikeOf && lookalikeFlags) {
    throw new UsageError('--country and --percentage only apply to a lookalike: add --actalike-of AUDIENCE.');
  }
}

async function audienceName(ctx: Context, given: string | undefined): Promise<string> {
  const name = given?.trim();
  if (name) return name;
  if (!ctx.canPrompt) {
    throw new UsageError('No audience name given: pass it as the <name> argument, e.g. `pinsync audiences create "Spring buyers"`.');
  }
  const answer = await ctx.prompter.input('Name of the new audience', {
    validate: (value) => (value.trim() ? true : 'Enter a name.'),
  });
  return answer.trim();
}

/** --list: the CUSTOMER_LIST audience on a list that exists (e.g. one a --create run left pending). */
async function createOnList(ctx: Context, name: string, listId: string, options: CreateOptions): Promise<number> {
  const adAccountId = await adAccountFor(ctx, options.adAccount);
  const client = await ctx.connectInteractive();
  try {
    const { createOnList: create } = await import('../audiences/create.js');
    const { created, list } = await create(ctx, client, adAccountId, name, listId, options.description);
    if (options.json) ctx.stdout.write(JSON.stringify(created, null, 2) + '\n');
    else ctx.stdout.write(`Created audience "${created.name ?? name}" (id ${created.id}) on customer list ${list.id} in ad account ${adAccountId}.\n`);
    return 0;
  } finally {
    await client.close();
  }
}

/**
 * --from: a new customer-list audience seeded with FILE, through push's own pipeline (customer list
 * first, then the audience). Refuses a name that already exists: push would add to that audience.
 */
async function createFromFile(ctx: Context, name: string, options: CreateOptions): Promise<number> {
  const adAccountId = await adAccountFor(ctx, options.adAccount);
  if (!options.dryRun) {
    const client = await ctx.connectInteractive();
    try {
      const { AudienceDirectory } = await import('../audiences/directory.js');
      const { refuseDuplicateName } = await import('../audiences/create.js');
      await refuseDuplicateName(new AudienceDirectory(client, adAccountId), name, true);
    } finally {
      await client.close();
    }
  }
  const { runPush } = await import('../runs/push.js');
  const { from, actalikeOf: _actalikeOf, country: _country, percentage: _percentage, ...pushFlags } = options;
  const pushOptions: PushOptions = {
    progress: true,
    ...withoutUndefined(pushFlags),
    audience: name,
    adAccount: adAccountId,
    create: true,
  };
  return printRunResult(ctx, await runPush(ctx, pushOptions, from!, { command: 'audiences create' }), options.json);
}

function withoutUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** "72% (7,200 matched of 10,000 users synced; run 12, read 2026-05-02 06:00 UTC)". */
function describeLastMatch(match: LastSyncMatch): string {
  const rate = match.match_rate === null ? (match.list_status ?? 'no size yet') : `${(match.match_rate * 100).toFixed(0)}%`;
  const counts = match.users_synced === null ? '' : `${formatCount(match.audience_size)} matched of ${formatCount(match.users_synced)} users synced; `;
  return `${rate} (${counts}run ${match.run_id}, read ${utcOrDash(Date.parse(match.checked_at) / 1000)})${match.warning ? ` — ${match.warning}` : ''}`;
}

/**
 * The audience type: `audience_type` is the kind (CUSTOMER_LIST, ACTALIKE, …); the API's `type` is just
 * "audience". "(NCA)" marks one built on a new-customer-acquisition list (API 5.28 `is_nca`).
 */
function audienceType(audience: Audience): string {
  return `${audience.audience_type ?? ''}${audience.is_nca ? ' (NCA)' : ''}`;
}

/** A count or size with thousands separators; a dash when Pinterest gives none (yet). */
function formatCount(value: number | null | undefined): string {
  return value === null || value === undefined ? '—' : value.toLocaleString('en-US');
}

function formatExceptions(exceptions: Record<string, unknown> | undefined): string {
  if (!exceptions || Object.keys(exceptions).length === 0) return 'none';
  return JSON.stringify(exceptions);
}

function utcOrDash(seconds: number | null | undefined): string {
  const stamp = formatTimestamp(seconds);
  return stamp ? `${stamp} UTC` : '—';
}

/** Unix seconds → "YYYY-MM-DD HH:MM" UTC. */
function formatTimestamp(seconds: number | null | undefined): string {
  if (!seconds) return '';
  return new Date(seconds * 1000).toISOString().slice(0, 16).replace('T', ' ');
}
