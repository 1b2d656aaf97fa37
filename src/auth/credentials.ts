// What pinsync keeps per profile in the credential store (one JSON blob): the app that issued the
// tokens, the tokens themselves and their expiries, and (for a chain started from PINSYNC_REFRESH_TOKEN)
// a digest of the seed it grew from. Also turns a token-endpoint answer into it.
import { createHash } from 'node:crypto';
import { AuthError } from '../errors.js';
import { registerSecret } from '../redact.js';

export interface AppCredentials {
  appId: string;
  appSecret: string;
}

export interface StoredCredentials {
  appId?: string;
  appSecret?: string;
  accessToken?: string;
  /** Epoch milliseconds. */
  accessTokenExpiresAt?: number;
  refreshToken?: string;
  /** Epoch milliseconds. */
  refreshTokenExpiresAt?: number;
  scopes?: string[];
  /** seedDigest() of the PINSYNC_REFRESH_TOKEN this chain grew from; absent for a `pinsync login`. */
  seed?: string;
}

/** Names a seed without keeping it: a different PINSYNC_REFRESH_TOKEN (a new login) is told apart from the one in use. */
export function seedDigest(seed: string): string {
  return createHash('sha256').update(`pinsync seed\u0000${seed}`).digest('hex').slice(0, 32);
}

export type IssuedTokens = Required<Pick<StoredCredentials, 'accessToken'>> &
  Pick<StoredCredentials, 'accessTokenExpiresAt' | 'refreshToken' | 'refreshTokenExpiresAt' | 'scopes'>;

/** The fields of Pinterest's OAuth token response that pinsync reads. */
export interface TokenResponse {
  access_token?: unknown;
  expires_in?: unknown;
  refresh_token?: unknown;
  refresh_token_expires_in?: unknown;
  refresh_token_expires_at?: unknown;
  scope?: unknown;
}

export function tokensFromResponse(response: TokenResponse, now: number): IssuedTokens {
  if (typeof response.access_token !== 'string' || response.access_token === '') {
    throw new AuthError("Pinterest's token endpoint answered without an access token. Run `pinsync login` again.");
  }
  const tokens: IssuedTokens = { accessToken: response.access_token };
  if (typeof response.expires_in === 'number') tokens.accessTokenExpiresAt = now + response.expires_in * 1000;
  if (typeof response.refresh_token === 'string' && response.refresh_token) {
    tokens.refreshToken = response.refresh_token;
    tokens.refreshTokenExpiresAt = refreshExpiry(response, now);
  }
  if (typeof response.scope === 'string') tokens.scopes = splitScopes(response.scope);
  registerCredentialSecrets(tokens);
  return tokens;
}

function refreshExpiry(response: TokenResponse, now: number): number | undefined {
  // Pinterest sends both; the absolute one (epoch seconds) wins when present.
  if (typeof response.refresh_token_expires_at === 'number') return response.refresh_token_expires_at * 1000;
  if (typeof response.refresh_token_expires_in === 'number') return now + response.refresh_token_expires_in * 1000;
  return undefined;
}

export function splitScopes(scopes: string): string[] {
  return scopes
    .split(/[\s,]+/)
    .map((scope) => scope.trim())
    .filter(Boolean);
}

/** Every secret read from a store or learned from Pinterest is masked in all output. */
export function registerCredentialSecrets(credentials: StoredCredentials): void {
  registerSecret(credentials.accessToken);
  registerSecret(credentials.refreshToken);
  registerSecret(credentials.appSecret);
}

/** Parses a stored blob leniently: unknown or mistyped fields are dropped, never trusted. */
export function parseStoredCredentials(value: unknown): StoredCredentials | undefined {
  if (!value || typeof value !== 'object') return undefined;
  const source = value as Record<string, unknown>;
  const credentials: StoredCredentials = {};
  for (const key of ['appId', 'appSecret', 'accessToken', 'refreshToken', 'seed'] as const) {
    if (typeof source[key] === 'string' && source[key]) credentials[key] = source[key] as string;
  }
  for (const key of ['accessTokenExpiresAt', 'refreshTokenExpiresAt'] as const) {
    if (typeof source[key] === 'number') credentials[key] = source[key] as number;
  }
  if (Array.isArray(source.scopes)) credentials.scopes = source.scopes.filter((s): s is string => typeof s === 'string');
  registerCredentialSecrets(credentials);
  return credentials;
}

/** App credentials only: what `logout` (without --all) leaves behind. */
export function appCredentialsOnly(credentials: StoredCredentials): StoredCredentials | undefined {
  if (!credentials.appId && !credentials.appSecret) return undefined;
  return { appId: credentials.appId, appSecret: credentials.appSecret };
}
