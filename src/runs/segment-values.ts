// Segment values as audience names (--audience-column): a value that looks like a personal identifier
// (an email address, a phone number, a device id, a hash) never becomes an audience name and is never
// printed or stored; nor does one holding control characters or longer than Pinterest takes. Such rows
// are not synced (reason invalid_audience_name) and the run says how many, never what they held.
// Names that differ only by case are two audiences on Pinterest: said once, as a warning.
import fs from 'node:fs';
import type { Context } from '../context.js';
import { readAudienceValues } from '../identify/identified-rows.js';
import { cleanValue } from '../identify/normalise.js';
import { openInput } from '../input/source.js';
import { clean } from '../report/table.js';
import { audienceNameProblem, MAX_AUDIENCE_NAME_CHARS, type NameProblem } from './audience-names.js';

/** The segment values of one run: what was refused (counted), and names that differ only by case. */
export class SegmentValues {
  private readonly refused: Record<NameProblem, number> = { identifier: 0, control: 0, too_long: 0 };
  private readonly byLowerCase = new Map<string, string>();

  constructor(
    /** The column, for messages. */
    private readonly column: string,
    private readonly warn: (message: string) => void,
  ) {}

  /** Why a value cannot name an audience (the row is counted), or undefined when it can. */
  check(value: string): NameProblem | undefined {
    const problem = audienceNameProblem(value);
    if (problem) this.refused[problem]++;
    return problem;
  }

  /** A value seen for the first time: a name that differs from an earlier one only by case is said once. */
  noteNew(value: string): void {
    const lower = value.toLowerCase();
    const earlier = this.byLowerCase.get(lower);
    if (earlier === undefined) this.byLowerCase.set(lower, value);
    else if (earlier !== value) this.warn(`Segment values "${clean(earlier)}" and "${clean(value)}" differ only by case: they are two audiences.`);
  }

  /** One sentence per kind of refused value, with the row count (never the values). */
  warnings(): string[] {
    const n = (count: number) => `${count.toLocaleString('en-US')} ${count === 1 ? 'row names' : 'rows name'}`;
    const column = `column ${clean(this.column)}`;
    const said: string[] = [];
    if (this.refused.identifier > 0) {
      said.push(
        `${n(this.refused.identifier)} an audience that looks like a personal identifier (an email address, a phone number, a device id or a hash) in ${column}: not synced (invalid_audience_name), and the value is neither printed nor stored. That column must hold audience names.`,
      );
    }
    if (this.refused.control > 0) said.push(`${n(this.refused.control)} an audience with control characters (a line break, TAB, ESC …) in ${column}: not synced (invalid_audience_name).`);
    if (this.refused.too_long > 0) said.push(`${n(this.refused.too_long)} an audience longer than ${MAX_AUDIENCE_NAME_CHARS} characters in ${column}: not synced (invalid_audience_name).`);
    return said;
  }
}

/** A regular file (not standard input, a pipe such as `<(…)`, or a device): it can be read ahead, then read again. */
export function canReadTwice(input: string): boolean {
  if (input === '-' || /^\/(dev|proc)\//.test(input)) return false;
  return fs.statSync(input, { throwIfNoEntry: false })?.isFile() ?? false;
}

/** How many distinct names a file's audience column may hold before it is taken for something else. */
const MAX_SEGMENT_VALUES = 100_000;

/**
 * The audience names a file's column holds (cleaned; refused values left out), read before the file is
 * read for real so that every audience is looked up, and new ones counted, before anything is sent.
 */
export async function segmentValuesOf(
  ctx: Context,
  input: string,
  options: { format?: 'csv' | 'ndjson'; emailColumn?: string; maidColumn?: string; idfaColumn?: string; audienceColumn: string },
  delimiter: string,
): Promise<Set<string>> {
  const source = await openInput(input, ctx.stdin, options.format);
  try {
    const accept = (raw: string) => {
      const value = cleanValue(raw);
      return value.length > 0 && !audienceNameProblem(value) ? value : undefined;
    };
    return await readAudienceValues({ ...options, source, delimiter }, accept, MAX_SEGMENT_VALUES);
  } finally {
    source.close();
  }
}

/** A fan-out's hint for a digits-only value that names no audience (it reads as an id, so --create cannot name one after it). */
export function segmentHint(audienceColumn: string | undefined, value: string): { digitsHint?: string } {
  if (audienceColumn === undefined) return {};
  return {
    digitsHint: `The segment value "${clean(value)}" reads as an audience id, so it cannot name a new audience: use the id of an existing audience, or a name with letters (such as "Segment ${clean(value)}").`,
  };
}

/** A dry run's one line on the audiences a real run would create. */
export function tellAudiencesToCreate(ctx: Pick<Context, 'info'>, names: readonly string[]): void {
  if (names.length === 0) return;
  const shown = names.slice(0, 10).map((name) => `"${clean(name)}"`).join(', ') + (names.length > 10 ? ` and ${(names.length - 10).toLocaleString('en-US')} more` : '');
  ctx.info(`A real run would create ${names.length === 1 ? '1 audience' : `${names.length.toLocaleString('en-US')} audiences`} (customer list first): ${shown}.`);
}
