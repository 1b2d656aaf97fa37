// The OS keychain (macOS Keychain, Windows Credential Manager, Secret Service on Linux) through
// @napi-rs/keyring: one JSON blob per profile under service "pinsync", account = the profile name.
import type { AsyncEntry as AsyncEntryType } from '@napi-rs/keyring';
import { parseStoredCredentials, type StoredCredentials } from './credentials.js';

export const KEYCHAIN_SERVICE = 'pinsync';
/** libsecret can hang when D-Bus answers but nobody unlocks the keyring: never wait longer. */
const KEYCHAIN_TIMEOUT_MS = 5_000;

export class KeychainUnavailableError extends Error {}

export class KeychainStore {
  readonly kind = 'keychain' as const;
  readonly description = 'the OS keychain';

  constructor(
    private readonly platform: NodeJS.Platform = process.platform,
    private readonly timeoutMs = KEYCHAIN_TIMEOUT_MS,
  ) {}

  async read(profile: string): Promise<StoredCredentials | undefined> {
    const text = await this.call(profile, (entry, signal) => entry.getPassword(signal));
    if (!text) return undefined;
    try {
      return parseStoredCredentials(JSON.parse(text));
    } catch {
      return undefined; // a damaged entry counts as no login; the next login overwrites it
    }
  }

  async write(profile: string, credentials: StoredCredentials): Promise<void> {
    await this.call(profile, (entry, signal) => entry.setPassword(JSON.stringify(credentials), signal));
  }

  async remove(profile: string): Promise<boolean> {
    return this.call(profile, (entry, signal) => entry.deleteCredential(signal));
  }

  /** Writes, reads back and deletes a throwaway entry: true only when the keychain really works. */
  async probe(): Promise<boolean> {
    const account = `probe-${process.pid}-${Date.now()}`;
    try {
      await this.call(account, (entry, signal) => entry.setPassword('probe', signal));
      const back = await this.call(account, (entry, signal) => entry.getPassword(signal));
      await this.call(account, (entry, signal) => entry.deleteCredential(signal));
      return back === 'probe';
    } catch {
      return false;
    }
  }

  private async call<T>(account: string, run: (entry: AsyncEntryType, signal: AbortSignal) => Promise<T>): Promise<T> {
    const { AsyncEntry } = await import('@napi-rs/keyring');
    const controller = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        controller.abort();
        reject(new KeychainUnavailableError('the OS keychain did not answer in time'));
      }, this.timeoutMs);
    });
    try {
      // On Linux pin the Secret Service: the default falls back to the kernel keyring, which does
      // not survive a reboot and would hide a missing keychain from PINSYNC_KEYCHAIN=require.
      const options = this.platform === 'linux' ? { linux: { store: 'secret-service' as const } } : undefined;
      const entry = new AsyncEntry(KEYCHAIN_SERVICE, account, options);
      return await Promise.race([run(entry, controller.signal), timeout]);
    } catch (error) {
      if (error instanceof KeychainUnavailableError) throw error;
      throw new KeychainUnavailableError(`the OS keychain failed: ${(error as Error).message}`, { cause: error });
    } finally {
      clearTimeout(timer);
    }
  }
}
