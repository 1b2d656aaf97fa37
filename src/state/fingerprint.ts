// Identifies an input file without reading all of it: size, mtime and SHA-256 of its first and last
// 64 KiB. Standard input has no fingerprint, so a run reading it cannot be resumed.
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';

const EDGE_BYTES = 64 * 1024;

export async function fingerprintFile(file: string): Promise<string> {
  const handle = await fs.open(file, 'r');
  try {
    const { size, mtimeMs } = await handle.stat();
    const hash = createHash('sha256').update(`${size}:${Math.trunc(mtimeMs)}:`);
    hash.update(await readAt(handle, 0, Math.min(EDGE_BYTES, size)));
    if (size > EDGE_BYTES) hash.update(await readAt(handle, Math.max(EDGE_BYTES, size - EDGE_BYTES), EDGE_BYTES));
    return hash.digest('hex');
  } finally {
    await handle.close();
  }
}

async function readAt(handle: fs.FileHandle, position: number, length: number): Promise<Buffer> {
  const buffer = Buffer.alloc(length);
  const { bytesRead } = await handle.read(buffer, 0, length, position);
  return buffer.subarray(0, bytesRead);
}

/** One stable key for "the same command on the same input": fingerprint plus what changes the requests. */
export function runKey(parts: Record<string, unknown>): string {
  const ordered = Object.keys(parts)
    .sort()
    .map((key) => [key, parts[key] ?? null]);
  return createHash('sha256').update(JSON.stringify(ordered)).digest('hex');
}
