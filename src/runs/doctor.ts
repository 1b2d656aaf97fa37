// `pinsync doctor`'s checks, a preflight for cron jobs: the state store, the credentials, token expiry
// and scopes, the ad account, the audience and a file's columns, each a line with the fix. The exit
// code is the first failing check's (4 auth, 5 not found, 2 file or flags, 1 anything else).
import type { Context } from '../context.js';
import type { PinterestClient } from '../pinterest/client.js';
import type { ResolvedTokenProvider } from '../auth/token-provider.js';
import type { ColumnPlan, RowFormat } from '../input/columns.js';

export interface DoctorOptions {
  audience?: string;
  adAccount?: string;
  create?: boolean;
  format?: 'csv' | 'ndjson';
  delimiter?: string;
  emailColumn?: string;
  maidColumn?: string;
  idfaColumn?: string;
  phoneColumn?: string;
  rows?: RowFormat;
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
  const lines: CheckLine[] = [];
  const say = (line: CheckLine) => {
    lines.push(line);
    print(line);
  };
  await checkStateStore(ctx, say);
  const connection = await checkCredentials(ctx, say);
  if (connection) {
    try {
      const valid = await checkToken(connection.client, say);
      if (valid) {
        checkExpiry(ctx, connection.tokens, say);
        const adAccountId = await checkAdAccount(ctx, connection.client, options, say);
        if (adAccountId && options.audience) await checkAudience(connection.client, adAccountId, options, say);
      }
    } finally {
      await connection.client.close();
    }
  }
  if (file) await checkFile(ctx, file, options, say);
  const failed = lines.find((line) => line.outcome === 'fail');
  if (!failed) ctx.info(lines.some((line) => line.outcome === 'warn') ? 'Ready, with warnings.' : 'Ready.');
  return failed ? (failed.exitCode ?? 1) : 0;
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
  client: PinterestClient,
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
    const account = (await client.adAccount(id)) as { name?: string; permissions?: string[] };
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

async function checkFile(ctx: Context, file: string, options: DoctorOptions, print: (line: CheckLine) => void): Promise<void> {
  try {
    const plan = await fileColumnPlan(ctx, file, options);
    const { columnNames } = await import('../input/columns.js');
    const used = Object.entries(columnNames(plan)).map(([kind, name]) => `"${name}" (${kind})`).join(', ') || 'none found in the first objects';
    const rows = plan.recordsV2 ? '; one records_v2 row per user' : '';
    print({ outcome: 'ok', text: `${file}: identifier columns ${used}; list type ${plan.listType}${rows}` });
  } catch (error) {
    const { message, exitCode } = failure(error, 2);
    print({ outcome: 'fail', text: `${file}: ${message}`, exitCode });
  }
}

/** Reads just enough of the input to find its identifier columns, as push and sync read them. */
async function fileColumnPlan(ctx: Context, file: string, options: DoctorOptions): Promise<ColumnPlan> {
  const { openInput } = await import('../input/source.js');
  const { readColumnPlan } = await import('../identify/identified-rows.js');
  const { parseDelimiter } = await import('../runs/settings.js');
  const { emailColumn, maidColumn, idfaColumn, phoneColumn, rows } = options;
  const delimiter = parseDelimiter(options.delimiter);
  const source = await openInput(file, ctx.stdin, options.format);
  let plan: ColumnPlan | undefined;
  try {
    plan = await readColumnPlan({ source, delimiter, emailColumn, maidColumn, idfaColumn, phoneColumn, rows });
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
