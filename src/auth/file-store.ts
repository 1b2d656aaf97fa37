// The fallback credential store: credentials.json under PINSYNC_HOME, mode 0600 (directory 0700),
// used when no OS keychain is reachable (headless Linux, containers, CI) or PINSYNC_KEYCHAIN=off.
// With PINSYNC_STORE_KEY the file is sealed (sealed-file.ts), and a file found in clear is sealed at once.
import fs from 'node:fs';
import { AuthError } from '../errors.js';
import { readJsonFile, writeJsonFile } from '../json-file.js';
import { parseStoredCredentials, type StoredCredentials } from './credentials.js';
import { isSealed, saltOf, seal, unseal, type SealedFile } from './sealed-file.js';

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
    const content = await this.load();
    content.profiles[profile] = credentials;
    await this.save(content);
  }

  async remove(profile: string): Promise<boolean> {
    const content = await this.load();
    if (!(profile in content.profiles)) return false;
    delete content.profiles[profile];
    if (Object.keys(content.profiles).length === 0) fs.rmSync(this.file, { force: true });
    else await this.save(content);
    return true;
  }

  private async load(): Promise<CredentialsFile> {
    const parsed = readJsonFile(this.file, `The credentials file ${this.file} is not valid JSON: delete it and run \`pinsync login\`.`);
    if (parsed === undefined) return { version: 1, profiles: {} };
    if (isSealed(parsed)) return this.open(parsed);
    const content = { version: 1 as const, profiles: (parsed as Partial<CredentialsFile>).profiles ?? {} };
    // A key was set after tokens were stored in clear: from now on no token stays readable on disk.
    if (this.storeKey !== undefined && Object.keys(content.profiles).length > 0) await this.save(content);
    return content;
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
