import fs from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { UsageError } from '../../src/errors.js';
import { formatFromName, openInput, sniffFormat } from '../../src/input/source.js';
import { makeHome } from '../support/home.js';

const users = 'email\n' + Array.from({ length: 2000 }, (_, i) => `user${i}@example.com`).join('\n') + '\n';

function writeFile(name: string, content: string | Buffer): string {
  const file = path.join(makeHome('pinsync-source-'), name);
  fs.writeFileSync(file, content);
  return file;
}

async function readAll(chunks: AsyncIterable<Buffer>): Promise<string> {
  const parts: Buffer[] = [];
  for await (const chunk of chunks) parts.push(chunk);
  return Buffer.concat(parts).toString('utf8');
}

describe('opening the input', () => {
  it('streams a file, naming it by its base name and counting the bytes read against its size', async () => {
    const file = writeFile('users.csv', users);
    const input = await openInput(file, process.stdin);
    expect(input).toMatchObject({ name: 'users.csv', isStdin: false, totalBytes: Buffer.byteLength(users), format: 'csv' });
    expect(await readAll(input.chunks)).toBe(users);
    expect(input.bytesRead()).toBe(Buffer.byteLength(users));
  });

  it('unpacks gzip found by its bytes, whatever the name, and counts the compressed bytes', async () => {
    const packed = gzipSync(users);
    const file = writeFile('export.bin', packed);
    const input = await openInput(file, process.stdin);
    expect(await readAll(input.chunks)).toBe(users);
    expect(input.bytesRead()).toBe(packed.length);
  });

  it('refuses a gzip file with a corrupt tail (exit 2)', async () => {
    const packed = gzipSync(users);
    const file = writeFile('users.csv.gz', packed.subarray(0, packed.length - 12));
    const input = await openInput(file, process.stdin);
    await expect(readAll(input.chunks)).rejects.toThrow(/^users\.csv\.gz is not valid gzip data/);
  });

  it('reads standard input for "-", its format left to sniffing unless given', async () => {
    const input = await openInput('-', Readable.from([Buffer.from('{"email":'), Buffer.from('"a@example.com"}\n')]));
    expect(input).toMatchObject({ name: 'standard input', isStdin: true, totalBytes: undefined, format: undefined });
    expect(await readAll(input.chunks)).toBe('{"email":"a@example.com"}\n');
    const named = await openInput('-', Readable.from([]), 'ndjson');
    expect(named.format).toBe('ndjson');
  });

  it('says why a file cannot be read, in one sentence (exit 2)', async () => {
    const missing = path.join(makeHome('pinsync-source-'), 'nope.csv');
    await expect(openInput(missing, process.stdin)).rejects.toThrow(UsageError);
    await expect(openInput(missing, process.stdin)).rejects.toThrow(`Cannot read ${missing}: no such file.`);
    const folder = makeHome('pinsync-source-');
    await expect(openInput(folder, process.stdin)).rejects.toThrow(`${folder} is a folder: give a CSV or NDJSON file, or - for standard input.`);
  });
});

describe('the input format', () => {
  it('follows the extension, .gz or not', () => {
    expect(formatFromName('users.csv')).toBe('csv');
    expect(formatFromName('events.NDJSON.gz')).toBe('ndjson');
    expect(formatFromName('events.jsonl')).toBe('ndjson');
    expect(formatFromName('events.json')).toBe('ndjson');
    expect(formatFromName('export.txt')).toBe('csv');
  });

  it('is NDJSON on standard input when the first text opens an object', () => {
    expect(sniffFormat('  \n{"email":"a@example.com"}')).toBe('ndjson');
    expect(sniffFormat('email\n')).toBe('csv');
  });
});
