// `pinsync sandbox --state FILE`: the sandbox's lists, audiences, tokens and app secret saved on stop
// and loaded on start, so a rehearsed cron job finds yesterday's audience (and its token still works),
// with the sandbox clock as far ahead as it was.
import { readFile, rename, writeFile } from 'node:fs/promises';
import type { SandboxSnapshot } from './state.js';

export interface SavedSandbox {
  app: { appId: string; appSecret: string };
  defaultToken: string;
  /** The refresh token issued with the default token (absent in files written before it was kept). */
  defaultRefreshToken?: string;
  /** How far the sandbox clock ran ahead of real time when it stopped. */
  clockOffsetMs?: number;
  state: SandboxSnapshot;
}

/** A state file that cannot be used; its message is a sentence for the user. */
export class SandboxStateFileError extends Error {}

/** The saved sandbox, or undefined when the file does not exist yet. */
export async function loadSavedSandbox(file: string): Promise<SavedSandbox | undefined> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  let saved: SavedSandbox;
  try {
    saved = JSON.parse(text) as SavedSandbox;
  } catch {
    throw new SandboxStateFileError(`The sandbox state file ${file} is not valid JSON. Delete it or pass another --state file.`);
  }
  if (saved?.state?.version !== 1 || !saved.app || typeof saved.defaultToken !== 'string') {
    throw new SandboxStateFileError(`${file} is not a sandbox state file (version 1). Delete it or pass another --state file.`);
  }
  return saved;
}

/** Written to a temporary file first so a crash never leaves half a snapshot; 0600: it holds tokens. */
export async function saveSandbox(file: string, saved: SavedSandbox): Promise<void> {
  const temporary = `${file}.${process.pid}.tmp`;
  await writeFile(temporary, JSON.stringify(saved), { mode: 0o600 });
  await rename(temporary, file);
}
