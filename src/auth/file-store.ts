// The fallback credential store: credentials.json under PINSYNC_HOME, mode 0600 (directory 0700),
// used when no OS keychain is reachable (headless Linux, containers, CI) or PINSYNC_KEYCHAIN=off.
// With PINSYNC_STORE_KEY the file is sealed (sealed-file.ts), and a file found in clear is sealed at once.
// Every read-change-save of the file holds one lock for the whole file: the profiles share it, so two
// processes saving different profiles at once must not restore each other's spent tokens.
import fs from 'node:fs';
import path from 'node:path';
import { AuthError } from '../errors.js';
import { RunInProgressError, waitForRunLock, type RunLock } from '../state/run-lock.js';
import { readJsonFile, writeJsonFile } from '../json-file.js';
import { parseStoredCredentials, type StoredCredentials } from './credentials.js';
import { isSealed, saltOf, seal, unseal, type SealedFile } from './sealed-file.js';

/** A save is a read, a seal and a write (the first seal of a process derives its key, about 0.1 s). */
const FILE_LOCK_WAIT_MS = 30_000;
const FILE_LOCK_POLL_MS = 10;

interface CredentialsFile {
  version: 1;
  profiles: Record<string, StoredCredentials>;
}

export class FileStore {
  readonly kind = 'file' as const;
  /** The salt of the sealed file last read, reused when it is rewritten (one key derivation per process). */
  private salt: Buffer | undefined;

  constructor(
    readonly file: string,
    /** PINSYNC_STORE_KEY: seal what is written, and open what is sealed. */
    private readonly storeKey?: string,
    /** Where the file's lock lives (the home's state folder); by default beside the file. */
    private readonly lockDir: string = path.dirname(file),
  ) {}

  get description(): string {
    return this.file;
  }

  /** Whether what this store writes is sealed. */
  get sealed(): boolean {
    return this.storeKey !== undefined;
  }

  async read(profile: string): Promise<StoredCredentials | undefined> {
    const stored = (await this.load()).profiles[profile];
    return stored ? parseStoredCredentials(stored) : undefined;
  }

  async write(profile: string, credentials: StoredCredentials): Promise<void> {
    await this.underFileLock(async () => {
      const { content } = await this.loadAsFound();
      content.profiles[profile] = credentials;
      await this.save(content);
    });
  }

  async remove(profile: string): Promise<boolean> {
    return this.underFileLock(async () => {
      const { content } = await this.loadAsFound();
      if (!(profile in content.profiles)) return false;
      delete content.profiles[profile];
      if (Object.keys(content.profiles).length === 0) fs.rmSync(this.file, { force: true });
      else await this.save(content);
      return true;
    });
  }

  private async load(): Promise<CredentialsFile> {
    const found = await this.loadAsFound();
    if (!this.needsSealing(found)) return found.content;
    // A key was set after tokens were stored in clear: from now on no token stays readable on disk.
    return this.underFileLock(async () => {
      const again = await this.loadAsFound();
      if (this.needsSealing(again)) await this.save(again.content);
      return again.content;
    });
  }

  private needsSealing(found: { content: CredentialsFile; clear: boolean }): boolean {
    return found.clear && this.storeKey !== undefined && Object.keys(found.content.profiles).length > 0;
  }

  /** The file as it is on disk, and whether it is in clear. */
  private async loadAsFound(): Promise<{ content: CredentialsFile; clear: boolean }> {
    const parsed = readJsonFile(this.file, `The credentials file ${this.file} is not valid JSON: delete it and run \`pinsync login\`.`);
    if (parsed === undefined) return { content: { version: 1, profiles: {} }, clear: false };
    if (isSealed(parsed)) return { content: await this.open(parsed), clear: false };
    return { content: { version: 1, profiles: (parsed as Partial<CredentialsFile>).profiles ?? {} }, clear: true };
  }

  /**
   * Runs `work` holding the file's lock (state/run-lock.ts: a kernel lock, so a killed holder frees it).
   * A home that cannot hold a lock file (read-only, full) goes on without: its save fails on its own.
   */
  private async underFileLock<T>(work: () => Promise<T>): Promise<T> {
    let lock: RunLock;
    try {
      lock = await waitForRunLock(this.lockDir, `credentials-file:${path.resolve(this.file)}`, 'saving the credentials file', {
        waitMs: FILE_LOCK_WAIT_MS,
        pollMs: FILE_LOCK_POLL_MS,
      });
    } catch (error) {
      if (error instanceof RunInProgressError || typeof (error as { code?: unknown }).code !== 'string') throw error;
      lock = { release() {} };
    }
    try {
      return await work();
    } finally {
      lock.release();
    }
  }

  private async open(sealed: SealedFile): Promise<CredentialsFile> {
    if (this.storeKey === undefined) {
      throw new AuthError(
        `The credentials in ${this.file} are sealed with PINSYNC_STORE_KEY, which is not set: set it to the key they were sealed with.`,
      );
    }
    const opened = await unseal(sealed, this.storeKey);
    if (!opened.ok) {
      throw new AuthError(
        opened.why === 'wrong_key'
          ? `PINSYNC_STORE_KEY does not open ${this.file} (it is not the key the credentials were sealed with): set the right key; the file is left as it is.`
          : `${this.file} is sealed in a form this pinsync does not know (written by a newer pinsync, or altered): upgrade pinsync; the file is left as it is.`,
      );
    }
    this.salt = saltOf(sealed);
    let content: Partial<CredentialsFile>;
    try {
      content = JSON.parse(opened.plain) as Partial<CredentialsFile>;
    } catch {
      throw new AuthError(`The sealed credentials in ${this.file} are damaged: move the file aside and run \`pinsync login\`.`);
    }
    return { version: 1, profiles: content.profiles ?? {} };
  }

  private async save(content: CredentialsFile): Promise<void> {
    if (this.storeKey === undefined) {
      writeJsonFile(this.file, content);
      return;
    }
    const sealed = await seal(JSON.stringify(content), this.storeKey, this.salt);
    this.salt = saltOf(sealed);
    writeJsonFile(this.file, sealed);
  }
}
