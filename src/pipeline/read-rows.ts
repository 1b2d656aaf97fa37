// source bytes → text → records → identifier columns. Reads CSV (header on line 1) or NDJSON
// (one object per line, same field names) and hands each data row's identifier values, in plan
// order, to a callback. Called chunk by chunk so the caller can pause between chunks.
import { UsageError } from '../errors.js';
import { planColumns, type ColumnFlags, type ColumnPlan } from './columns.js';
import { CsvTokenizer } from './csv-tokenizer.js';
import { Utf8Decoder } from './decode.js';

export type InputFormat = 'csv' | 'ndjson';

export interface RowSink {
  /** The header (or the first NDJSON object) decided which columns to read. */
  planned(plan: ColumnPlan): void;
  /** `values[i]` is the raw value of `plan.columns[i]` ('' when absent); the array is reused. */
  row(line: number, values: string[]): void;
  /** A row that cannot be read at all (NDJSON line that is not a JSON object). */
  malformed(line: number): void;
}

export interface RowReaderOptions extends ColumnFlags {
  format: InputFormat;
  delimiter?: string;
  maxLineChars?: number;
}

export interface RowReader {
  push(chunk: Buffer): void;
  end(): void;
  /** Physical input lines seen so far. */
  readonly line: number;
}

export function createRowReader(options: RowReaderOptions, sink: RowSink): RowReader {
  return options.format === 'ndjson' ? new NdjsonRowReader(options, sink) : new CsvRowReader(options, sink);
}

class CsvRowReader implements RowReader {
  private readonly decoder = new Utf8Decoder();
  private readonly tokenizer: CsvTokenizer;
  private plan: ColumnPlan | undefined;
  private indexes: number[] = [];
  private readonly values: string[] = [];
  private sawHeader = false;

  constructor(
    private readonly options: RowReaderOptions,
    private readonly sink: RowSink,
  ) {
    this.tokenizer = new CsvTokenizer(options.delimiter ?? ',', (fields, count, line) => this.record(fields, count, line), options.maxLineChars);
  }

  get line(): number {
    return this.tokenizer.currentLine;
  }

  push(chunk: Buffer): void {
    const text = this.decoder.decode(chunk, () => this.tokenizer.currentLine);
    if (text.length > 0) this.tokenizer.push(text);
  }

  end(): void {
    this.decoder.finish(() => this.tokenizer.currentLine);
    this.tokenizer.end();
    if (!this.sawHeader) throw new UsageError('The input is empty: expected a header line and rows of identifiers.');
  }

  private record(fields: string[], count: number, line: number): void {
    if (!this.plan) {
      this.sawHeader = true;
      const headers = fields.slice(0, count);
      this.plan = planColumns(headers, this.options);
      this.indexes = this.plan.columns.map((c) => c.index);
      this.tokenizer.keepFields = Math.max(...this.indexes) + 1;
      this.sink.planned(this.plan);
      return;
    }
    const { indexes, values } = this;
    for (let i = 0; i < indexes.length; i++) {
      const index = indexes[i]!;
      values[i] = index < count ? fields[index]! : '';
    }
    this.sink.row(line, values);
  }
}

class NdjsonRowReader implements RowReader {
  private readonly decoder = new Utf8Decoder();
  private tail = '';
  private nextLine = 1;
  private plan: ColumnPlan | undefined;
  private keys: string[] = [];
  private readonly values: string[] = [];
  private sawObject = false;
  private readonly maxLineChars: number;

  constructor(
    private readonly options: RowReaderOptions,
    private readonly sink: RowSink,
  ) {
    this.maxLineChars = options.maxLineChars ?? 1 << 20;
  }

  get line(): number {
    return this.nextLine;
  }

  push(chunk: Buffer): void {
    const text = this.decoder.decode(chunk, () => this.nextLine);
    if (text.length === 0) return;
    const input = this.tail.length > 0 ? this.tail + text : text;
    let start = 0;
    for (let nl = input.indexOf('\n'); nl !== -1; nl = input.indexOf('\n', start)) {
      this.lineOf(input.slice(start, nl));
      start = nl + 1;
    }
    this.tail = input.slice(start);
    if (this.tail.length > this.maxLineChars) {
      throw new UsageError(`Line ${this.nextLine} is longer than ${this.maxLineChars} characters: is this really NDJSON (one JSON object per line)?`);
    }
  }

  end(): void {
    this.decoder.finish(() => this.nextLine);
    if (this.tail.length > 0) this.lineOf(this.tail);
    this.tail = '';
    if (!this.sawObject) throw new UsageError('The input is empty: expected one JSON object per line.');
  }

  private lineOf(text: string): void {
    const line = this.nextLine++;
    if (text.trim().length === 0) return;
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = undefined;
    }
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
      if (!this.sawObject) throw new UsageError(`Line ${line} is not a JSON object: NDJSON input needs one object per line.`);
      this.sink.malformed(line);
      return;
    }
    const object = parsed as Record<string, unknown>;
    if (!this.plan) this.planFrom(object);
    const { keys, values } = this;
    for (let i = 0; i < keys.length; i++) values[i] = fieldText(object[keys[i]!]);
    this.sink.row(line, values);
  }

  private planFrom(object: Record<string, unknown>): void {
    this.sawObject = true;
    this.plan = planColumns(Object.keys(object), this.options, true);
    this.keys = this.plan.columns.map((c) => c.name);
    this.sink.planned(this.plan);
  }
}

function fieldText(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return String(value);
  return '';
}
