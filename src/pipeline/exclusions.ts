// The users who must never be uploaded (`--exclude FILE`, repeatable; `exclude:` in jobs files):
// read once per run from CSV or NDJSON files (.gz too), plain or already-hashed, with the input's own
// reader, column detection and normalisers, so a record matches exactly the one the input would send.
// Kept as 8-byte digests like the duplicate check: 10M exclusions take 128 MiB, plus a 2-16 MiB
// bit filter in front, because most records checked are not excluded and the filter answers "no"
// from cache where the set's table would miss it on every probe.
import path from 'node:path';
import { Readable } from 'node:stream';
import { UsageError } from '../errors.js';
import { DigestSet, hexWord } from './dedupe.js';
import { isBlank, normaliserFor, type Normalised } from './normalise.js';
import { createRowReader, type RowSink } from './read-rows.js';
import { openInput, type InputSource } from './source.js';
import type { ColumnPlan } from './columns.js';

export interface ExclusionFileSummary {
  /** The file's base name. */
  name: string;
  /** Data rows read. */
  rows: number;
  /** Rows with no usable identifier (blank or invalid): they exclude nobody. */
  unusable: number;
}

export interface Exclusions {
  /** Whether this hashed record (as sent to Pinterest) belongs to an excluded user. */
  has(record: string): boolean;
  /** The same for the record starting at `offset` of `text` (records concatenated, no copy). */
  hasAt(text: string, offset: number): boolean;
  /** Distinct excluded records. */
  readonly size: number;
  readonly files: readonly ExclusionFileSummary[];
}

export const noExclusions: Exclusions = { has: () => false, hasAt: () => false, size: 0, files: [] };

export interface ExclusionOptions {
  /** --delimiter of the run: exclusion CSVs are written by the same tools as the input. */
  delimiter?: string;
}

/** Bytes of a plain-text exclusion file per row at the least (a short email and its newline). */
const MIN_BYTES_PER_ROW = 24;
/** gzip shrinks identifier lists about this much; only a hint for the set's first size. */
const GZIP_RATIO = 3;

export async function loadExclusions(files: readonly string[], options: ExclusionOptions = {}): Promise<Exclusions> {
  if (files.length === 0) return noExclusions;
  const sources = await Promise.all(files.map(openExclusionFile));
  const expected = expectedRecords(sources);
  const set = new DigestSet(expected);
  const filter = new BitFilter(expected);
  const summaries: ExclusionFileSummary[] = [];
  for (const source of sources) summaries.push(await addFile(source, { add: (record) => filter.add(record) && set.add(record) }, options));
  const hasAt = (text: string, offset: number) => filter.mayHaveAt(text, offset) && set.hasAt(text, offset);
  return {
    has: (record) => hasAt(record, 0),
    hasAt,
    get size() {
      return set.size;
    },
    files: summaries,
  };
}

async function openExclusionFile(file: string): Promise<InputSource> {
  if (file === '-') throw new UsageError('--exclude takes a file, not standard input.');
  try {
    return await openInput(file, Readable.from([]));
  } catch (error) {
    // "Cannot read FILE: why." already names the file; say which kind of file it is.
    if (error instanceof UsageError && error.message.startsWith('Cannot read ')) {
      throw new UsageError(error.message.replace('Cannot read ', 'Cannot read the exclusion file '), { cause: error });
    }
    throw inExclusionFile(file, error);
  }
}

function expectedRecords(sources: readonly InputSource[]): number {
  return sources.reduce((sum, source) => {
    const bytes = source.totalBytes ?? 0;
    const plainBytes = /\.gz$/i.test(source.name) ? bytes * GZIP_RATIO : bytes;
    return sum + Math.ceil(plainBytes / MIN_BYTES_PER_ROW);
  }, 0);
}

/** Where an exclusion file's records go. */
interface RecordSink {
  add(record: string): unknown;
}

async function addFile(source: InputSource, set: RecordSink, options: ExclusionOptions): Promise<ExclusionFileSummary> {
  const sink = new ExclusionSink(set, source.name);
  const reader = createRowReader({ format: source.format ?? 'csv', delimiter: options.delimiter }, sink);
  try {
    for await (const chunk of source.chunks) reader.push(chunk);
    reader.end();
  } catch (error) {
    throw inExclusionFile(source.name, error);
  } finally {
    source.close();
  }
  return sink.summary;
}

/** Adds every usable identifier of every row; a row with none excludes nobody and is only counted. */
class ExclusionSink implements RowSink {
  readonly summary: ExclusionFileSummary;
  private normalisers: Array<(raw: string) => Normalised> = [];

  constructor(
    private readonly set: RecordSink,
    name: string,
  ) {
    this.summary = { name, rows: 0, unusable: 0 };
  }

  planned(plan: ColumnPlan): void {
    this.normalisers = plan.columns.map((column) => normaliserFor(column.kind));
  }

  row(_line: number, values: string[]): void {
    this.summary.rows++;
    let usable = 0;
    for (let i = 0; i < this.normalisers.length; i++) {
      const raw = values[i]!;
      if (isBlank(raw)) continue;
      const record = isSha256Hex(raw) ? raw.toLowerCase() : this.normalisers[i]!(raw);
      if (typeof record !== 'string') continue; // invalid, or the all-zero device id
      this.set.add(record);
      usable++;
    }
    if (usable === 0) this.summary.unusable++;
  }

  malformed(): void {
    this.summary.rows++;
    this.summary.unusable++;
  }
}

/**
 * Suppression lists are often shared already hashed: a bare SHA-256 is its own record in every
 * column kind, so it skips the normaliser's cleaning and pattern checks (a hand-written test here).
 */
function isSha256Hex(value: string): boolean {
  if (value.length !== 64) return false;
  for (let i = 0; i < 64; i++) {
    const c = value.charCodeAt(i);
    if (!((c >= 48 && c <= 57) || (c >= 97 && c <= 102) || (c >= 65 && c <= 70))) return false;
  }
  return true;
}

/** The reader's messages speak of "the input" and its flags; say which exclusion file is meant. */
function inExclusionFile(name: string, error: unknown): unknown {
  if (!(error instanceof UsageError)) return error;
  const message = error.message.replace(/ Name one with --email-column, --maid-column or --idfa-column\.$/, ' Name the column email, maid or idfa.');
  return new UsageError(`In the exclusion file ${name}: ${message}`, { cause: error });
}

/**
 * Starts loading a run's exclusion files at once, so reading them overlaps the audience lookup; the
 * run awaits the result before anything is sent, and a failure (exit 2, naming the file) surfaces there.
 */
export function startLoadingExclusions(files: readonly string[] | undefined, options: ExclusionOptions): Promise<Exclusions> {
  const loading = loadExclusions(files ?? [], options);
  loading.catch(() => {}); // handled where the run awaits it
  return loading;
}

/** One line for stderr: how many users are left out, from which files, and rows that exclude nobody. */
export function describeExclusions(exclusions: Exclusions): string | undefined {
  if (exclusions.files.length === 0) return undefined;
  const n = (value: number) => value.toLocaleString('en-US');
  const names = exclusions.files.map((file) => file.name).join(', ');
  const unusable = exclusions.files.reduce((sum, file) => sum + file.unusable, 0);
  const warning = unusable > 0 ? `; ${n(unusable)} of their rows have no valid identifier and exclude nobody` : '';
  return `Excluding ${n(exclusions.size)} identifiers listed in ${names}${warning}.`;
}

/**
 * The exclusion files as part of a run's identity (journal key): a rerun with other files starts
 * afresh rather than resuming a diff or line numbering computed without them. Empty without files,
 * so a run without --exclude keeps the key it always had.
 */
export function exclusionShape(files: readonly string[] | undefined): { exclude?: string[] } {
  return files && files.length > 0 ? { exclude: files.map((file) => path.resolve(file)) } : {};
}

/** Bits per expected record: with 1 bit set per record, about 1 in 16 records not excluded passes to the set. */
const FILTER_BITS_PER_RECORD = 16;
/** 16 MiB: beyond ~8M exclusions the filter lets more through, never wrongly keeps one out. */
const MAX_FILTER_BITS = 2 ** 27;

/**
 * One bit per excluded record, taken from digest characters 16-23 (the set keys on 0-15, so the two
 * tests are independent). "No" is certain; "maybe" asks the set.
 */
class BitFilter {
  private readonly bits: Int32Array;
  private readonly mask: number;

  constructor(expectedRecords: number) {
    const wanted = Math.min(MAX_FILTER_BITS, Math.max(1024, expectedRecords * FILTER_BITS_PER_RECORD));
    const size = 2 ** Math.ceil(Math.log2(wanted));
    this.bits = new Int32Array(size / 32);
    this.mask = size - 1;
  }

  /** Always true, so it chains before the set's add. */
  add(record: string): true {
    const bit = hexWord(record, 16) & this.mask;
    this.bits[bit >>> 5]! |= 1 << (bit & 31);
    return true;
  }

  mayHaveAt(text: string, offset: number): boolean {
    const bit = hexWord(text, offset + 16) & this.mask;
    return (this.bits[bit >>> 5]! & (1 << (bit & 31))) !== 0;
  }
}

/** Awaits the exclusions a run started loading, and tells the user (one line on stderr) what they exclude. */
export async function exclusionsReady(loading: Promise<Exclusions>, info: (message: string) => void): Promise<Exclusions> {
  const exclusions = await loading;
  const excluding = describeExclusions(exclusions);
  if (excluding) info(excluding);
  return exclusions;
}
