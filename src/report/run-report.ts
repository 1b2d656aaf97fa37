// The run report of the contract ("The run report"): the object `--json` prints and `--report`
// writes, built from the tally and the client's counters at the end of a run.
import { UsageError } from '../errors.js';
import type { StoppedBy } from '../send/outcome.js';
import type { TallyCounts } from '../send/tally.js';
import { writeOutputFile } from './output-file.js';

export type Operation = 'ADD' | 'REMOVE' | 'MIRROR';

export interface RunReport {
  command: string;
  operation: Operation;
  dryRun: boolean;
  adAccountId: string | null;
  audienceId: string | null;
  audienceName: string | null;
  customerListId: string | null;
  entered: number;
  synced: number;
  duplicates: number;
  notSynced: number;
  errored: number;
  pending: number;
  records: number;
  requests: number;
  retries: number;
  rateLimited: number;
  notSyncedReasons: Record<string, number>;
  startedAt: string;
  finishedAt: string;
  durationMs: number;
  /** Why the run ended (src/send/outcome.ts). */
  stoppedBy: StoppedBy;
  // Extras (the contract allows more keys).
  /** Errored rows by reason (rejected_by_pinterest, retries_exhausted, token_rejected, list_not_found …). */
  errors: Record<string, number>;
  listType: string | null;
  /** The durable run's id (`pinsync runs show`), null for dry runs or without state. */
  runId: number | null;
  input: string;
  /** Identifier columns used, by kind. */
  columns: Record<string, string>;
  /** How the run ended: "completed", "interrupted", or the fatal condition that stopped it. */
  outcome: string;
  /** Chance that the 8-byte duplicate check wrongly dropped at least one record. */
  falseDuplicateProbability: number;
  /** Dry runs: what would have been sent. */
  wouldSend?: { requests: number; records: number };
  createdAudience?: boolean;
  /** The customer list holds the users; Pinterest has not accepted the audience on it yet. */
  audiencePending?: boolean;
  [extra: string]: unknown;
}

export interface ReportParts {
  command: string;
  operation: Operation;
  dryRun: boolean;
  target: { adAccountId?: string; audienceId?: string; audienceName?: string; customerListId?: string };
  counts: TallyCounts;
  client: { requests: number; retries: number; rateLimited: number };
  startedAt: number;
  finishedAt: number;
  listType?: string;
  runId?: number;
  input: string;
  columns: Record<string, string>;
  outcome: string;
  stoppedBy: StoppedBy;
  falseDuplicateProbability: number;
}

export function buildRunReport(parts: ReportParts): RunReport {
  const { counts, target } = parts;
  return {
    command: parts.command,
    operation: parts.operation,
    dryRun: parts.dryRun,
    adAccountId: target.adAccountId ?? null,
    audienceId: target.audienceId ?? null,
    audienceName: target.audienceName ?? null,
    customerListId: target.customerListId ?? null,
    entered: counts.entered,
    synced: counts.synced,
    duplicates: counts.duplicates,
    notSynced: counts.notSynced,
    errored: counts.errored,
    pending: counts.pending,
    records: counts.records,
    requests: parts.client.requests,
    retries: parts.client.retries,
    rateLimited: parts.client.rateLimited,
    notSyncedReasons: counts.notSyncedReasons,
    startedAt: new Date(parts.startedAt).toISOString(),
    finishedAt: new Date(parts.finishedAt).toISOString(),
    durationMs: parts.finishedAt - parts.startedAt,
    stoppedBy: parts.stoppedBy,
    errors: counts.errors,
    listType: parts.listType ?? null,
    runId: parts.runId ?? null,
    input: parts.input,
    columns: parts.columns,
    outcome: parts.outcome,
    falseDuplicateProbability: parts.falseDuplicateProbability,
  };
}

/** Written whole, atomically (a device such as /dev/stdout directly); exit 2 when it cannot be. */
export function writeReportFile(file: string, report: RunReport): void {
  writeOutputFile('--report', file, JSON.stringify(report, null, 2) + '\n');
}

/**
 * What a push or sync run returns (gh's xRun result): the exit code and the report, for the command to
 * print (`--json`) or the jobs runner to collect. A --report or --rejects file that could not be written
 * (a disk that filled during the run) is said once the report is out: exit 2.
 */
export interface RunResult {
  exitCode: number;
  report: RunReport;
  outputFailure?: UsageError;
  /** The sentence of the error that stopped the run early (a revoked token, a deleted list), as stderr said it. */
  stopMessage?: string;
}

/** The end of every run: the --report and --rejects files, each tried even when the other fails. */
export function writeRunOutputs(
  report: RunReport,
  exitCode: number,
  files: { report?: string; rejects?: { commit(): void } },
  stopMessage?: string,
): RunResult {
  let failure: unknown;
  const attempt = (write: () => void) => {
    try {
      write();
    } catch (error) {
      failure ??= error;
    }
  };
  if (files.report) attempt(() => writeReportFile(files.report!, report));
  if (files.rejects) attempt(() => files.rejects!.commit());
  if (failure === undefined) return { exitCode, report, stopMessage };
  if (!(failure instanceof UsageError)) throw failure;
  return { exitCode, report, stopMessage, outputFailure: afterTheRun(failure, report.runId) };
}

/** The sending is over when an output fails here: say so, and where the same report can still be read. */
function afterTheRun(failure: UsageError, runId: number | null): UsageError {
  const where = runId === null ? '' : `; \`pinsync runs show ${runId} --json\` prints its report`;
  return new UsageError(`${failure.message.replace(/: choose a writable file\.$/, '.')} The run itself has ended as the summary says${where}.`, { cause: failure });
}
