// The fallback credential store: credentials.json under PINSYNC_HOME, mode 0600 (directory 0700),
// used when no OS keychain is reachable (headless Linux, containers) or PINSYNC_KEYCHAIN=off.
import fs from 'node:fs';
import { readJsonFile, writeJsonFile } from '../json-file.js';
import { parseStoredCredentials, type StoredCredentials } from './credentials.js';

interface CredentialsFile {
  version: 1;
  profiles: Record<string, StoredCredentials>;
}

export class FileStore {
  readonly kind = 'file' as const;

  constructor(readonly file: string) {}

  get description(): string {
    return this.file;
  }

  async read(profile: string): Promise<StoredCredentials | undefined> {
    const stored = this.load().profiles[profile];
    return stored ? parseStoredCredentials(stored) : undefined;
  }

  async write(profile: string, credentials: StoredCredentials): Promise<void> {
    const content = this.load();
    content.profiles[profile] = credentials;
    this.save(content);
  }

  async remove(profile: string): Promise<boolean> {
    const content = this.load();
    if (!(profile in content.profiles)) return false;
    delete content.profiles[profile];
    if (Object.keys(content.profiles).length === 0) fs.rmSync(this.file, { force: true });
    else this.save(content);
    return true;
  }

  private load(): CredentialsFile {
    const parsed = readJsonFile(this.file, `The credentials file ${this.file} is not valid JSON: delete it and run \`pinsync login\`.`) as
      | Partial<CredentialsFile>
      | undefined;
    return { version: 1, profiles: parsed?.profiles ?? {} };
  }

  private save(content: CredentialsFile): void {
    writeJsonFile(this.file, content);
  }
}
