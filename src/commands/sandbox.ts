// `pinsync sandbox`: run the local Pinterest-compatible API and print shell exports for it.
// Flags only here; the server is imported inside the action so other commands stay light.
import { rename, writeFile } from 'node:fs/promises';
import { InvalidArgumentError, type Command } from 'commander';
import type { Context } from '../context.js';
import type { SandboxState } from '../sandbox/state.js';
import { UsageError } from '../errors.js';
import { action, parseDuration, parseInteger, parseNumber } from './action.js';
import { durationToMs } from '../duration.js';

interface SandboxFlags {
  port: number;
  rate: number;
  maxRecords: number;
  seed: number;
  token?: string;
  appId?: string;
  appSecret?: string;
  latency?: number;
  errorRate?: number;
  resetRate?: number;
  faults?: string;
  faultsOnReads?: boolean;
  readyFile?: string;
  state?: string;
  log?: boolean;
  writeQuota?: { limit: number; windowMs: number };
  dailyWriteQuota?: number;
  dayLength?: number;
  retryAfter?: boolean;
  audiencesNeedReadyLists?: boolean;
  listProcessing?: number;
  matchedShare?: number;
  missingScopeStatus?: 401 | 403;
  /** --strict-5.28 (commander's name for it). */
  'strict5.28'?: boolean;
  sharedAudience?: string[];
  advanceDays?: number;
  strictRefresh?: boolean;
}

export const DEFAULT_SANDBOX_PORT = 8086;

export function registerSandbox(program: Command): void {
  program
    .command('sandbox')
    .description('Run a local Pinterest-compatible API to try pinsync or rehearse a cron job; prints shell exports for it.')
    .option('--port <n>', 'port on 127.0.0.1 (0 picks a free one)', parseInteger('--port', 0, 65535), DEFAULT_SANDBOX_PORT)
    .option('--rate <qps>', 'ads_write requests per second per token before 429', parseInteger('--rate', 1, 100_000), 7)
    .option('--max-records <n>', 'records per customer-list request before 400', parseInteger('--max-records', 1, 1_000_000), 1900)
    .option('--seed <n>', 'seed for the random faults (same seed, same faults)', parseInteger('--seed', 0, 2 ** 31 - 1), 1)
    .option('--token <token>', 'use this value as the printed access token (default: a new random one, or the one saved with --state)')
    .option('--app-id <id>', 'the sandbox app id (PINTEREST_APP_ID; default: the fixed sandbox app id)')
    .option('--app-secret <secret>', 'the sandbox app secret (PINTEREST_APP_SECRET; default: a new random one, or the one saved with --state)')
    .option('--latency <ms>', 'delay every write by this many milliseconds', parseInteger('--latency', 0, 600_000))
    .option('--error-rate <share>', 'share of writes answered 503, 0 to 1', parseNumber('--error-rate', 0, 1))
    .option('--reset-rate <share>', 'share of writes whose connection is reset, 0 to 1', parseNumber('--reset-rate', 0, 1))
    .option('--faults <json>', 'faults as JSON (as in PINSYNC_SANDBOX_FAULTS), e.g. \'{"burst429":{"every":20,"length":3}}\'')
    .option('--faults-on-reads', 'apply the faults to reads too, not only writes')
    .option('--ready-file <file>', 'once listening, also write the export lines to this file')
    .option('--state <file>', 'load lists, audiences and tokens from this JSON file if it exists; save them there on exit')
    .option('--log', 'print one line per request on stderr')
    .option('--write-quota <n/window>', 'writes per token in any window on top of --rate, e.g. 400/60s (Standard access)', parseWriteQuota)
    .option('--daily-write-quota <n>', 'writes per token per day (Trial access: 300)', parseInteger('--daily-write-quota', 1, 100_000_000))
    .option('--day-length <duration>', 'how long a --daily-write-quota "day" lasts (default 24h; shorter to rehearse a reset)', parseDuration('--day-length'))
    .option('--retry-after', 'send Retry-After on rate-limit 429s (Pinterest is not known to)')
    .option('--audiences-need-ready-lists <on|off>', 'refuse a CUSTOMER_LIST audience on a list PROCESSING or under 100 matched users, as Pinterest does', parseOnOff('--audiences-need-ready-lists'))
    .option('--list-processing <duration>', 'how long a list stays PROCESSING after each write (default 3s when audiences need ready lists, else 0)', parseDuration('--list-processing'))
    .option('--matched-share <share>', 'share of records that match a Pinterest user, 0 to 1 (default 0.7; 1: every record)', parseNumber('--matched-share', 0, 1))
    .option('--missing-scope-status <401|403>', 'status for a token without the scope a call needs (Pinterest: 401 code 3)', parseScopeStatus)
    .option('--strict-5.28', 'strict API 5.28: creates answer 201, bodies and records_v2 rows hold only the fields 5.28 names')
    .option('--shared-audience <name>', 'an audience another business shares into ad account 549755885175 (listed as received); repeatable', (name: string, earlier: string[] = []) => [...earlier, name])
    .option('--advance-days <n>', 'start the sandbox clock this many days ahead (token lifetimes, daily quotas); POST /sandbox/clock {"advanceDays": N} moves it later', parseInteger('--advance-days', 0, 100_000))
    .option('--strict-refresh', 'a refresh token works once, and a spent one presented again revokes its login')
    .action(action(runSandbox));
}

export async function runSandbox(ctx: Context, flags: SandboxFlags): Promise<number> {
  const { startSandbox } = await import('../sandbox/server.js');
  const faults = await faultsFrom(ctx, flags);
  let sandbox;
  try {
    sandbox = await startSandbox({
      port: flags.port,
      writeRate: flags.rate,
      maxRecords: flags.maxRecords,
      seed: flags.seed,
      token: flags.token,
      appId: flags.appId,
      appSecret: flags.appSecret,
      faults,
      writeQuota: flags.writeQuota,
      dailyWriteQuota: flags.dailyWriteQuota === undefined ? undefined : { limit: flags.dailyWriteQuota, dayMs: flags.dayLength },
      retryAfter: flags.retryAfter,
      listRules: { audiencesNeedReadyList: flags.audiencesNeedReadyLists, processingMs: flags.listProcessing, matchedShare: flags.matchedShare },
      missingScopeStatus: flags.missingScopeStatus,
      strict528: flags['strict5.28'],
      sharedAudiences: flags.sharedAudience,
      advanceDays: flags.advanceDays,
      strictRefresh: flags.strictRefresh,
      stateFile: flags.state,
      onRequest: flags.log
        ? (r) => ctx.stderr.write(`${new Date(r.time).toISOString()} ${r.method} ${r.path} ${r.status || 'reset'}${r.records ? ` (${r.records} records)` : ''}\n`)
        : undefined,
    });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') {
      throw new UsageError(`Port ${flags.port} is already in use. Pass --port with a free port, or --port 0 to pick any.`);
    }
    const { SandboxStateFileError } = await import('../sandbox/persistence.js');
    if (error instanceof SandboxStateFileError) throw new UsageError(error.message);
    throw error;
  }
  const exports = [
    `export PINSYNC_API_BASE=${shellQuote(sandbox.apiBase)}`,
    `export PINSYNC_OAUTH_BASE=${shellQuote(sandbox.oauthBase)}`,
    `export PINSYNC_ACCESS_TOKEN=${shellQuote(sandbox.token)}`,
    `export PINTEREST_APP_ID=${shellQuote(sandbox.appId)}`,
    `export PINTEREST_APP_SECRET=${shellQuote(sandbox.appSecret)}`,
    // A seed for rehearsing an unattended job (PINSYNC_REFRESH_TOKEN); not used while PINSYNC_ACCESS_TOKEN is set.
    ...(sandbox.refreshToken ? [`export PINSYNC_SANDBOX_REFRESH_TOKEN=${shellQuote(sandbox.refreshToken)}`] : []),
  ].join('\n') + '\n';
  // Sandbox tokens are not secrets: printed on purpose (not through redact) so `eval` works.
  ctx.stdout.write(exports);
  if (flags.readyFile) await writeReadyFile(flags.readyFile, exports);
  ctx.info(
    `Sandbox listening on ${sandbox.oauthBase} (API ${sandbox.apiBase}, ${flags.rate} writes/s, ` +
      `${flags.maxRecords} records per request${describeQuotas(flags)}${describeFaults(faults)}). Ctrl-C to stop.`,
  );
  await untilAborted(ctx.signal);
  await sandbox.stop();
  reportOnStop(ctx, sandbox.state);
  return 0;
}

/** What a rehearsal wants to know at the end: how much came in, how much was refused, and why. */
function reportOnStop(ctx: Context, state: SandboxState): void {
  const { requests, writes, rateLimited, serverErrors, resets, recordsReceived } = state.stats;
  ctx.info(
    `Sandbox stopped after ${requests} requests (${writes} writes, ${recordsReceived} records, ` +
      `${rateLimited} rate-limited, ${serverErrors} 5xx, ${resets} resets, ${state.violations.length} off the spec).`,
  );
  for (const violation of state.violations.slice(0, 10)) ctx.info(`  off the spec: ${violation}`);
  if (state.violations.length > 10) ctx.info(`  … and ${state.violations.length - 10} more.`);
}

async function faultsFrom(ctx: Context, flags: SandboxFlags) {
  const { parseFaults } = await import('../sandbox/faults.js');
  const parse = (json: string, where: string) => {
    try {
      return parseFaults(json);
    } catch (error) {
      throw new UsageError(`${where}: ${(error as Error).message}`);
    }
  };
  const faults = {
    ...(ctx.env.PINSYNC_SANDBOX_FAULTS ? parse(ctx.env.PINSYNC_SANDBOX_FAULTS, 'PINSYNC_SANDBOX_FAULTS') : {}),
    ...(flags.faults ? parse(flags.faults, '--faults') : {}),
  };
  if (flags.latency !== undefined) faults.latencyMs = flags.latency;
  if (flags.errorRate !== undefined) faults.serverErrorRate = flags.errorRate;
  if (flags.resetRate !== undefined) faults.resetRate = flags.resetRate;
  if (flags.faultsOnReads) faults.applyTo = 'all';
  return faults;
}

function describeQuotas(flags: SandboxFlags): string {
  const quotas = [];
  if (flags.advanceDays) quotas.push(`clock ${flags.advanceDays} days ahead`);
  if (flags.strictRefresh) quotas.push('single-use refresh tokens');
  if (flags.writeQuota) quotas.push(`${flags.writeQuota.limit} writes per ${flags.writeQuota.windowMs / 1000}s`);
  if (flags.dailyWriteQuota) quotas.push(`${flags.dailyWriteQuota} writes per day`);
  return quotas.map((quota) => `, ${quota}`).join('');
}

function describeFaults(faults: object): string {
  const keys = Object.keys(faults);
  return keys.length > 0 ? `, faults: ${JSON.stringify(faults)}` : '';
}

/** Renamed into place so a script polling for the file never reads half of it. */
async function writeReadyFile(file: string, exports: string): Promise<void> {
  const temporary = `${file}.${process.pid}.tmp`;
  await writeFile(temporary, exports, { mode: 0o600 });
  await rename(temporary, file);
}

function untilAborted(signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    signal.addEventListener('abort', () => resolve(), { once: true });
  });
}

/** `400/60s`, `400/1m` or `400` (per minute). */
function parseWriteQuota(value: string): { limit: number; windowMs: number } {
  const match = /^\s*(\d+)\s*(?:\/\s*(\S+))?\s*$/.exec(value);
  const limit = Number(match?.[1]);
  const windowMs = match?.[2] === undefined ? 60_000 : durationToMs(match[2]);
  if (!match || limit < 1 || windowMs === undefined || windowMs <= 0) {
    throw new InvalidArgumentError(`--write-quota takes writes per window such as 400/60s, not "${value}".`);
  }
  return { limit, windowMs };
}

function parseOnOff(name: string) {
  return (value: string): boolean => {
    if (value === 'on' || value === 'off') return value === 'on';
    throw new InvalidArgumentError(`${name} takes on or off, not "${value}".`);
  };
}

function parseScopeStatus(value: string): 401 | 403 {
  if (value === '401' || value === '403') return Number(value) as 401 | 403;
  throw new InvalidArgumentError(`--missing-scope-status takes 401 or 403, not "${value}".`);
}

function shellQuote(value: string): string {
  return /^[A-Za-z0-9_./:@%+=-]+$/.test(value) ? value : `'${value.replace(/'/g, `'\\''`)}'`;
}
