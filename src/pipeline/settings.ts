// What push and sync make of their shared input, batching and rate flags (InputOptions): the
// reference product's numbers as defaults and limits, checked once for both. Light on purpose:
// src/commands/input-flags.ts reads MAX_BATCH_SIZE at start-up.
import type { InputOptions } from './run-options.js';
import { UsageError } from '../errors.js';
import { DEFAULT_WRITE_RATE } from '../pinterest/ratelimit/index.js';
import { DEFAULT_RETRY_FOR_MS } from '../pinterest/retry.js';

/** Records per request: Pinterest's limit, and the reference product's batch. */
export const MAX_BATCH_SIZE = 1900;
const MIN_BATCH_SIZE = 3;
export const DEFAULT_FLUSH_INTERVAL_SECONDS = 5;

export interface RunSettings {
  batchSize: number;
  flushIntervalMs: number;
  /** Write requests per second. */
  rate: number;
  retryForMs: number;
  delimiter: string;
}

export function runSettings(options: InputOptions & { audience?: string }): RunSettings {
  if (!options.audience?.trim() && !options.audienceColumn?.trim()) throw new UsageError('No audience given: pass --audience <id-or-name>.');
  const batchSize = options.batchSize ?? MAX_BATCH_SIZE;
  if (!Number.isInteger(batchSize) || batchSize < MIN_BATCH_SIZE || batchSize > MAX_BATCH_SIZE) {
    throw new UsageError(`--batch-size must be a whole number from ${MIN_BATCH_SIZE} to ${MAX_BATCH_SIZE}.`);
  }
  return {
    batchSize,
    flushIntervalMs: Math.round((options.flushInterval ?? DEFAULT_FLUSH_INTERVAL_SECONDS) * 1000),
    rate: options.rate ?? DEFAULT_WRITE_RATE,
    retryForMs: options.retryFor ?? DEFAULT_RETRY_FOR_MS,
    delimiter: parseDelimiter(options.delimiter),
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
