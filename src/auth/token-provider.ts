// Where the bearer token comes from. Precedence (contract): PINSYNC_ACCESS_TOKEN >
// PINSYNC_REFRESH_TOKEN + app credentials > the profile's stored credentials (keychain, else file).
// Stored tokens are refreshed shortly before they expire and once after a 401; rotated tokens are saved.
import type { Context } from '../context.js';
import { AuthError } from '../errors.js';
import { registerSecret } from '../redact.js';
import { appCredentialsFrom, appCredentialsFromEnv, missingAppCredentialsError } from './app-credentials.js';
import type { TokenProvider } from '../pinterest/tokens.js';
import type { IssuedTokens, StoredCredentials } from './credentials.js';

export type TokenSource = 'env' | 'refresh-token' | 'keychain' | 'file';

export interface TokenDetails {
  source: TokenSource;
  /** Epoch ms; undefined when unknown (PINSYNC_ACCESS_TOKEN). */
  expiresAt?: number;
  refreshTokenExpiresAt?: number;
  scopes?: string[];
}

/** The client's TokenProvider, plus where the token came from and (for `pinsync status`) what it allows. */
export interface ResolvedTokenProvider extends TokenProvider {
  readonly source: TokenSource;
  /** Expiries and scopes, for `pinsync status`. */
  details?(): TokenDetails;
}

/** Refresh when less than this is left, so a long run never starts with a dying token. */
export const REFRESH_MARGIN_MS = 5 * 60_000;
/** A 401 right after a refresh was caused by the old token: repeat without refreshing again. */
const RECENT_REFRESH_MS = 10_000;

export function staticTokenProvider(token: string, source: TokenSource = 'env'): ResolvedTokenProvider {
  registerSecret(token);
  return {
    source,
    accessToken: async () => token,
    refreshAfterUnauthorized: async () => false,
    details: () => ({ source }),
  };
}

export async function resolveTokenProvider(ctx: Context): Promise<ResolvedTokenProvider> {
  const envToken = ctx.env.PINSYNC_ACCESS_TOKEN?.trim();
  if (envToken) return staticTokenProvider(envToken, 'env');
  const envRefreshToken = ctx.env.PINSYNC_REFRESH_TOKEN?.trim();
  if (envRefreshToken) return mintFromRefreshToken(ctx, envRefreshToken);
  const { loadCredentials } = await import('./credential-store.js');
  const loaded = await loadCredentials(ctx);
  if (!loaded?.credentials.accessToken && !loaded?.credentials.refreshToken) {
    throw new AuthError(
      `Not logged in${ctx.profile === 'default' ? '' : ` (profile ${ctx.profile})`}: run \`pinsync login\`, or set PINSYNC_ACCESS_TOKEN.`,
    );
  }
  const provider = new StoredTokenProvider(ctx, loaded.credentials, loaded.store);
  await provider.accessToken(); // refresh now if needed, so a dead login fails before any work starts
  return provider;
}

/** CI without a keychain: mint an access token from PINSYNC_REFRESH_TOKEN; nothing is stored. */
async function mintFromRefreshToken(ctx: Context, refreshToken: string): Promise<ResolvedTokenProvider> {
  registerSecret(refreshToken);
  const app = appCredentialsFromEnv(ctx);
  if (!app) {
    throw new AuthError(
      'PINSYNC_REFRESH_TOKEN is set but the app credentials are not: set PINTEREST_APP_ID and PINTEREST_APP_SECRET too.',
    );
  }
  const provider = new StoredTokenProvider(ctx, { ...app, refreshToken }, undefined);
  await provider.accessToken();
  return provider;
}

interface WritableStore {
  readonly kind: 'keychain' | 'file';
  read(profile: string): Promise<StoredCredentials | undefined>;
  write(profile: string, credentials: StoredCredentials): Promise<void>;
}

/** Tokens from a store (or minted from PINSYNC_REFRESH_TOKEN when `store` is undefined). */
export class StoredTokenProvider implements ResolvedTokenProvider {
  readonly source: TokenSource;
  private refreshing: Promise<void> | undefined;
  private lastRefreshAt = -Infinity;

  constructor(
    private readonly ctx: Context,
    private credentials: StoredCredentials,
    private readonly store: WritableStore | undefined,
  ) {
    this.source = store?.kind ?? 'refresh-token';
  }

  details(): TokenDetails {
    return {
      source: this.source,
      expiresAt: this.credentials.accessTokenExpiresAt,
      refreshTokenExpiresAt: this.credentials.refreshTokenExpiresAt,
      scopes: this.credentials.scopes,
    };
  }

  async accessToken(): Promise<string> {
    if (this.needsRefresh()) await this.refresh();
    const token = this.credentials.accessToken;
    if (!token) throw this.loginExpired();
    return token;
  }

  async refreshAfterUnauthorized(): Promise<boolean> {
    if (this.ctx.now() - this.lastRefreshAt < RECENT_REFRESH_MS) return true;
    if (!this.credentials.refreshToken) return false;
    await this.refresh();
    return true;
  }

  private needsRefresh(): boolean {
    if (!this.credentials.accessToken) return true;
    const expiresAt = this.credentials.accessTokenExpiresAt;
    return expiresAt !== undefined && expiresAt - this.ctx.now() < REFRESH_MARGIN_MS && Boolean(this.credentials.refreshToken);
  }

  /** One refresh at a time: concurrent requests wait for the same one. */
  private refresh(): Promise<void> {
    this.refreshing ??= this.refreshOnce().finally(() => (this.refreshing = undefined));
    return this.refreshing;
  }

  private async refreshOnce(): Promise<void> {
    // Another pinsync process may have refreshed (and rotated) the tokens since we read them.
    if ((await this.adoptNewerStoredTokens()) && !this.needsRefresh()) return;
    const refreshToken = this.credentials.refreshToken;
    if (!refreshToken) throw this.loginExpired();
    const expiresAt = this.credentials.refreshTokenExpiresAt;
    if (expiresAt !== undefined && expiresAt <= this.ctx.now()) throw this.loginExpired();
    const app = appCredentialsFrom(this.ctx, this.credentials);
    if (!app) throw missingAppCredentialsError();
    const { refreshAccessToken, RejectedGrantError } = await import('./token-exchange.js');
    const issued = await refreshAccessToken(this.ctx, app, refreshToken).catch((error: unknown) => {
      throw error instanceof RejectedGrantError ? this.loginExpired(error) : error;
    });
    this.credentials = mergeIssued(this.credentials, issued);
    this.lastRefreshAt = this.ctx.now();
    this.ctx.debugLog(`refreshed the access token (${this.source})`);
    await this.saveRefreshed();
  }

  private async saveRefreshed(): Promise<void> {
    if (!this.store) return;
    try {
      await this.store.write(this.ctx.profile, this.credentials);
    } catch (error) {
      // The run can go on with the new token; the next one may need `pinsync login` if the old refresh token died.
      this.ctx.warn(`could not save the renewed login (${(error as Error).message}); if the next run fails, run \`pinsync login\`.`);
    }
  }

  private async adoptNewerStoredTokens(): Promise<boolean> {
    if (!this.store) return false;
    try {
      const stored = await this.store.read(this.ctx.profile);
      if (!stored?.accessToken || stored.accessToken === this.credentials.accessToken) return false;
      this.credentials = { ...this.credentials, ...stored };
      return true;
    } catch {
      return false; // the store was readable a moment ago; refresh with what we hold
    }
  }

  private loginExpired(cause?: unknown): AuthError {
    if (this.source === 'refresh-token') {
      return new AuthError('The token in PINSYNC_REFRESH_TOKEN has expired or was revoked: set a fresh one, or run `pinsync login`.', { cause });
    }
    return new AuthError('The saved Pinterest login has expired or was revoked: run `pinsync login` again.', { cause });
  }
}

function mergeIssued(previous: StoredCredentials, issued: IssuedTokens): StoredCredentials {
  return {
    ...previous,
    ...issued,
    // Pinterest may answer a refresh without a new refresh token: keep the one we have.
    refreshToken: issued.refreshToken ?? previous.refreshToken,
    refreshTokenExpiresAt: issued.refreshToken ? issued.refreshTokenExpiresAt : previous.refreshTokenExpiresAt,
    scopes: issued.scopes ?? previous.scopes,
  };
}
