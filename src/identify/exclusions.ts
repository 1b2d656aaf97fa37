// The users who must never be uploaded (`--exclude FILE`, repeatable; `exclude:` in jobs files):
// read once per run from CSV or NDJSON files (.gz too), plain or already-hashed, with the input's own
// reader, column detection and normalisers, so a record matches exactly the one the input would send.
// Kept as 8-byte digests like the duplicate check: 10M exclusions take 128 MiB, plus a 2-16 MiB
// bit filter in front, because most records checked are not excluded and the filter answers "no"
// from cache where the set's table would miss it on every probe.
import path from 'node:path';
import { Readable } from 'node:stream';
import { UsageError } from '../errors.js';
import { DigestSet } from './dedupe.js';
import { HashedLines } from '../input/hashed-lines.js';
import { hexWord } from './hex-digits.js';
import { isBlank, isSha256Hex, normaliserFor, type Normalised, type NormaliseOptions } from './normalise.js';
import { createRowReader, type RowReader, type RowSink } from '../input/read-rows.js';
import { openInput, type InputSource } from '../input/source.js';
import { NAME_ONE, type ColumnPlan, type IdentifierKind } from '../input/columns.js';

export interface ExclusionFileSummary {
  /** The file's base name. */
  name: string;
  /** Data rows read. */
  rows: number;
  /** Rows with no usable identifier (blank or invalid): they exclude nobody. */
  unusable: number;
  /** The identifier kinds the file's usable rows hold (an email list, a device-id list …). */
  kinds: IdentifierKind[];
}

export interface Exclusions {
  /** Whether this hashed record (as sent to Pinterest) belongs to an excluded user. */
  has(record: string): boolean;
  /** The same for the record starting at `offset` of `text` (records concatenated, no copy). */
  hasAt(text: string, offset: number): boolean;
  /** The same for the record whose first 16 hex digits read as the words `hi`, `lo` (hexWord). */
  hasWords(hi: number, lo: number): boolean;
  /** Distinct excluded records. */
  readonly size: number;
  /** Memory the set takes (a run counts it in its peak). */
  readonly bytes: number;
  readonly files: readonly ExclusionFileSummary[];
  /**
   * False while the set still loads on its own thread: `has`, `hasAt`, `size` and `files` answer
   * once `loaded` resolves (`bytes` is the planned size until then).
   */
  readonly complete: boolean;
  /** Resolves when the set is complete; rejects with the load's error (exit 2 naming the file). */
  readonly loaded: Promise<void>;
}

const settled = Promise.resolve();

export const noExclusions: Exclusions = { has: () => false, hasAt: () => false, hasWords: () => false, size: 0, bytes: 0, files: [], complete: true, loaded: settled };

export interface ExclusionOptions extends NormaliseOptions {
  /** --delimiter of the run: exclusion CSVs are written by the same tools as the input. */
  delimiter?: string;
}

/** gzip shrinks identifier lists about this much; only a hint for the set's first size. */
const GZIP_RATIO = 3;

/** The finished set of a run's exclusion files, built on this thread or on the loader's (exclusion-loader.ts). */
export interface ExclusionTable {
  set: DigestSet;
  filter: BitFilter;
  files: ExclusionFileSummary[];
}

/** Loads the files on this thread; the set is complete when the promise resolves. */
export async function loadExclusions(files: readonly string[], options: ExclusionOptions = {}): Promise<Exclusions> {
  if (files.length === 0) return noExclusions;
  return exclusionsOf(await buildExclusionTable(files, options));
}

/**
 * Reads, normalises and hashes every file into one set. `onStarted` hears the set's planned size
 * once every file is open and its columns are known, so the errors a user is most likely to meet
 * (missing file, no identifier column) come before it.
 */
export async function buildExclusionTable(
  files: readonly string[],
  options: ExclusionOptions,
  onStarted?: (plannedBytes: number) => void,
): Promise<ExclusionTable> {
  const sources = await Promise.all(files.map(openExclusionFile));
  try {
    const started = await Promise.all(sources.map(startReading));
    const expected = started.reduce((sum, file) => sum + expectedRows(file), 0);
    const set = new DigestSet(expected);
    const loaders = started.map((file) => new ExclusionFileLoader(file, set, options));
    for (const loader of loaders) loader.begin();
    onStarted?.(set.bytes + BitFilter.bytesFor(expected));
    const summaries: ExclusionFileSummary[] = [];
    for (const loader of loaders) summaries.push(await loader.finish());
    return { set, filter: BitFilter.of(set), files: summaries };
  } finally {
    for (const source of sources) source.close();
  }
}

/** The checks over a finished table: a record passes the bit filter first, then the set. */
export function exclusionsOf({ set, filter, files }: ExclusionTable): Exclusions {
  const hasWords = (hi: number, lo: number) => filter.mayHave(lo) && set.hasWords(hi, lo);
  const hasAt = (text: string, offset: number) => hasWords(hexWord(text, offset), hexWord(text, offset + 8));
  return {
    has: (record) => hasAt(record, 0),
    hasAt,
    hasWords,
    size: set.size,
    /** What the set and its filter hold in memory. */
    bytes: set.bytes + filter.bytes,
    files,
    complete: true,
    loaded: settled,
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

/** An exclusion file with its first chunk read: that chunk tells how long its rows are. */
interface StartedFile {
  source: InputSource;
  chunks: AsyncIterator<Buffer>;
  first: IteratorResult<Buffer>;
}

async function startReading(source: InputSource): Promise<StartedFile> {
  const chunks = source.chunks[Symbol.asyncIterator]();
  try {
    return { source, chunks, first: await chunks.next() };
  } catch (error) {
    throw inExclusionFile(source.name, error);
  }
}

/**
 * Rows the file holds, guessed from its size and its first chunk's line length (a SHA-256 row is
 * 2.7× an email's), so the set and filter start at about the size they end at.
 */
function expectedRows(file: StartedFile): number {
  const chunk = file.first.done ? Buffer.alloc(0) : file.first.value;
  const bytes = file.source.totalBytes ?? chunk.length;
  const plainBytes = /\.gz$/i.test(file.source.name) ? bytes * GZIP_RATIO : bytes;
  const bytesPerRow = chunk.length / Math.max(1, countLines(chunk));
  return Math.ceil(Math.max(plainBytes, chunk.length) / Math.max(1, bytesPerRow));
}

function countLines(chunk: Buffer): number {
  let lines = 0;
  for (let at = chunk.indexOf(10); at !== -1; at = chunk.indexOf(10, at + 1)) lines++;
  return lines;
}

/** One file into the set: `begin` reads its first chunk (header and columns), `finish` the rest. */
class ExclusionFileLoader {
  private readonly keys: KeyBuffer;
  private readonly sink: ExclusionSink;
  private readonly reader: RowReader;
  /** While the rows are bare SHA-256s of a one-column CSV: reads them from the bytes. */
  private hashedLines: HashedLines | undefined;
  private readonly mayBeHashedLines: boolean;

  constructor(
    private readonly file: StartedFile,
    set: DigestSet,
    options: ExclusionOptions,
  ) {
    this.keys = new KeyBuffer(set);
    this.sink = new ExclusionSink(this.keys, file.source.name, options);
    const format = file.source.format ?? 'csv';
    this.reader = createRowReader({ format, delimiter: options.delimiter, everyAliasColumn: true }, this.sink);
    this.mayBeHashedLines = format === 'csv' && !/^[0-9a-f\r\n]/i.test(options.delimiter ?? ',');
  }

  begin(): void {
    if (this.file.first.done) return;
    const first = this.file.first.value;
    try {
      const headerEnd = this.mayBeHashedLines ? first.indexOf(LF) + 1 : 0;
      if (headerEnd === 0) return this.reader.push(first);
      this.reader.push(first.subarray(0, headerEnd));
      if (this.sink.oneColumnFirst()) this.hashedLines = new HashedLines(this.keys);
      this.push(first.subarray(headerEnd));
    } catch (error) {
      throw inExclusionFile(this.file.source.name, error);
    }
  }

  async finish(): Promise<ExclusionFileSummary> {
    const { file } = this;
    try {
      if (!file.first.done) for (let next = await file.chunks.next(); !next.done; next = await file.chunks.next()) this.push(next.value);
      if (this.hashedLines) this.readerTakesOver(this.hashedLines.finish());
      this.reader.end();
      this.keys.flush();
    } catch (error) {
      throw inExclusionFile(file.source.name, error);
    } finally {
      file.source.close();
    }
    return this.sink.summary;
  }

  private push(chunk: Buffer): void {
    if (!this.hashedLines) return this.reader.push(chunk);
    const rest = this.hashedLines.take(chunk);
    if (rest) this.readerTakesOver(rest);
  }

  /** The CSV reader reads on from `rest`, counting the lines read from the bytes as blank ones, so its line numbers stay true. */
  private readerTakesOver(rest: Buffer | undefined): void {
    const lines = this.hashedLines!;
    this.hashedLines = undefined;
    this.sink.summary.rows += lines.rows;
    if (lines.rows > 0) this.sink.usedFirstColumn();
    if (!rest) return;
    this.reader.push(Buffer.alloc(lines.lines, LF));
    this.reader.push(rest);
  }
}

const LF = 0x0a;

/** Adds every usable identifier of every row; a row with none excludes nobody and is only counted. */
class ExclusionSink implements RowSink {
  readonly summary: ExclusionFileSummary;
  private normalisers: Array<(raw: string) => Normalised> = [];
  private columnKinds: IdentifierKind[] = [];
  private firstColumnOnly = false;

  constructor(
    private readonly set: KeyBuffer,
    name: string,
    /** The run's phone country: an excluded phone matches exactly the record the input would send. */
    private readonly normalising: NormaliseOptions,
  ) {
    this.summary = { name, rows: 0, unusable: 0, kinds: [] };
  }

  planned(plan: ColumnPlan): void {
    this.normalisers = plan.columns.map((column) => normaliserFor(column.kind, this.normalising));
    this.columnKinds = plan.columns.map((column) => column.kind);
    this.firstColumnOnly = plan.columns.length === 1 && plan.columns[0]!.index === 0;
  }

  /** The one column's rows read from the bytes held identifiers of its kind. */
  usedFirstColumn(): void {
    this.used(this.columnKinds[0]!);
  }

  /** Whether the file's one identifier column is its first (so a line holding one value is that column's). */
  oneColumnFirst(): boolean {
    return this.firstColumnOnly;
  }

  row(_line: number, values: string[]): void {
    this.summary.rows++;
    let usable = 0;
    for (let i = 0; i < this.normalisers.length; i++) {
      const raw = values[i]!;
      if (isBlank(raw)) continue;
      // Suppression lists are often shared hashed: a bare SHA-256 is its own record in every column
      // kind, so it skips the normaliser (and the copy a lowercase would make: the set reads either case).
      const record = isSha256Hex(raw) ? raw : this.normalisers[i]!(raw);
      if (typeof record !== 'string') continue; // invalid, or the all-zero device id
      this.set.add(record);
      this.used(this.columnKinds[i]!);
      usable++;
    }
    if (usable === 0) this.summary.unusable++;
  }

  malformed(): void {
    this.summary.rows++;
    this.summary.unusable++;
  }

  private used(kind: IdentifierKind): void {
    if (!this.summary.kinds.includes(kind)) this.summary.kinds.push(kind);
  }
}

/** Keys waiting to enter the set (16 KiB of words: stays in L1 cache). */
const KEY_BATCH = 2048;

/**
 * Hands records to the set in batches. Between two records sits a SHA-256 or a row's parsing, so a
 * table probe done at once stalls on its cache miss every time; a batch of probes back to back lets
 * the processor wait for many misses at once (loading 1M emails: about a fifth less CPU, measured).
 */
class KeyBuffer {
  private readonly words = new Uint32Array(KEY_BATCH * 2);
  private count = 0;

  constructor(private readonly set: DigestSet) {}

  add(record: string): void {
    this.addWords(hexWord(record, 0), hexWord(record, 8));
  }

  addWords(hi: number, lo: number): void {
    this.words[this.count * 2] = hi;
    this.words[this.count * 2 + 1] = lo;
    if (++this.count === KEY_BATCH) this.flush();
  }

  flush(): void {
    for (let i = 0; i < this.count; i++) this.set.addWords(this.words[i * 2]!, this.words[i * 2 + 1]!);
    this.count = 0;
  }
}

/** The reader's messages speak of "the input" and its flags; say which exclusion file is meant. */
function inExclusionFile(name: string, error: unknown): unknown {
  if (!(error instanceof UsageError)) return error;
  const message = error.message.replace(` ${NAME_ONE}`, ' Name the column email, maid, idfa or phone.');
  return new UsageError(`In the exclusion file ${name}: ${message}`, { cause: error });
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
 * One warning per exclusion file whose identifiers share no kind with the input's columns (device ids
 * against emails): such a list excludes nobody from the run, which is rarely what was meant.
 */
export function disjointKindWarnings(exclusions: Exclusions, inputKinds: readonly IdentifierKind[]): string[] {
  if (inputKinds.length === 0) return [];
  const kinds = (list: readonly IdentifierKind[]) => list.join(' and ');
  return exclusions.files
    .filter((file) => file.kinds.length > 0 && !file.kinds.some((kind) => inputKinds.includes(kind)))
    .map((file) => `The exclusion file ${file.name} lists ${kinds(file.kinds)} identifiers and the input has ${kinds(inputKinds)} ones: it excludes nobody from this run.`);
}

/**
 * The exclusion files as part of a run's identity (journal key): a rerun with other files starts
 * afresh rather than resuming a diff or line numbering computed without them. Empty without files,
 * so a run without --exclude keeps the key it always had.
 */
export function exclusionShape(files: readonly string[] | undefined): { exclude?: string[] } {
  return files && files.length > 0 ? { exclude: files.map((file) => path.resolve(file)) } : {};
}

/** Bits per record: with 1 bit set per record, about 1 in 16 records not excluded passes to the set. */
const FILTER_BITS_PER_RECORD = 16;
/** 16 MiB: beyond ~8M exclusions the filter lets more through, never wrongly keeps one out. */
const MAX_FILTER_BITS = 2 ** 27;

/**
 * One bit per excluded record, taken from digest characters 8-15. Built from the finished set in one
 * sequential pass (so loading pays one cache miss per record, not two) and sized to what it holds.
 * "No" is certain; "maybe" asks the set.
 */
export class BitFilter {
  private readonly mask: number;

  /** `bits`: a filter's words (`words`), possibly filled on another thread. */
  constructor(readonly words: Int32Array) {
    this.mask = words.length * 32 - 1;
  }

  static of(set: DigestSet): BitFilter {
    const filter = new BitFilter(new Int32Array(BitFilter.bytesFor(set.size) / 4));
    const { words, mask } = filter;
    set.forEach((_hi, lo) => {
      const bit = lo & mask;
      words[bit >>> 5]! |= 1 << (bit & 31);
    });
    return filter;
  }

  /** Memory the filter takes for this many records. */
  static bytesFor(records: number): number {
    const wanted = Math.min(MAX_FILTER_BITS, Math.max(1024, records * FILTER_BITS_PER_RECORD));
    return 2 ** Math.ceil(Math.log2(wanted)) / 8;
  }

  get bytes(): number {
    return this.words.byteLength;
  }

  /** `lo`: the record's second word (hex digits 8-15). */
  mayHave(lo: number): boolean {
    // The set stores a (0, 0) digest prefix as (0, 1): let it answer for those.
    if (lo === 0) return true;
    const bit = lo & this.mask;
    return (this.words[bit >>> 5]! & (1 << (bit & 31))) !== 0;
  }
}

/**
 * Awaits the exclusions a run started loading (the files open, their columns known), and tells the
 * user (one line on stderr) what they exclude once the set is complete. A set still loading on its
 * thread is awaited where rows are judged (identified-rows.ts), so the input's reading and hashing
 * overlap its loading.
 */
export async function exclusionsReady(loading: Promise<Exclusions>, info: (message: string) => void): Promise<Exclusions> {
  const exclusions = await loading;
  const tell = () => {
    const excluding = describeExclusions(exclusions);
    if (excluding) info(excluding);
  };
  if (exclusions.complete) tell();
  else exclusions.loaded.then(tell, () => {}); // a failure surfaces where rows are judged
  return exclusions;
}
