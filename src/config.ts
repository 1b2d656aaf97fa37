// Per-profile settings in config.json (no secrets here: tokens live in the credential store).
import { readJsonFile, writeJsonFile } from './json-file.js';

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
    const parsed = readJsonFile(this.file, `The config file ${this.file} is not valid JSON: fix or delete it.`) as Partial<ConfigFile> | undefined;
    return { version: 1, profiles: parsed?.profiles ?? {} };
  }

  private write(config: ConfigFile): void {
    writeJsonFile(this.file, config);
  }
}
