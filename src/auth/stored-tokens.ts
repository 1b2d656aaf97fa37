// A profile's stored tokens as the client's TokenProvider: a `pinsync login`, or the chain grown from
// PINSYNC_REFRESH_TOKEN (seed-chain.ts). Tokens are renewed shortly before they expire, when the refresh
// token runs low, and once after a 401. Every renewal holds the profile's refresh lock and is stored
// before the lock is let go, so the processes of one home share one chain (refresh tokens rotate).
import type { Context } from '../context.js';
import { AuthError, InterruptedError } from '../errors.js';
import { appCredentialsFrom, missingAppCredentialsError } from './app-credentials.js';
import type { TokenProvider } from '../pinterest/tokens.js';
import type { IssuedTokens, StoredCredentials } from './credentials.js';
import { withRefreshLock } from './refresh-lock.js';

export type TokenSource = 'env' | 'refresh-token' | 'keychain' | 'file';

export interface TokenDetails {
  source: TokenSource;
  /** Epoch ms; undefined when unknown (PINSYNC_ACCESS_TOKEN). */
  expiresAt?: number;
  refreshTokenExpiresAt?: number;
  scopes?: string[];
  /** Where the tokens are kept between runs (a seed's chain, a login); undefined when nowhere. */
  keptIn?: string;
}

/** The client's TokenProvider, plus where the token came from and (for `pinsync status`) what it allows. */
export interface ResolvedTokenProvider extends TokenProvider {
  readonly source: TokenSource;
  /** Expiries and scopes, for `pinsync status`. */
  details?(): TokenDetails;
}

const DAY_MS = 24 * 3600_000;
/** Refresh when less than this is left, so a long run never starts with a dying token. */
export const REFRESH_MARGIN_MS = 5 * 60_000;
/**
 * A refresh token with less than this left is renewed at once (a continuous refresh token comes back
 * with 60 new days), and every run's summary warns about one that still has less after the run.
 */
export const REFRESH_TOKEN_WARNING_MS = 14 * DAY_MS;
/** Without the rejected token (older callers): a 401 right after a refresh was caused by the old token. */
const RECENT_REFRESH_MS = 10_000;

/** The login cannot be renewed: spent, expired or revoked. Stops a run (kind 'auth'): nothing else can work. */
export class LoginExpiredError extends AuthError {
  readonly kind = 'auth';
}

export interface WritableStore {
  readonly kind: 'keychain' | 'file';
  readonly description: string;
  read(profile: string): Promise<StoredCredentials | undefined>;
  write(profile: string, credentials: StoredCredentials): Promise<void>;
}

/** A chain that grew, or is about to grow, from PINSYNC_REFRESH_TOKEN. */
export interface SeedChain {
  /** seedDigest() of the seed. */
  seed: string;
  /** The refresh token on hand is the seed itself (nothing was kept for it yet); false once renewed or adopted. */
  fromSeed: boolean;
  /** What the store held for the profile when the run started (a chain this seed takes over), if anything. */
  replaces?: { seed: string | undefined };
}

/** Tokens from a store: a `pinsync login`, or the chain of a seed (`chain`). */
export class StoredTokenProvider implements ResolvedTokenProvider {
  readonly source: TokenSource;
  private refreshing: Promise<void> | undefined;
  private lastRefreshAt = -Infinity;
  /** Renewed once this run already: a refresh token that still runs low is warned about, not renewed again. */
  private renewed = false;
  /** The chain is dead: every later call fails at once with the same sentence. */
  private dead: LoginExpiredError | undefined;
  /** The seeds whose chain this run may overwrite in the store: its own, and the one it found there. */
  private readonly seedsOfThisRun: Set<string | undefined>;

  constructor(
    private readonly ctx: Context,
    private credentials: StoredCredentials,
    private readonly store: WritableStore | undefined,
    private readonly chain?: SeedChain,
  ) {
    this.source = chain || !store ? 'refresh-token' : store.kind;
    this.seedsOfThisRun = new Set([chain?.seed ?? credentials.seed]);
    if (chain?.replaces) this.seedsOfThisRun.add(chain.replaces.seed);
  }

  details(): TokenDetails {
    return {
      source: this.source,
      expiresAt: this.credentials.accessTokenExpiresAt,
      refreshTokenExpiresAt: this.credentials.refreshTokenExpiresAt,
      scopes: this.credentials.scopes,
      keptIn: this.store?.description,
    };
  }

  refreshExpiresAt(): number | undefined {
    return this.credentials.refreshTokenExpiresAt;
  }

  /** Renews now if needed, so a dead login fails before any work starts. */
  async start(): Promise<void> {
    await this.accessToken();
  }

  async accessToken(): Promise<string> {
    if (this.dead) throw this.dead;
    if (this.needsRefresh()) await this.refresh(false);
    const token = this.credentials.accessToken;
    if (!token) throw this.loginExpired();
    return token;
  }

  async refreshAfterUnauthorized(rejected?: string): Promise<boolean> {
    if (this.dead) throw this.dead;
    // The request went out with a token older than the one held now: a renewal already happened.
    const renewedSince = rejected !== undefined ? rejected !== this.credentials.accessToken : this.ctx.now() - this.lastRefreshAt < RECENT_REFRESH_MS;
    if (renewedSince) return true;
    if (!this.credentials.refreshToken) return false;
    await this.refresh(true);
    return true;
  }

  private needsRefresh(): boolean {
    const { accessToken, accessTokenExpiresAt, refreshToken, refreshTokenExpiresAt } = this.credentials;
    if (!accessToken) return true;
    if (!refreshToken) return false;
    const now = this.ctx.now();
    if (accessTokenExpiresAt !== undefined && accessTokenExpiresAt - now < REFRESH_MARGIN_MS) return true;
    return !this.renewed && refreshTokenExpiresAt !== undefined && refreshTokenExpiresAt - now < REFRESH_TOKEN_WARNING_MS;
  }

  /** One renewal at a time in this process: concurrent requests wait for the same one. */
  private refresh(after401: boolean): Promise<void> {
    this.refreshing ??= this.refreshUnderLock(after401).finally(() => (this.refreshing = undefined));
    return this.refreshing;
  }

  /** Under the home's lock: take what another process stored meanwhile, and renew only if that is not enough. */
  private async refreshUnderLock(after401: boolean): Promise<void> {
    const rejected = this.credentials.accessToken;
    await withRefreshLock(this.ctx, async () => {
      const adopted = await this.adoptStoredChain();
      if (adopted && (after401 ? this.credentials.accessToken !== rejected : !this.needsRefresh())) return;
      await this.renew();
    });
  }

  private async renew(): Promise<void> {
    const refreshToken = this.credentials.refreshToken;
    if (!refreshToken) throw this.kill(this.loginExpired());
    const app = appCredentialsFrom(this.ctx, this.credentials);
    if (!app) throw missingAppCredentialsError();
    const before = this.credentials.refreshTokenExpiresAt;
    const { refreshAccessToken, RejectedGrantError } = await import('./token-exchange.js');
    const issued = await refreshAccessToken(this.ctx, app, refreshToken).catch((error: unknown) => {
      throw error instanceof RejectedGrantError ? this.kill(this.loginExpired(error)) : error;
    });
    this.credentials = mergeIssued(this.credentials, issued);
    if (this.chain) this.chain.fromSeed = false;
    this.lastRefreshAt = this.ctx.now();
    this.renewed = true;
    this.ctx.debugLog(`refreshed the access token (${this.source})`);
    this.tellLateRenewal(before);
    await this.saveRenewed();
    // Stopped while renewing: the new pair is kept (the renewal ignores the stop), now the stop is honoured.
    if (this.ctx.signal.aborted) throw new InterruptedError('Interrupted while renewing the Pinterest login (the renewed login is saved).');
  }

  /** A job that ran rarely (its refresh token had under 14 days left) says it was renewed in time. */
  private tellLateRenewal(before: number | undefined): void {
    const now = this.ctx.now();
    if (before === undefined || before - now >= REFRESH_TOKEN_WARNING_MS) return;
    const after = this.credentials.refreshTokenExpiresAt;
    if (after === undefined || after <= before) return;
    const had = before <= now ? 'was due to expire' : `had ${daysText(before - now)} left`;
    this.ctx.info(`Renewed the Pinterest login in time: its refresh token ${had}; the new one lasts until ${dayOf(after)} (${daysText(after - now)}).`);
  }

  private async saveRenewed(): Promise<void> {
    if (!this.store) return;
    if (await this.takenOverSinceStart()) {
      this.ctx.debugLog(
        `another seed or login replaced the one kept in ${this.store.description} since this run started: the renewed login serves this run only and is not saved`,
      );
      return;
    }
    try {
      await this.store.write(this.ctx.profile, this.credentials);
    } catch (error) {
      // The run can go on with the new token; the next one may need `pinsync login` if the old refresh token died.
      this.ctx.warn(`could not save the renewed login (${(error as Error).message}); if the next run fails, run \`pinsync login\`.`);
    }
  }

  /**
   * Whether the store now holds another chain than the one this run started with (PINSYNC_REFRESH_TOKEN
   * changed and a newer run took over): saving this run's renewal would put back a chain nobody uses.
   */
  private async takenOverSinceStart(): Promise<boolean> {
    try {
      const stored = await this.store?.read(this.ctx.profile);
      return Boolean(stored?.refreshToken) && !this.seedsOfThisRun.has(stored?.seed);
    } catch {
      return false; // unreadable: the write says what is wrong
    }
  }

  /** What the store holds now, when it is this chain and differs from what this process holds. */
  private async adoptStoredChain(): Promise<boolean> {
    if (!this.store) return false;
    let stored: StoredCredentials | undefined;
    try {
      stored = await this.store.read(this.ctx.profile);
    } catch {
      return false; // the store was readable a moment ago; renew with what we hold
    }
    if (!stored?.accessToken || !stored.refreshToken) return false;
    // Another seed's chain (the one this seed takes over from) is never adopted.
    if (this.chain && stored.seed !== this.chain.seed) return false;
    const { accessToken, refreshToken } = this.credentials;
    if (stored.accessToken === accessToken && stored.refreshToken === refreshToken) return false;
    this.credentials = { ...this.credentials, ...stored };
    if (this.chain) this.chain.fromSeed = false;
    return true;
  }

  private kill(error: LoginExpiredError): LoginExpiredError {
    this.dead = error;
    return error;
  }

  private loginExpired(cause?: unknown): LoginExpiredError {
    if (this.chain?.fromSeed) {
      return new LoginExpiredError(
        'The refresh token in PINSYNC_REFRESH_TOKEN has expired, was revoked or was already used, and PINSYNC_HOME keeps no newer one from it: run `pinsync login` and set PINSYNC_REFRESH_TOKEN to the new refresh token.',
        { cause },
      );
    }
    if (this.chain) {
      return new LoginExpiredError(
        `The refresh token kept in ${this.store?.description ?? 'PINSYNC_HOME'} for PINSYNC_REFRESH_TOKEN has expired or was revoked: run \`pinsync login\` and set PINSYNC_REFRESH_TOKEN to the new refresh token.`,
        { cause },
      );
    }
    return new LoginExpiredError('The saved Pinterest login (its refresh token) has expired or was revoked: run `pinsync login` again.', { cause });
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

function daysText(ms: number): string {
  const days = Math.max(0, Math.round(ms / DAY_MS));
  return days === 1 ? '1 day' : `${days} days`;
}

function dayOf(epochMs: number): string {
  return new Date(epochMs).toISOString().slice(0, 10);
}
