// Where the bearer token comes from. Precedence (contract): PINSYNC_ACCESS_TOKEN >
// PINSYNC_REFRESH_TOKEN + app credentials (a seed: seed-chain.ts) > the profile's stored credentials
// (keychain, else file; stored-tokens.ts renews them).
import type { Context } from '../context.js';
import { AuthError } from '../errors.js';
import { registerSecret } from '../redact.js';
import { StoredTokenProvider, type ResolvedTokenProvider, type TokenSource } from './stored-tokens.js';

export { REFRESH_MARGIN_MS, REFRESH_TOKEN_WARNING_MS, StoredTokenProvider, type ResolvedTokenProvider, type TokenDetails, type TokenSource } from './stored-tokens.js';

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
  const seed = ctx.env.PINSYNC_REFRESH_TOKEN?.trim();
  if (seed) return (await import('./seed-chain.js')).seedChainProvider(ctx, seed);
  const { loadCredentials } = await import('./credential-store.js');
  const loaded = await loadCredentials(ctx);
  if (!loaded?.credentials.accessToken && !loaded?.credentials.refreshToken) {
    throw new AuthError(
      `Not logged in${ctx.profile === 'default' ? '' : ` (profile ${ctx.profile})`}: run \`pinsync login\`, or set PINSYNC_ACCESS_TOKEN.`,
    );
  }
  const provider = new StoredTokenProvider(ctx, loaded.credentials, loaded.store);
  await provider.start();
  return provider;
}

