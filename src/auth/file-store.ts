// The fallback credential store: credentials.json under PINSYNC_HOME, mode 0600 (directory 0700),
// used when no OS keychain is reachable (headless Linux, containers) or PINSYNC_KEYCHAIN=off.
import fs from 'node:fs';
import path from 'node:path';
import { UsageError } from '../errors.js';
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
    let text: string;
    try {
      text = fs.readFileSync(this.file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { version: 1, profiles: {} };
      throw error;
    }
    try {
      const parsed = JSON.parse(text) as Partial<CredentialsFile>;
      return { version: 1, profiles: parsed.profiles ?? {} };
    } catch {
      throw new UsageError(`The credentials file ${this.file} is not valid JSON: delete it and run \`pinsync login\`.`);
    }
  }

  private save(content: CredentialsFile): void {
    fs.mkdirSync(path.dirname(this.file), { recursive: true, mode: 0o700 });
    // Write a 0600 temporary and rename it, so the secret is never readable by others, even briefly.
    const temporary = `${this.file}.${process.pid}.tmp`;
    fs.rmSync(temporary, { force: true });
    fs.writeFileSync(temporary, JSON.stringify(content, null, 2) + '\n', { mode: 0o600, flag: 'wx' });
    fs.chmodSync(temporary, 0o600);
    fs.renameSync(temporary, this.file);
  }
}
