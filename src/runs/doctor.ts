// `pinsync doctor`'s checks, a preflight for cron jobs: the state store and write budgets, the
// credentials, token expiry and scopes (checkAccess), then what one push or sync would need
// (checkRun): the ad account, the audience or every audience a segment column names, the file's
// columns, the exclusion lists. Each is a line with the fix; the exit code is the first failing
// check's (4 auth, 5 not found, 2 file or flags, 1 anything else). A jobs file runs checkRun once per
// job (src/jobs/preflight.ts).
import type { Context } from '../context.js';
import type { PinterestClient } from '../pinterest/client.js';
import type { ResolvedTokenProvider } from '../auth/token-provider.js';
import type { ColumnPlan } from '../input/columns.js';
import type { InputOptions } from './options.js';

/** The flags of the push or sync doctor checks: the input's, and the audience to find or create. */
export interface DoctorOptions
  extends Pick<InputOptions, 'format' | 'delimiter' | 'emailColumn' | 'maidColumn' | 'idfaColumn' | 'phoneColumn' | 'rows' | 'audienceColumn' | 'maxNewAudiences' | 'exclude'> {
  audience?: string;
  adAccount?: string;
  create?: boolean;
}

export type Outcome = 'ok' | 'warn' | 'fail';

export interface CheckLine {
  outcome: Outcome;
  text: string;
  exitCode?: number;
}

const REQUIRED_SCOPES = ['ads:read', 'ads:write', 'user_accounts:read'];
const EXPIRY_WARNING_MS = 7 * 86_400_000;

export async function runDoctor(ctx: Context, options: DoctorOptions, file: string | undefined, print: (line: CheckLine) => void): Promise<number> {
  const checks = new DoctorChecks(print);
  const access = await checkAccess(ctx, checks.say);
  try {
    await checkRun(ctx, access, options, file, checks.say);
  } finally {
    await access?.client.close();
  }
  return checks.end(ctx);
}

/** The lines said so far, and the end: "Ready." (with warnings) or the first failure's exit code. */
export class DoctorChecks {
  private readonly lines: CheckLine[] = [];
  readonly say = (line: CheckLine): void => {
    this.lines.push(line);
    this.print(line);
  };

  constructor(private readonly print: (line: CheckLine) => void) {}

  end(ctx: Context): number {
    const failed = this.lines.find((line) => line.outcome === 'fail');
    if (!failed) ctx.info(this.lines.some((line) => line.outcome === 'warn') ? 'Ready, with warnings.' : 'Ready.');
    return failed ? (failed.exitCode ?? 1) : 0;
  }
}

/** A usable connection to Pinterest: its client (close it) and token, once the token answered. */
export interface DoctorAccess {
  client: PinterestClient;
  tokens: ResolvedTokenProvider;
  /** The token answered GET /user_account. */
  valid: boolean;
  /** Each ad account looked up once (a jobs file's jobs mostly share one). */
  adAccounts: Map<string, Promise<{ name?: string }>>;
}

/** The state store, the credentials, the token, its expiry and scopes. */
export async function checkAccess(ctx: Context, say: (line: CheckLine) => void): Promise<DoctorAccess | undefined> {
  await checkStateStore(ctx, say);
  await checkWriteBudgets(ctx, say);
  const connection = await checkCredentials(ctx, say);
  if (!connection) return undefined;
  const valid = await checkToken(connection.client, say);
  if (valid) checkExpiry(ctx, connection.tokens, say);
  return { ...connection, valid, adAccounts: new Map() };
}

/** What one push or sync with these options would need: its ad account, audience(s), file and exclusion lists. */
export async function checkRun(ctx: Context, access: DoctorAccess | undefined, options: DoctorOptions, file: string | undefined, say: (line: CheckLine) => void): Promise<void> {
  const adAccountId = access?.valid ? await checkAdAccount(ctx, access, options, say) : undefined;
  const client = adAccountId ? access!.client : undefined;
  if (client && options.audience) await checkAudience(client, adAccountId!, options, say);
  const plan = file ? await checkFile(ctx, file, options, say) : undefined;
  if (options.exclude?.length) await checkExclusions(options.exclude, options, plan, say);
  if (file && plan && options.audienceColumn !== undefined) await checkSegments(ctx, client ? { client, adAccountId: adAccountId! } : undefined, file, options, say);
}

function failure(error: unknown, fallbackCode = 1): { message: string; exitCode: number } {
  const exitCode = (error as { exitCode?: unknown }).exitCode;
  const message = error instanceof Error ? error.message : String(error);
  return { message, exitCode: typeof exitCode === 'number' ? exitCode : fallbackCode };
}

async function checkStateStore(ctx: Context, print: (line: CheckLine) => void): Promise<void> {
  const { openStateStore } = await import('../state/store.js');
  try {
    const store = await openStateStore(ctx.paths.stateFile);
    store.close();
    print({ outcome: 'ok', text: `state store ${ctx.paths.stateFile} is readable (resume journals, mirror snapshots, run history)` });
  } catch (error) {
    const { message, exitCode } = failure(error, 2);
    print({ outcome: 'fail', text: message, exitCode });
  }
}

/** The write budgets the home's processes share: one stale (a clock set back) or damaged is repaired here, and said. */
async function checkWriteBudgets(ctx: Context, print: (line: CheckLine) => void): Promise<void> {
  const { checkBudgetFiles } = await import('../state/token-budget.js');
  const { realClock } = await import('../pinterest/clock.js');
  const { files, notices } = await checkBudgetFiles(ctx.paths.stateDir, { now: ctx.now, sleep: realClock.sleep });
  for (const notice of notices) print({ outcome: 'warn', text: notice });
  if (files > 0 && notices.length === 0) {
    print({ outcome: 'ok', text: `write budget shared by this home's pinsync processes is in order (${files === 1 ? 'one token' : `${files} tokens`})` });
  }
}

async function checkCredentials(
  ctx: Context,
  print: (line: CheckLine) => void,
): Promise<{ client: PinterestClient; tokens: ResolvedTokenProvider } | undefined> {
  const { resolveTokenProvider } = await import('../auth/token-provider.js');
  const { apiBaseFrom } = await import('../pinterest/api-base.js');
  apiBaseFrom(ctx.env); // a refused base fails before a refresh could send credentials there
  let tokens: ResolvedTokenProvider;
  try {
    tokens = await resolveTokenProvider(ctx);
  } catch (error) {
    const { message, exitCode } = failure(error, 4);
    print({ outcome: 'fail', text: `credentials: ${message}`, exitCode });
    return undefined;
  }
  const source = {
    env: 'PINSYNC_ACCESS_TOKEN',
    'refresh-token': 'PINSYNC_REFRESH_TOKEN',
    keychain: 'the OS keychain',
    file: 'the credentials file',
  }[tokens.source];
  print({ outcome: 'ok', text: `credentials found (${source})` });
  // A preflight must answer quickly: the interactive limits (a minute of retries), not a push's 13 hours.
  const client = await ctx.clientWithTokens(tokens);
  return { client, tokens };
}

async function checkToken(client: PinterestClient, print: (line: CheckLine) => void): Promise<boolean> {
  try {
    const user = (await client.userAccount()) as { username?: string };
    print({ outcome: 'ok', text: `token is valid${user.username ? ` for @${user.username}` : ''} (GET /user_account)` });
    return true;
  } catch (error) {
    const { message, exitCode } = failure(error, 4);
    const fix = exitCode === 4 ? ' Run `pinsync login`, or set a fresh PINSYNC_ACCESS_TOKEN.' : '';
    print({ outcome: 'fail', text: `token: ${message}${fix}`, exitCode });
    return false;
  }
}

function checkExpiry(ctx: Context, tokens: ResolvedTokenProvider, print: (line: CheckLine) => void): void {
  const details = tokens.details?.() ?? { source: tokens.source };
  const now = ctx.now();
  if (details.expiresAt === undefined) {
    print({ outcome: 'ok', text: 'token expiry unknown (a token from the environment is used as given)' });
  } else if (details.refreshTokenExpiresAt === undefined && details.expiresAt - now < EXPIRY_WARNING_MS) {
    print({ outcome: 'warn', text: `token expires ${inDays(details.expiresAt - now)} and cannot be refreshed: run \`pinsync login\` before then` });
  } else {
    print({ outcome: 'ok', text: `token expires ${inDays(details.expiresAt - now)}${details.refreshTokenExpiresAt ? ' (refreshed automatically)' : ''}` });
  }
  if (details.refreshTokenExpiresAt !== undefined) {
    const left = details.refreshTokenExpiresAt - now;
    const text = `refresh token expires ${inDays(left)}`;
    print(left < EXPIRY_WARNING_MS ? { outcome: 'warn', text: `${text}: run \`pinsync login\` before then` } : { outcome: 'ok', text });
  }
  if (!details.scopes) {
    print({ outcome: 'ok', text: 'scopes not recorded for this token (the checks below test access directly)' });
    return;
  }
  const missing = REQUIRED_SCOPES.filter((scope) => !details.scopes!.includes(scope));
  print(
    missing.length === 0
      ? { outcome: 'ok', text: `scopes ${REQUIRED_SCOPES.join(', ')} granted` }
      : { outcome: 'fail', text: `scopes missing: ${missing.join(', ')}. Run \`pinsync login\` again and grant them.`, exitCode: 4 },
  );
}

async function checkAdAccount(
  ctx: Context,
  access: DoctorAccess,
  options: DoctorOptions,
  print: (line: CheckLine) => void,
): Promise<string | undefined> {
  const { validAdAccountId } = await import('../pinterest/lookups.js');
  let id: string | undefined;
  try {
    id = options.adAccount ? validAdAccountId(options.adAccount.trim()) : ctx.config.profile(ctx.profile).adAccountId;
  } catch (error) {
    const { message, exitCode } = failure(error, 2);
    print({ outcome: 'fail', text: message, exitCode });
    return undefined;
  }
  if (!id) {
    print({
      outcome: options.audience ? 'fail' : 'warn',
      text: 'no ad account chosen: pass --ad-account ID or run `pinsync accounts use <id>`',
      exitCode: 2,
    });
    return undefined;
  }
  try {
    if (!access.adAccounts.has(id)) access.adAccounts.set(id, access.client.adAccount(id) as Promise<{ name?: string }>);
    const account = await access.adAccounts.get(id)!;
    print({ outcome: 'ok', text: `ad account ${id}${account.name ? ` (${account.name})` : ''} is reachable` });
    return id;
  } catch (error) {
    const { message, exitCode } = failure(error);
    print({ outcome: 'fail', text: `ad account ${id}: ${message}`, exitCode });
    return undefined;
  }
}

async function checkAudience(
  client: PinterestClient,
  adAccountId: string,
  options: DoctorOptions,
  print: (line: CheckLine) => void,
): Promise<void> {
  const { findAudience } = await import('../audiences/directory.js');
  try {
    const audience = await findAudience(client, adAccountId, options.audience!);
    const size = typeof audience.size === 'number' ? `, size ${audience.size.toLocaleString('en-US')}` : '';
    print({ outcome: 'ok', text: `audience "${audience.name ?? audience.id}" (${audience.id}) exists${size}` });
  } catch (error) {
    const { message, exitCode } = failure(error);
    if (exitCode === 5 && options.create) {
      print({ outcome: 'ok', text: `audience "${options.audience}" does not exist yet and will be created (--create)` });
    } else {
      print({ outcome: 'fail', text: `audience: ${message}`, exitCode });
    }
  }
}

async function checkFile(ctx: Context, file: string, options: DoctorOptions, print: (line: CheckLine) => void): Promise<ColumnPlan | undefined> {
  try {
    if (options.audienceColumn !== undefined) {
      const { routingOf } = await import('./settings.js');
      routingOf({ audienceColumn: options.audienceColumn, emailColumn: options.emailColumn, maidColumn: options.maidColumn, idfaColumn: options.idfaColumn, phoneColumn: options.phoneColumn });
    }
    const plan = await fileColumnPlan(ctx, file, options);
    const { columnNames } = await import('../input/columns.js');
    const used = Object.entries(columnNames(plan)).map(([kind, name]) => `"${name}" (${kind})`).join(', ') || 'none found in the first objects';
    const rows = plan.recordsV2 ? '; one records_v2 row per user' : '';
    const segment = plan.audience ? `; audience names in column ${plan.audience.name}` : '';
    print({ outcome: 'ok', text: `${file}: identifier columns ${used}; list type ${plan.listType}${rows}${segment}` });
    return plan;
  } catch (error) {
    const { message, exitCode } = failure(error, 2);
    print({ outcome: 'fail', text: `${file}: ${message}`, exitCode });
    return undefined;
  }
}

/** Each exclusion list read as a run would read it: its rows, its identifiers and their kinds, against the input's. */
async function checkExclusions(files: readonly string[], options: DoctorOptions, plan: ColumnPlan | undefined, print: (line: CheckLine) => void): Promise<void> {
  const { loadExclusions, disjointKindWarnings } = await import('../identify/exclusions.js');
  const { parseDelimiter } = await import('./settings.js');
  for (const file of files) {
    try {
      const exclusions = await loadExclusions([file], { delimiter: parseDelimiter(options.delimiter) });
      const summary = exclusions.files[0]!;
      const n = (value: number) => value.toLocaleString('en-US');
      const unusable = summary.unusable > 0 ? `; ${n(summary.unusable)} rows without a valid identifier exclude nobody` : '';
      print({ outcome: summary.unusable > 0 ? 'warn' : 'ok', text: `exclusion file ${summary.name}: ${n(summary.rows)} rows, ${n(exclusions.size)} identifiers (${summary.kinds.join(', ') || 'none'})${unusable}` });
      const inputKinds = (plan?.columns ?? []).filter((column) => column.name.trim().length > 0).map((column) => column.kind);
      for (const warning of disjointKindWarnings(exclusions, inputKinds)) print({ outcome: 'warn', text: warning });
    } catch (error) {
      const { message, exitCode } = failure(error, 2);
      print({ outcome: 'fail', text: message, exitCode });
    }
  }
}

/**
 * Every audience a segment column names, looked up as a run would: one that does not exist fails
 * (exit 5) unless --create, and more new ones than --max-new-audiences fail (exit 2).
 */
async function checkSegments(
  ctx: Context,
  account: { client: PinterestClient; adAccountId: string } | undefined,
  file: string,
  options: DoctorOptions,
  print: (line: CheckLine) => void,
): Promise<void> {
  const column = options.audienceColumn!.trim();
  const { segmentValuesOf } = await import('./segment-values.js');
  const { parseDelimiter, DEFAULT_MAX_NEW_AUDIENCES } = await import('./settings.js');
  const { clean } = await import('../report/table.js');
  let values: Set<string>;
  try {
    values = await segmentValuesOf(ctx, file, { ...options, audienceColumn: column }, parseDelimiter(options.delimiter));
  } catch (error) {
    const { message, exitCode } = failure(error, 2);
    print({ outcome: 'fail', text: `column ${column}: ${message}`, exitCode });
    return;
  }
  const count = (n: number, one: string, many: string) => `${n.toLocaleString('en-US')} ${n === 1 ? one : many}`;
  if (!account) {
    print({ outcome: 'ok', text: `column ${column} names ${count(values.size, 'audience', 'audiences')} (not looked up: no ad account to look in)` });
    return;
  }
  const { AudienceDirectory } = await import('../audiences/directory.js');
  const directory = new AudienceDirectory(account.client, account.adAccountId);
  const missing: string[] = [];
  /** Values --create cannot help: digits only, they read as audience ids. */
  const unusable: string[] = [];
  let existing = 0;
  try {
    for (const value of values) {
      try {
        await directory.find(value);
        existing++;
      } catch (error) {
        if (failure(error).exitCode !== 5) throw error;
        (/^\d+$/.test(value) ? unusable : missing).push(value);
      }
    }
  } catch (error) {
    const { message, exitCode } = failure(error);
    print({ outcome: 'fail', text: `column ${column}: ${message}`, exitCode });
    return;
  }
  const names = (list: string[]) => list.slice(0, 5).map((name) => `"${clean(name)}"`).join(', ') + (list.length > 5 ? ` and ${list.length - 5} more` : '');
  const max = options.maxNewAudiences ?? DEFAULT_MAX_NEW_AUDIENCES;
  if (unusable.length > 0) {
    print({ outcome: 'fail', text: `column ${column}: ${names(unusable)} ${unusable.length === 1 ? 'names' : 'name'} no audience: digits only read as an audience id, and none has it`, exitCode: 5 });
  } else if (missing.length > 0 && !options.create) {
    print({ outcome: 'fail', text: `column ${column}: ${missing.length} of its ${values.size} audiences do not exist (${names(missing)}): pass --create to create them, or fix the column`, exitCode: 5 });
  } else if (missing.length > max) {
    print({ outcome: 'fail', text: `column ${column}: a run would create ${missing.length} new audiences (${names(missing)}), more than --max-new-audiences ${max}`, exitCode: 2 });
  } else {
    const created = missing.length > 0 ? `, ${missing.length} will be created (--create)` : '';
    print({ outcome: 'ok', text: `column ${column} names ${count(values.size, 'audience', 'audiences')}: ${count(existing, 'exists', 'exist')}${created}` });
  }
}

/** Reads just enough of the input to find its identifier columns, as push and sync read them. */
async function fileColumnPlan(ctx: Context, file: string, options: DoctorOptions): Promise<ColumnPlan> {
  const { openInput } = await import('../input/source.js');
  const { readColumnPlan } = await import('../identify/identified-rows.js');
  const { parseDelimiter } = await import('../runs/settings.js');
  const { emailColumn, maidColumn, idfaColumn, phoneColumn, rows, audienceColumn } = options;
  const delimiter = parseDelimiter(options.delimiter);
  const source = await openInput(file, ctx.stdin, options.format);
  let plan: ColumnPlan | undefined;
  try {
    plan = await readColumnPlan({ source, delimiter, emailColumn, maidColumn, idfaColumn, phoneColumn, rows, audienceColumn });
  } finally {
    source.close();
  }
  if (!plan) throw new Error('the file is empty: expected a header line and rows of identifiers.');
  return plan;
}

function inDays(ms: number): string {
  if (ms <= 0) return 'now (expired)';
  const days = ms / 86_400_000;
  return days < 2 ? `in ${Math.max(1, Math.round(ms / 3_600_000))} h` : `in ${Math.round(days)} days`;
}
