// What push and sync make of their flags before anything is opened: the audience flags checked once
// for both (one audience, or a column naming each row's), and the input, batching and rate flags turned
// into checked numbers with the reference product's defaults. The batch limits the help reads at
// start-up are in limits.ts, which imports nothing.
import { UsageError } from '../errors.js';
import { DEFAULT_WRITE_RATE } from '../pinterest/ratelimit/index.js';
import { DEFAULT_RETRY_FOR_MS } from '../pinterest/retry.js';
import { identifierAsAudienceColumn, isIdentifierColumnName, type ColumnFlags } from '../input/columns.js';
import type { InputOptions, PushOptions, SyncOptions } from './options.js';
import { audienceNameProblem, MAX_AUDIENCE_NAME_CHARS } from './audience-names.js';
import { MAX_BATCH_SIZE, MIN_BATCH_SIZE } from './limits.js';

const DEFAULT_FLUSH_INTERVAL_SECONDS = 5;
/** A sync holds this many batches in flight at most, so a first sync of millions at a high --rate stays flat. */
const SYNC_MAX_IN_FLIGHT = 32;

export interface RunSettings {
  batchSize: number;
  /** --max-new-audiences. */
  maxNewAudiences: number;
  flushIntervalMs: number;
  /** Write requests per second. */
  rate: number;
  retryForMs: number;
  delimiter: string;
  /** Requests one audience keeps in flight: enough to keep the rate busy at ~2 s latency. */
  maxInFlight: number;
}

/** Where a run's rows go: one audience for every row, or the audience each row names in a column. */
export type Routing = { audience: string; column?: undefined } | { column: string; audience?: undefined };

/** --max-new-audiences: a run creates at most this many audiences unless told otherwise. */
export const DEFAULT_MAX_NEW_AUDIENCES = 20;

export function pushSettings(options: PushOptions): RunSettings {
  return inputSettings(options, Infinity);
}

export function syncSettings(options: SyncOptions): RunSettings {
  return inputSettings(options, SYNC_MAX_IN_FLIGHT);
}

/**
 * --audience NAME, or --audience-column NAME: exactly one of them (and no --remove from a new audience).
 * The audience column may not be an identifier column: a raw identifier never becomes an audience name.
 */
export function routingOf(options: { audience?: string; audienceColumn?: string; create?: boolean; remove?: boolean } & ColumnFlags): Routing {
  if (options.create && options.remove) throw new UsageError('--create and --remove do not go together: there is nothing to remove from a new audience.');
  if (options.audienceColumn === undefined) {
    const audience = options.audience?.trim();
    if (!audience) throw new UsageError('No audience given: pass --audience <id-or-name>.');
    if (options.create) refuseAsNewName(audience);
    return { audience };
  }
  if (options.audience?.trim()) {
    throw new UsageError('--audience and --audience-column do not go together: name one audience, or the column that names each row\'s audience.');
  }
  const column = options.audienceColumn.trim();
  if (!column) throw new UsageError('--audience-column needs a column name.');
  if (isIdentifierColumnName(column, options)) throw identifierAsAudienceColumn(column);
  return { column };
}

/** A name --create would give a new audience follows the segment values' rule (never printed back). */
function refuseAsNewName(audience: string): void {
  const problem = audienceNameProblem(audience);
  if (problem === 'identifier') throw new UsageError('--audience looks like a personal identifier (an email address, a phone number, a device id or a hash): --create will not name an audience so. Choose another name.');
  if (problem === 'control') throw new UsageError('--audience holds control characters (a line break, TAB, ESC …): --create will not name an audience so.');
  if (problem === 'too_long') throw new UsageError(`--audience is longer than ${MAX_AUDIENCE_NAME_CHARS} characters: --create will not name an audience so.`);
}

function inputSettings(options: InputOptions, inFlightCap: number): RunSettings {
  const batchSize = options.batchSize ?? MAX_BATCH_SIZE;
  if (!Number.isInteger(batchSize) || batchSize < MIN_BATCH_SIZE || batchSize > MAX_BATCH_SIZE) {
    throw new UsageError(`--batch-size must be a whole number from ${MIN_BATCH_SIZE} to ${MAX_BATCH_SIZE}.`);
  }
  const rate = options.rate ?? DEFAULT_WRITE_RATE;
  const maxNewAudiences = options.maxNewAudiences ?? DEFAULT_MAX_NEW_AUDIENCES;
  if (!Number.isInteger(maxNewAudiences) || maxNewAudiences < 0) throw new UsageError('--max-new-audiences must be a whole number, 0 or more.');
  return {
    batchSize,
    maxNewAudiences,
    flushIntervalMs: Math.round((options.flushInterval ?? DEFAULT_FLUSH_INTERVAL_SECONDS) * 1000),
    rate,
    retryForMs: options.retryFor ?? DEFAULT_RETRY_FOR_MS,
    delimiter: parseDelimiter(options.delimiter),
    maxInFlight: Math.min(inFlightCap, Math.max(4, Math.ceil(rate * 2))),
  };
}

/** --delimiter: one character, or "tab" / "\t". */
export function parseDelimiter(value: string | undefined): string {
  if (value === undefined) return ',';
  if (value === '\\t' || value.toLowerCase() === 'tab' || value === '\t') return '\t';
  if (value.length !== 1 || value === '"' || value === '\n' || value === '\r') {
    throw new UsageError(`--delimiter takes one character such as "," ";" "|" or "tab", not "${value}".`);
  }
  return value;
}
