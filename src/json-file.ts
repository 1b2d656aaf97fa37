// Small owner-only JSON files (config.json, credentials.json): read with a friendly error, written
// atomically through a 0600 temporary so a crash or another user never sees a partial or open file.
import fs from 'node:fs';
import path from 'node:path';
import { UsageError } from './errors.js';

/** The parsed file, or undefined when it does not exist; `invalid` is the sentence for bad JSON. */
export function readJsonFile(file: string, invalid: string): unknown {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new UsageError(invalid);
  }
}

export function writeJsonFile(file: string, value: unknown): void {
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const temporary = `${file}.${process.pid}.tmp`;
  fs.rmSync(temporary, { force: true });
  fs.writeFileSync(temporary, JSON.stringify(value, null, 2) + '\n', { mode: 0o600, flag: 'wx' });
  fs.chmodSync(temporary, 0o600);
  fs.renameSync(temporary, file);
}
