// source bytes → text → records → identifier columns. Reads CSV (header on line 1) or NDJSON
// (one object per line, identifier fields looked for in each) and hands each data row's identifier
// values, in plan order (then the --audience-column value, if any), to a callback. Called chunk by chunk so the caller can pause between chunks.
import { UsageError } from '../errors.js';
import { listColumns, listTypeOf, NAME_ONE, planColumns, recordsV2Of, type ColumnFlags, type ColumnPlan } from './columns.js';
import { FieldPicker } from './ndjson-fields.js';
import { CsvTokenizer } from './csv-tokenizer.js';
import { Utf8Decoder } from './decode.js';

export type InputFormat = 'csv' | 'ndjson';

export interface RowSink {
  /** The header (or NDJSON's first chunk) decided which columns to read; comes before any row. */
  planned(plan: ColumnPlan): void;
  /**
   * `values[i]` is the raw value of `plan.columns[i]` ('' when absent), then with `plan.audience`
   * the row's audience at `values[plan.columns.length]`; the array is reused.
   */
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
      if (this.plan.audience) this.indexes.push(this.plan.audience.index);
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

/** A row of the first chunk, held until the fields found in it decide the plan. */
interface HeldRow {
  line: number;
  values: string[] | undefined;
}

class NdjsonRowReader implements RowReader {
  private readonly decoder = new Utf8Decoder();
  private tail = '';
  private nextLine = 1;
  private readonly picker: FieldPicker;
  private readonly values: string[] = [];
  private firstKeys: string[] | undefined;
  /** Bit per column: a value was found in some object so far. */
  private found = 0;
  private held: HeldRow[] | undefined = [];
  private readonly maxLineChars: number;

  constructor(
    private readonly options: RowReaderOptions,
    private readonly sink: RowSink,
  ) {
    this.maxLineChars = options.maxLineChars ?? 1 << 20;
    this.picker = new FieldPicker(options);
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
    if (this.firstKeys) this.planOnce();
  }

  end(): void {
    this.decoder.finish(() => this.nextLine);
    if (this.tail.length > 0) this.lineOf(this.tail);
    this.tail = '';
    if (!this.firstKeys) throw new UsageError('The input is empty: expected one JSON object per line.');
    this.planOnce();
    if (this.found === 0) throw new UsageError(this.nothingFoundMessage());
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
      if (!this.firstKeys) throw new UsageError(`Line ${line} is not a JSON object: NDJSON input needs one object per line.`);
      if (this.held) this.held.push({ line, values: undefined });
      else this.sink.malformed(line);
      return;
    }
    const object = parsed as Record<string, unknown>;
    this.firstKeys ??= Object.keys(object);
    this.found |= this.picker.pick(object, this.values);
    if (this.held) this.held.push({ line, values: this.values.slice() });
    else this.sink.row(line, this.values);
  }

  /**
   * After the first chunk: the list type, and whether rows go as records_v2, follow the identifier kinds
   * its objects hold (roughly the first batch); the rows held meanwhile are handed on.
   */
  private planOnce(): void {
    if (!this.held) return;
    const columns = this.picker.columns;
    const seen = columns.filter((_, i) => (this.found >> i) & 1);
    const audience = this.picker.audience;
    const kindsHeld = this.picker.named ? columns : seen;
    this.sink.planned({ columns, listType: listTypeOf(seen.length > 0 ? seen : columns), recordsV2: recordsV2Of(kindsHeld, this.options.rows), ...(audience ? { audience } : {}) });
    const held = this.held;
    this.held = undefined;
    for (const row of held) {
      if (row.values) this.sink.row(row.line, row.values);
      else this.sink.malformed(row.line);
    }
  }

  private nothingFoundMessage(): string {
    const fields = `fields of the first object: ${listColumns(this.firstKeys!)}`;
    const hint = 'a dotted path such as traits.email reaches into nested objects';
    if (this.picker.named) {
      const names = this.picker.columns.map((c) => `"${c.name}"`).join(' or ');
      return `No object holds ${names} (${fields}). Check the field names; ${hint}.`;
    }
    return `No identifier field found in any object (${fields}). ${NAME_ONE.replace(/\.$/, '')}; ${hint}.`;
  }
}
