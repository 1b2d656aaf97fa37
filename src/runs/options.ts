// What a push or sync run is asked to do: the option types the commands fill from their flags and
// the runs read. They live beside the runs so that types flow down from commands/ to runs/.
import type { RowFormat } from '../input/columns.js';

/** Input, batching and report flags shared by push, sync and `audiences create --from`. */
export interface InputOptions {
  format?: 'csv' | 'ndjson';
  delimiter?: string;
  emailColumn?: string;
  maidColumn?: string;
  idfaColumn?: string;
  phoneColumn?: string;
  /** --phone-country: the country of phone numbers written without + (ISO 3166-1 alpha-2). */
  phoneCountry?: string;
  /** --rows v2: one records_v2 row per user even without a phone column (v1: the `records` string). */
  rows?: RowFormat;
  /** push/sync --audience-column: each row names its audience there (instead of --audience). */
  audienceColumn?: string;
  /** --max-new-audiences: more audiences to create than this stop the run before any is created (default 20). */
  maxNewAudiences?: number;
  /** --exclude FILE (repeatable): users who must never be uploaded. */
  exclude?: string[];
  batchSize?: number;
  /** Seconds. */
  flushInterval?: number;
  rate?: number;
  /** Milliseconds. */
  retryFor?: number;
  /** Milliseconds: how long the end of a --create run waits for Pinterest to accept the new audience. */
  audienceWait?: number;
  restart?: boolean;
  /** --wait-ready [duration]: wait for Pinterest to match this run's upload, and record the audience size. */
  waitReady?: number | true;
  /** --warn-size-drop PERCENT: warn when the audience shrinks more than this between readings (default 20). */
  warnSizeDrop?: number;
  /** Lifts only the wrong-mapping guard (most rows without a valid identifier). */
  allowMissingIdentifiers?: boolean;
  report?: string;
  rejects?: string;
  /** --metrics-file: checked with the other outputs before anything is sent; written at the end by ci/. */
  metricsFile?: string;
  json?: boolean;
  /** false with --no-progress. */
  progress?: boolean;
}

export interface PushOptions extends InputOptions {
  audience: string;
  adAccount?: string;
  create?: boolean;
  remove?: boolean;
  dryRun?: boolean;
  force?: boolean;
  /** Audience description when --create makes one (audiences create --from). */
  description?: string;
}

/** Hooks for callers that reuse push (`audiences create --from`, `pinsync run`'s jobs). */
export interface PushHooks {
  /** The report's `command` (default "push"). */
  command?: string;
  /** Whether the input was whole (its command exited 0): a push that read a truncated export ends with exit 2, stoppedBy "input". */
  inputComplete?: Promise<boolean>;
}

/** Hooks for callers that feed a sync (`pinsync run`'s jobs). */
export interface SyncHooks {
  /** Whether the input was whole (its command exited 0): removals wait for it, and none is sent when false. */
  inputComplete?: Promise<boolean>;
  /**
   * The job this sync is (jobs file and name): an --audience-column sync mirrors to empty only the
   * audiences that earlier runs of the same job filled, never another job's of a column of the same name.
   */
  job?: string;
}

export interface SyncOptions extends InputOptions {
  audience: string;
  adAccount?: string;
  create?: boolean;
  maxRemove: number;
  /** Lifts only --max-remove: the wrong-mapping guard needs allowMissingIdentifiers. */
  force?: boolean;
  dryRun?: boolean;
}
