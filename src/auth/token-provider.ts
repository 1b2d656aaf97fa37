// Where the bearer token comes from. Precedence (contract): PINSYNC_ACCESS_TOKEN >
// PINSYNC_REFRESH_TOKEN + app credentials > the profile's stored credentials.
// STUB (foundation): only PINSYNC_ACCESS_TOKEN; the login issue adds refresh and the stores.
import type { Context } from '../context.js';
import { AuthError } from '../errors.js';
import { registerSecret } from '../redact.js';

export type TokenSource = 'env' | 'refresh-token' | 'keychain' | 'file';

export interface TokenProvider {
  readonly source: TokenSource;
  /** The bearer token to send now; refreshes first when it is about to expire (stored tokens). */
  accessToken(): Promise<string>;
  /** Called once after a 401: true when a fresh token was obtained and the request may be repeated. */
  refreshAfterUnauthorized(): Promise<boolean>;
}

export function staticTokenProvider(token: string, source: TokenSource = 'env'): TokenProvider {
  registerSecret(token);
  return {
    source,
    accessToken: async () => token,
    refreshAfterUnauthorized: async () => false,
  };
}

export async function resolveTokenProvider(ctx: Context): Promise<TokenProvider> {
  const envToken = ctx.env.PINSYNC_ACCESS_TOKEN?.trim();
  if (envToken) return staticTokenProvider(envToken, 'env');
  throw new AuthError('Not logged in: run `pinsync login`, or set PINSYNC_ACCESS_TOKEN.');
}
