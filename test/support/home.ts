// Throwaway folders: a fresh PINSYNC_HOME or work folder per test, removed when the test process exits.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const created: string[] = [];
process.once('exit', () => {
  for (const dir of created) fs.rmSync(dir, { recursive: true, force: true });
});

/** A fresh, empty folder under the system's temp folder, deleted when the test process exits. */
export function makeHome(prefix = 'pinsync-test-'): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  created.push(dir);
  return dir;
}
