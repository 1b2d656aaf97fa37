// `pinsync audiences list|show|create`: the audiences of an ad account, one audience with its customer
// list, and new audiences (lookalikes directly; customer-list audiences are seeded through push).
// Light on purpose: the API client (undici) is imported inside the actions.
import { Option, type Command } from 'commander';
import { action, parseDuration, parseInteger, parseNumber } from './action.js';
import { addInputOptions } from './input-flags.js';
import type { PushOptions } from '../runs/options.js';
import type { Context } from '../context.js';
import { NotFoundError, UsageError } from '../errors.js';
import { renderDetails } from '../report/table.js';
import type { PinterestClient } from '../pinterest/client.js';
import type { Audience, CustomerList } from '../pinterest/types.generated.js';

/** `show` and `--actalike-of` have no --create flag, unlike push: point at what exists and how to add one. */
const SEE_AUDIENCES = 'Run `pinsync audiences list` to see them, or make one with `pinsync audiences create NAME --from FILE`.';

export const TOO_SMALL_NOTE =
  'Pinterest shows a size after ~100 matched users; sizes can take 24–48 hours to appear in Ads Manager.';

interface ListOptions {
  adAccount?: string;
  name?: string;
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

async function connect(ctx: Context): Promise<PinterestClient> {
  const { connectInteractive } = await import('../connect.js');
  return connectInteractive(ctx);
}

async function adAccountFor(ctx: Context, flag: string | undefined): Promise<string> {
  const { resolveAdAccount } = await import('./choices.js');
  return resolveAdAccount(ctx, flag);
}

export async function runAudiencesList(ctx: Context, options: ListOptions): Promise<number> {
  const adAccountId = await adAccountFor(ctx, options.adAccount);
  const client = await connect(ctx);
  try {
    const needle = options.name?.toLowerCase();
    const audiences: Audience[] = [];
    for await (const audience of client.audiences(adAccountId)) {
      if (!needle || (audience.name ?? '').toLowerCase().includes(needle)) audiences.push(audience);
    }
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
  const client = await connect(ctx);
  try {
    const { findAudience } = await import('../pinterest/lookups.js');
    const { pickAudienceId } = await import('./choices.js');
    const wanted = idOrName?.trim() || (await pickAudienceId(ctx, client, adAccountId));
    const audience = await findAudience(client, adAccountId, wanted, SEE_AUDIENCES, { archivedToo: true }).catch(async (error: unknown) => {
      if (!(error instanceof NotFoundError) || (await showPending(ctx, client, adAccountId, wanted, options)) === false) throw error;
      return undefined;
    });
    if (!audience) return 0;
    const listId = audienceType(audience) === 'CUSTOMER_LIST' ? audience.rule?.customer_list_id : undefined;
    const customerList = listId ? await client.customerList(adAccountId, listId) : undefined;
    const tooSmall = audience.status === 'TOO_SMALL' || customerList?.status === 'TOO_SMALL';
    if (options.json) {
      ctx.stdout.write(JSON.stringify(customerList ? { ...audience, customer_list: customerList } : audience, null, 2) + '\n');
      if (tooSmall) ctx.info(TOO_SMALL_NOTE);
      return 0;
    }
    ctx.stdout.write(describeAudience(audience, adAccountId, customerList));
    if (tooSmall) ctx.stdout.write(`\n${TOO_SMALL_NOTE}\n`);
    return 0;
  } finally {
    await client.close();
  }
}

/**
 * A name with no audience but a customer list of that name waiting for one (a `--create` run that
 * Pinterest refused so far): the list, why it waits and how it completes. False when there is none.
 */
async function showPending(ctx: Context, client: PinterestClient, adAccountId: string, name: string, options: ShowOptions): Promise<boolean> {
  const { findPendingList } = await import('../pinterest/lookups.js');
  const { whyListWaits } = await import('../audiences/pending-audience.js');
  const list = await findPendingList(client, adAccountId, name);
  if (!list) return false;
  const reason = whyListWaits(list) ?? `customer list ${list.id} looks ready: the next run creates the audience`;
  const next = `the next \`pinsync push FILE --audience "${name}" --create\` (or sync) adds to this list and creates the audience; or run \`pinsync audiences create "${name}" --list ${list.id}\`.`;
  if (options.json) {
    const pending = { name, ad_account_id: adAccountId, status: 'PENDING', pending_reason: reason, customer_list: list };
    ctx.stdout.write(JSON.stringify(pending, null, 2) + '\n');
    return true;
  }
  const rows: Array<[string, string]> = [
    ['Audience', `${name} (not created yet)`],
    ['Ad account', adAccountId],
    ['Status', 'PENDING'],
    ['Waits because', reason],
    ...listRows(list),
  ];
  ctx.stdout.write(`${renderDetails(rows)}\nTo finish it: ${next}\n`);
  return true;
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

function describeAudience(audience: Audience, adAccountId: string, list: CustomerList | undefined): string {
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
  const client = await connect(ctx);
  try {
    await refuseDuplicateName(client, adAccountId, name);
    const { findAudience } = await import('../pinterest/lookups.js');
    const seed = await findAudience(client, adAccountId, options.actalikeOf, SEE_AUDIENCES);
    const created = await client.createAudience(adAccountId, {
      name,
      audience_type: 'ACTALIKE',
      rule: { seed_id: [seed.id!], country: options.country!, percentage: options.percentage! },
      ...(options.description ? { description: options.description } : {}),
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

/** Two audiences with one name would make every later `--audience NAME` ambiguous (an archived one is no longer in the way). */
async function refuseDuplicateName(client: PinterestClient, adAccountId: string, name: string, seeding = false): Promise<void> {
  const { isArchived } = await import('../pinterest/lookups.js');
  for await (const audience of client.audiences(adAccountId)) {
    if (audience.name === name && !isArchived(audience)) {
      // An earlier `create --from` that stopped half-way leaves the audience behind: push finishes it.
      const next = seeding ? ` Choose another name, or add the file to it with \`pinsync push FILE --audience ${audience.id}\`.` : ' Choose another name.';
      throw new UsageError(`Ad account ${adAccountId} already has an audience named "${name}" (id ${audience.id}).${next}`);
    }
  }
}

/**
 * --list: the CUSTOMER_LIST audience on a list that exists, by hand, e.g. the list of an audience that a
 * `--create` run left pending. Holds the audience-name lock push and sync hold, so it never makes a twin.
 */
async function createOnList(ctx: Context, name: string, listId: string, options: CreateOptions): Promise<number> {
  const adAccountId = await adAccountFor(ctx, options.adAccount);
  const client = await connect(ctx);
  const { audienceNameLock } = await import('../audiences/target.js');
  const lock = await audienceNameLock(ctx, adAccountId, name)(true);
  try {
    await refuseDuplicateName(client, adAccountId, name);
    const list = await client.customerList(adAccountId, listId.trim());
    const created = await client
      .createAudience(adAccountId, {
        name,
        audience_type: 'CUSTOMER_LIST',
        rule: { customer_list_id: list.id! },
        ...(options.description ? { description: options.description } : {}),
      })
      .catch(async (error: unknown) => {
        throw await refusedOnList(error, list);
      });
    if (options.json) ctx.stdout.write(JSON.stringify(created, null, 2) + '\n');
    else ctx.stdout.write(`Created audience "${created.name ?? name}" (id ${created.id}) on customer list ${list.id} in ad account ${adAccountId}.\n`);
    return 0;
  } finally {
    if (lock !== 'busy') lock.release();
    await client.close();
  }
}

/** Pinterest's refusal of an audience on a young list, with what the list says and what to do. */
async function refusedOnList(error: unknown, list: CustomerList): Promise<unknown> {
  const { ApiError } = await import('../pinterest/errors.js');
  if (!(error instanceof ApiError) || error.kind !== 'bad_request') return error;
  const { whyListWaits } = await import('../audiences/pending-audience.js');
  const why = whyListWaits(list) ?? `Pinterest answered: ${(error.apiMessage ?? error.message).replace(/\.$/, '')}`;
  return new UsageError(`Pinterest did not accept an audience on customer list ${list.id}: ${why}. Add users with \`pinsync push\`, or try again once the list is ready.`);
}

/**
 * --from: a new customer-list audience seeded with FILE, through push's own pipeline (customer list
 * first, then the audience). Refuses a name that already exists: push would add to that audience.
 */
async function createFromFile(ctx: Context, name: string, options: CreateOptions): Promise<number> {
  const adAccountId = await adAccountFor(ctx, options.adAccount);
  if (!options.dryRun) {
    const client = await connect(ctx);
    try {
      await refuseDuplicateName(client, adAccountId, name, true);
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
  return runPush(ctx, pushOptions, from!, { command: 'audiences create' });
}

function withoutUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** `audience_type` is the kind (CUSTOMER_LIST, ACTALIKE, …); the API's `type` is just "audience". */
function audienceType(audience: Audience): string {
  return audience.audience_type ?? '';
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
