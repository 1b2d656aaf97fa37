// Input files for a run: written into a test's folder, gzip-compressed when the name ends in .gz.
import fs from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';

/** Writes `content` to dir/name (gzipped for a `.gz` name) and returns the file's path. */
export function writeFile(dir: string, name: string, content: string | Buffer): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, name.endsWith('.gz') ? gzipSync(content) : content);
  return file;
}
