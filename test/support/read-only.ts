// A folder made read-only for a test: a read-only bind mount for root (whom file modes do not stop),
// else modes 0555 down the tree.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

/** Makes `dir` read-only; returns the undo. */
export function readOnly(dir: string): () => void {
  if (process.getuid?.() === 0) {
    execFileSync('mount', ['--bind', dir, dir]);
    execFileSync('mount', ['-o', 'remount,bind,ro', dir]);
    return () => execFileSync('umount', ['--lazy', dir]); // lazy: this process may still hold a file there (the token budget)
  }
  const folders = [dir, ...fs.readdirSync(dir, { recursive: true, withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => path.join(e.parentPath, e.name))];
  for (const folder of folders) fs.chmodSync(folder, 0o555);
  return () => folders.forEach((folder) => fs.chmodSync(folder, 0o755));
}
