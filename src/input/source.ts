// Opens the input: a file or `-` (standard input), gzip-compressed or not (detected from the bytes),
// as a stream of chunks with a byte count for progress. Nothing is read whole.
import fs from 'node:fs';
import path from 'node:path';
import { pipeline, Readable } from 'node:stream';
import zlib from 'node:zlib';
import { UsageError } from '../errors.js';
import type { InputFormat } from './read-rows.js';

export interface InputSource {
  /** How the input is named in messages: the file's base name or "standard input". */
  name: string;
  isStdin: boolean;
  /** Size on disk (compressed size for .gz) when known. */
  totalBytes: number | undefined;
  /** Bytes read so far (of the file as stored). */
  bytesRead(): number;
  chunks: AsyncIterable<Buffer>;
  /** Format from --format or the file extension; undefined for stdin without --format (sniffed). */
  format: InputFormat | undefined;
  /** Stops reading and releases the file or stdin. */
  close(): void;
}

const CHUNK_BYTES = 256 * 1024;

export async function openInput(input: string, stdin: Readable, format?: InputFormat): Promise<InputSource> {
  const counter = { bytes: 0 };
  if (input === '-') {
    return {
      name: 'standard input',
      isStdin: true,
      totalBytes: undefined,
      bytesRead: () => counter.bytes,
      chunks: gunzipWhenCompressed(countBytes(stdin, counter), 'standard input'),
      format,
      close: () => stdin.destroy(),
    };
  }
  const size = await checkReadable(input);
  const stream = fs.createReadStream(input, { highWaterMark: CHUNK_BYTES });
  const name = path.basename(input);
  return {
    name,
    isStdin: false,
    totalBytes: size,
    bytesRead: () => counter.bytes,
    chunks: gunzipWhenCompressed(countBytes(stream, counter), name),
    format: format ?? formatFromName(input),
    close: () => stream.destroy(),
  };
}

export function formatFromName(file: string): InputFormat {
  const base = file.toLowerCase().replace(/\.gz$/, '');
  return /\.(ndjson|jsonl|json)$/.test(base) ? 'ndjson' : 'csv';
}

/** Stdin without --format: an input starting with `{` is NDJSON. */
export function sniffFormat(firstText: string): InputFormat {
  return firstText.trimStart().startsWith('{') ? 'ndjson' : 'csv';
}

async function checkReadable(file: string): Promise<number> {
  try {
    const stat = await fs.promises.stat(file);
    if (stat.isDirectory()) throw new UsageError(`${file} is a folder: give a CSV or NDJSON file, or - for standard input.`);
    await fs.promises.access(file, fs.constants.R_OK);
    return stat.size;
  } catch (error) {
    if (error instanceof UsageError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EACCES' || code === 'EPERM' ? 'permission denied' : 'it cannot be read';
    throw new UsageError(`Cannot read ${file}: ${why}.`);
  }
}

async function* countBytes(stream: AsyncIterable<Buffer | string>, counter: { bytes: number }): AsyncGenerator<Buffer> {
  try {
    for await (const chunk of stream) {
      const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
      counter.bytes += bytes.length;
      yield bytes;
    }
  } catch (error) {
    if (error instanceof UsageError) throw error;
    throw new UsageError(`Reading the input failed (${(error as Error).message}).`);
  }
}

async function* gunzipWhenCompressed(chunks: AsyncIterable<Buffer>, name: string): AsyncGenerator<Buffer> {
  const iterator = chunks[Symbol.asyncIterator]();
  const first = await iterator.next();
  if (first.done) return;
  const rest = (async function* () {
    yield first.value;
    for (;;) {
      const next = await iterator.next();
      if (next.done) return;
      yield next.value;
    }
  })();
  if (!(first.value[0] === 0x1f && first.value[1] === 0x8b)) {
    yield* rest;
    return;
  }
  const gunzip = zlib.createGunzip({ chunkSize: CHUNK_BYTES });
  pipeline(Readable.from(rest), gunzip, () => {});
  try {
    for await (const chunk of gunzip) yield chunk as Buffer;
  } catch (error) {
    if (error instanceof UsageError) throw error;
    throw new UsageError(`${name} is not valid gzip data (${(error as Error).message}).`);
  } finally {
    gunzip.destroy();
  }
}
