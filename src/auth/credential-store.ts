// Picks where a profile's credentials live, per PINSYNC_KEYCHAIN: `auto` (OS keychain, else the 0600
// file with a warning), `off` (file only), `require` (OS keychain or exit 4). The file is sealed with
// PINSYNC_STORE_KEY when that is set.
import type { Context } from '../context.js';
import { AuthError, UsageError } from '../errors.js';
import { registerSecret } from '../redact.js';
import type { StoredCredentials } from './credentials.js';
import { FileStore } from './file-store.js';
import { KeychainStore } from './keychain-store.js';

export type KeychainMode = 'auto' | 'off' | 'require';
export type CredentialStore = KeychainStore | FileStore;

export interface LoadedCredentials {
  credentials: StoredCredentials;
  store: CredentialStore;
}

export function keychainMode(ctx: Context): KeychainMode {
  const value = (ctx.env.PINSYNC_KEYCHAIN ?? 'auto').trim().toLowerCase() || 'auto';
  if (value === 'auto' || value === 'off' || value === 'require') return value;
  throw new UsageError(`PINSYNC_KEYCHAIN must be auto, off or require, not "${value}".`);
}

/** The 0600 credentials file of this home, sealed with PINSYNC_STORE_KEY when it is set. */
export function fileStoreOf(ctx: Context): FileStore {
  const key = ctx.env.PINSYNC_STORE_KEY?.trim() || undefined;
  registerSecret(key);
  return new FileStore(ctx.paths.credentialsFile, key, ctx.paths.stateDir);
}

function keychainRequiredError(): AuthError {
  return new AuthError(
    'PINSYNC_KEYCHAIN=require, but no OS keychain is reachable (on Linux: no Secret Service on the D-Bus session). ' +
      'Start or unlock your keyring, or set PINSYNC_KEYCHAIN=auto to allow the 0600 file store.',
  );
}

/**
 * Reads the profile's credentials. A login writes to one store and drops the profile from the other,
 * so the order only matters for speed: the file first (a local read), then the keychain, whose
 * D-Bus round trip can take seconds on a desktop where nobody unlocks it. `require` never reads the file.
 */
export async function loadCredentials(ctx: Context): Promise<LoadedCredentials | undefined> {
  const mode = keychainMode(ctx);
  const file = fileStoreOf(ctx);
  const inFile = mode === 'require' ? undefined : await file.read(ctx.profile);
  const fromFile = inFile ? { credentials: inFile, store: file } : undefined;
  if (mode === 'off' || hasTokens(inFile)) return fromFile;
  const keychain = new KeychainStore();
  try {
    const credentials = await keychain.read(ctx.profile);
    return credentials ? { credentials, store: keychain } : fromFile;
  } catch (error) {
    if (mode === 'require') throw keychainRequiredError();
    ctx.debugLog(`keychain not readable: ${(error as Error).message}`);
    return fromFile;
  }
}

function hasTokens(credentials: StoredCredentials | undefined): boolean {
  return Boolean(credentials?.accessToken || credentials?.refreshToken);
}

/** The store a login writes to; probes the keychain (time-bound) and warns once on the file fallback. */
export async function storeForWriting(ctx: Context): Promise<CredentialStore> {
  const mode = keychainMode(ctx);
  const file = fileStoreOf(ctx);
  if (mode === 'off') return file;
  const keychain = new KeychainStore();
  if (await keychain.probe()) return keychain;
  if (mode === 'require') throw keychainRequiredError();
  ctx.warn(
    `no OS keychain is reachable, so credentials are kept in ${file.file} (mode 0600); set PINSYNC_KEYCHAIN=require to refuse this.`,
  );
  return file;
}

/** Saves to `store`; a keychain save also drops any older copy of the profile from the file. */
export async function saveCredentials(
  ctx: Context,
  store: CredentialStore,
  credentials: StoredCredentials,
): Promise<void> {
  await store.write(ctx.profile, credentials);
  if (store.kind === 'keychain') await fileStoreOf(ctx).remove(ctx.profile);
}

/** Removes the profile from every store that holds it; returns where something was removed. */
export async function removeCredentials(
  ctx: Context,
  keep: (credentials: StoredCredentials) => StoredCredentials | undefined,
): Promise<CredentialStore[]> {
  const removedFrom: CredentialStore[] = [];
  const stores: CredentialStore[] = [fileStoreOf(ctx)];
  if (keychainMode(ctx) !== 'off') stores.unshift(new KeychainStore());
  for (const store of stores) {
    let credentials: StoredCredentials | undefined;
    try {
      credentials = await store.read(ctx.profile);
    } catch (error) {
      if (keychainMode(ctx) === 'require') throw keychainRequiredError();
      ctx.debugLog(`${store.kind} not readable: ${(error as Error).message}`);
      continue;
    }
    if (!credentials) continue;
    const kept = keep(credentials);
    if (kept) await store.write(ctx.profile, kept);
    else await store.remove(ctx.profile);
    if (credentials.accessToken || credentials.refreshToken || !kept) removedFrom.push(store);
  }
  return removedFrom;
}
