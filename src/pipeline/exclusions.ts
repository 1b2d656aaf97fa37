// The users who must never be uploaded (`--exclude FILE`, repeatable; `exclude:` in jobs files):
// read once per run from CSV or NDJSON files (.gz too), plain or already-hashed, with the input's own
// reader, column detection and normalisers, so a record matches exactly the one the input would send.
// Kept as 8-byte digests like the duplicate check: 10M exclusions take 128 MiB.
import path from 'node:path';
import { Readable } from 'node:stream';
import { UsageError } from '../errors.js';
import { DigestSet } from './dedupe.js';
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
  const set = new DigestSet(expectedRecords(sources));
  const summaries: ExclusionFileSummary[] = [];
  for (const source of sources) summaries.push(await addFile(source, set, options));
  return {
    has: (record) => set.hasAt(record, 0),
    hasAt: (text, offset) => set.hasAt(text, offset),
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

async function addFile(source: InputSource, set: DigestSet, options: ExclusionOptions): Promise<ExclusionFileSummary> {
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
    private readonly set: DigestSet,
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
      const record = this.normalisers[i]!(raw);
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
