// Where pinsync keeps config, the credential file fallback and state: PINSYNC_HOME, else OS conventions.
import os from 'node:os';
import path from 'node:path';

export interface PinsyncPaths {
  /** config.json: profiles and their default ad account. */
  configFile: string;
  /** credentials.json: the 0600 file store used when no keychain is reachable. */
  credentialsFile: string;
  /** state.db: the SQLite journal, snapshots and run history. */
  stateFile: string;
  configDir: string;
  stateDir: string;
}

type Env = Record<string, string | undefined>;

export function resolvePaths(env: Env, platform: NodeJS.Platform = process.platform): PinsyncPaths {
  const { configDir, stateDir } = baseDirs(env, platform);
  return {
    configDir,
    stateDir,
    configFile: path.join(configDir, 'config.json'),
    credentialsFile: path.join(configDir, 'credentials.json'),
    stateFile: path.join(stateDir, 'state.db'),
  };
}

function baseDirs(env: Env, platform: NodeJS.Platform): { configDir: string; stateDir: string } {
  if (env.PINSYNC_HOME) {
    const home = path.resolve(env.PINSYNC_HOME);
    return { configDir: home, stateDir: home };
  }
  const home = env.HOME || os.homedir();
  if (platform === 'darwin') {
    const dir = path.join(home, 'Library', 'Application Support', 'pinsync');
    return { configDir: dir, stateDir: dir };
  }
  if (platform === 'win32') {
    const appData = env.APPDATA || path.join(home, 'AppData', 'Roaming');
    const localAppData = env.LOCALAPPDATA || path.join(home, 'AppData', 'Local');
    return { configDir: path.join(appData, 'pinsync'), stateDir: path.join(localAppData, 'pinsync') };
  }
  return {
    configDir: path.join(env.XDG_CONFIG_HOME || path.join(home, '.config'), 'pinsync'),
    stateDir: path.join(env.XDG_STATE_HOME || path.join(home, '.local', 'state'), 'pinsync'),
  };
}
