// `pinsync status`: who the token belongs to, where it came from, when it and its refresh token
// expire, its scopes, and the profile's default ad account.
import type { Context } from '../context.js';
import { renderDetails } from '../report/table.js';
import { fetchUser, type UserSummary } from './account-lookup.js';
import { resolveTokenProvider, type TokenDetails, type TokenSource } from './token-provider.js';

export interface StatusReport {
  profile: string;
  user: UserSummary;
  tokenSource: TokenSource;
  expiresAt: string | null;
  /** The contract's name for when the refresh token expires. */
  refreshExpiresAt: string | null;
  /** The same, under its first name (kept for scripts written before). */
  refreshTokenExpiresAt: string | null;
  /** Where the tokens are kept between runs (the keychain, the credentials file), or null. */
  keptIn: string | null;
  scopes: string[] | null;
  adAccountId: string | null;
}

const SOURCE_LABEL: Record<TokenSource, string> = {
  env: 'PINSYNC_ACCESS_TOKEN',
  'refresh-token': 'PINSYNC_REFRESH_TOKEN (a seed: its renewed chain is kept between runs)',
  keychain: 'the OS keychain',
  file: 'the credentials file (no OS keychain)',
};

export async function runStatus(ctx: Context, options: { json?: boolean }): Promise<number> {
  const tokens = await resolveTokenProvider(ctx);
  const user = await fetchUser(ctx, tokens); // also refreshes on a 401, so the expiries below are current
  const details: TokenDetails = tokens.details?.() ?? { source: tokens.source };
  const report: StatusReport = {
    profile: ctx.profile,
    user,
    tokenSource: details.source,
    expiresAt: isoOrNull(details.expiresAt),
    refreshExpiresAt: isoOrNull(details.refreshTokenExpiresAt),
    refreshTokenExpiresAt: isoOrNull(details.refreshTokenExpiresAt),
    keptIn: details.keptIn ?? null,
    scopes: details.scopes ?? null,
    adAccountId: ctx.config.profile(ctx.profile).adAccountId ?? null,
  };
  ctx.stdout.write(options.json ? JSON.stringify(report, null, 2) + '\n' : formatStatus(report, ctx.now()));
  return 0;
}

function isoOrNull(epochMs: number | undefined): string | null {
  return epochMs === undefined ? null : new Date(epochMs).toISOString();
}

export function formatStatus(report: StatusReport, now: number): string {
  const rows: [string, string][] = [
    ['Profile', report.profile],
    ['User', `${report.user.username ? `@${report.user.username}` : 'unknown'}${report.user.account_type ? ` (${report.user.account_type})` : ''}`],
    ['Token from', SOURCE_LABEL[report.tokenSource]],
    ...(report.tokenSource === 'refresh-token' && report.keptIn ? [['Kept in', report.keptIn] as [string, string]] : []),
    ['Expires', when(report.expiresAt, now)],
    ['Refresh until', report.tokenSource === 'env' ? 'not refreshable' : when(report.refreshExpiresAt, now)],
    ['Scopes', report.scopes?.join(', ') || 'unknown'],
    ['Ad account', report.adAccountId ?? 'none (pinsync accounts use <id>)'],
  ];
  return renderDetails(rows);
}

function when(iso: string | null, now: number): string {
  if (!iso) return 'unknown';
  const left = Date.parse(iso) - now;
  const stamp = iso.replace('T', ' ').replace(/:\d\d\.\d{3}Z$/, ' UTC');
  return `${stamp} (${left <= 0 ? 'expired' : `in ${humanSpan(left)}`})`;
}

function humanSpan(ms: number): string {
  const minutes = Math.round(ms / 60_000);
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.round(minutes / 60);
  if (hours < 48) return `${hours} h`;
  return `${Math.round(hours / 24)} days`;
}
