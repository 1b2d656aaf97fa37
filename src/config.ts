// Per-profile settings in config.json (no secrets here: tokens live in the credential store).
import fs from 'node:fs';
import path from 'node:path';
import { UsageError } from './errors.js';

export interface ProfileConfig {
  /** The ad account used when --ad-account is not given (`pinsync accounts use`). */
  adAccountId?: string;
}

interface ConfigFile {
  version: 1;
  profiles: Record<string, ProfileConfig>;
}

export class ConfigStore {
  constructor(readonly file: string) {}

  profile(name: string): ProfileConfig {
    return this.read().profiles[name] ?? {};
  }

  updateProfile(name: string, change: Partial<ProfileConfig>): ProfileConfig {
    const config = this.read();
    const next = { ...config.profiles[name], ...change };
    config.profiles[name] = next;
    this.write(config);
    return next;
  }

  private read(): ConfigFile {
    let text: string;
    try {
      text = fs.readFileSync(this.file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { version: 1, profiles: {} };
      throw error;
    }
    try {
      const parsed = JSON.parse(text) as Partial<ConfigFile>;
      return { version: 1, profiles: parsed.profiles ?? {} };
    } catch {
      throw new UsageError(`The config file ${this.file} is not valid JSON: fix or delete it.`);
    }
  }

  private write(config: ConfigFile): void {
    fs.mkdirSync(path.dirname(this.file), { recursive: true, mode: 0o700 });
    const temporary = `${this.file}.${process.pid}.tmp`;
    fs.writeFileSync(temporary, JSON.stringify(config, null, 2) + '\n', { mode: 0o600 });
    fs.renameSync(temporary, this.file);
  }
}
