// PINSYNC_REFRESH_TOKEN is a seed (contract, "Credentials over months"): Pinterest's refresh tokens
// last 60 days and every renewal answers a new one, so a token copied into a CI secret dies unless the
// job keeps what each renewal returns. The first run renews the seed and stores the new pair for it
// (keychain, else PINSYNC_HOME, sealed with PINSYNC_STORE_KEY); later runs use that stored chain and
// never the spent seed again. A different seed (the user logged in again and updated the secret) takes over.
import type { Context } from '../context.js';
import { AuthError } from '../errors.js';
import { registerSecret } from '../redact.js';
import { appCredentialsFromEnv } from './app-credentials.js';
import { storeForWriting } from './credential-store.js';
import { seedDigest, type StoredCredentials } from './credentials.js';
import { LoginExpiredError, StoredTokenProvider, type WritableStore } from './stored-tokens.js';

export async function seedChainProvider(ctx: Context, seedToken: string): Promise<StoredTokenProvider> {
  registerSecret(seedToken);
  const app = appCredentialsFromEnv(ctx);
  if (!app) {
    throw new AuthError(
      'PINSYNC_REFRESH_TOKEN is set but the app credentials are not: set PINTEREST_APP_ID and PINTEREST_APP_SECRET too.',
    );
  }
  const store = await storeForWriting(ctx);
  const seed = seedDigest(seedToken);
  const kept = await store.read(ctx.profile);
  const replaces = kept?.refreshToken ? { seed: kept.seed } : undefined;
  if (kept?.refreshToken && (kept.seed === seed || kept.refreshToken === seedToken)) {
    return started(new StoredTokenProvider(ctx, { ...kept, ...app, seed }, store, { seed, fromSeed: false, replaces }));
  }
  const fresh = new StoredTokenProvider(ctx, { ...app, refreshToken: seedToken, seed }, store, { seed, fromSeed: true, replaces });
  try {
    return await started(fresh);
  } catch (error) {
    if (!(error instanceof LoginExpiredError) || !kept?.refreshToken) throw error;
    return keepEarlierLogin(ctx, kept, store);
  }
}

async function started(provider: StoredTokenProvider): Promise<StoredTokenProvider> {
  await provider.start();
  return provider;
}

/**
 * A new seed Pinterest refuses (a stale secret pasted, one a laptop already spent) must not end a job
 * whose earlier login still works: that one goes on, and every run says so until the secret is fixed.
 */
async function keepEarlierLogin(ctx: Context, kept: StoredCredentials, store: WritableStore): Promise<StoredTokenProvider> {
  ctx.warn(
    `Pinterest refused the refresh token in PINSYNC_REFRESH_TOKEN (used, expired or revoked), so the login kept in ${store.description} goes on being used; set PINSYNC_REFRESH_TOKEN to the refresh token of a new \`pinsync login\` to replace it.`,
  );
  const chain = kept.seed === undefined ? undefined : { seed: kept.seed, fromSeed: false };
  return started(new StoredTokenProvider(ctx, kept, store, chain));
}
