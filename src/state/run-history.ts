// What `pinsync runs` shows: each recorded run with the reference metrics (entered, synced, not
// synced, pending, errored), its duration and exit code, and its match health (the audience size
// Pinterest showed against the users synced), grouped by audience.
import fs from 'node:fs';
import type { Context } from '../context.js';
import { NotFoundError, UsageError } from '../errors.js';
import { isRunLockHeld, runLockKey } from './run-lock.js';
import type { RunRecord } from './runs.js';
import { matchRate, type RunHealth } from './match-health.js';
import { openStateStoreForReading } from './store.js';

export interface RunSummary {
  id: number;
  command: string;
  operation: string;
  status: string;
  adAccountId: string | null;
  audienceId: string | null;
  audienceName: string | null;
  input: string | null;
  attempts: number;
  entered: number | null;
  synced: number | null;
  duplicates: number | null;
  notSynced: number | null;
  pending: number | null;
  errored: number | null;
  added?: number;
  removed?: number;
  startedAt: string;
  finishedAt: string | null;
  durationMs: number | null;
  exitCode: number | null;
  /** What Pinterest showed once it had matched the run's upload (read by the next run, or --wait-ready). */
  health?: {
    checkedAt: string;
    listStatus: string | null;
    audienceSize: number | null;
    usersSynced: number | null;
    /** audienceSize / usersSynced, for a sync (a push only adds: none). */
    matchRate: number | null;
    warning: string | null;
  };
}

export async function listRuns(ctx: Context, limit: number): Promise<RunSummary[]> {
  if (!fs.existsSync(ctx.paths.stateFile)) return [];
  const store = await openStateStoreForReading(ctx.paths.stateFile);
  try {
    const runs = await Promise.all(store.runs.list(limit).map((run) => withLiveStatus(ctx, run)));
    const health = store.health.ofRuns(runs.map((run) => run.id));
    return runs
      .map((run) => withHealth(summarise(run), health.get(run.id)))
      .sort((a, b) => audienceLabel(a).localeCompare(audienceLabel(b)) || b.id - a.id);
  } finally {
    store.close();
  }
}

export async function showRun(ctx: Context, idText: string): Promise<Record<string, unknown>> {
  const id = Number(idText);
  if (!Number.isInteger(id) || id <= 0) throw new UsageError(`"${idText}" is not a run id: take one from \`pinsync runs\`.`);
  const missing = new NotFoundError(`No run ${id} is recorded: \`pinsync runs\` lists the runs there are.`);
  if (!fs.existsSync(ctx.paths.stateFile)) throw missing;
  const store = await openStateStoreForReading(ctx.paths.stateFile);
  try {
    const stored = store.runs.get(id);
    if (!stored) throw missing;
    const run = await withLiveStatus(ctx, stored);
    const report = run.reportJson ? (JSON.parse(run.reportJson) as Record<string, unknown>) : {};
    const errored = store.runs.batches(id, 'failed').map((b) => ({ firstLine: b.firstLine, lastLine: b.lastLine, reason: b.reason }));
    const summary = withHealth(summarise(run), store.health.ofRuns([id]).get(id));
    return { ...summary, ...report, ...flatHealth(summary), runId: run.id, status: run.status, attempts: run.attempts, erroredRanges: errored };
  } finally {
    store.close();
  }
}

/** A run still marked running whose process is gone (its lock is free) was interrupted: killed hard. */
async function withLiveStatus(ctx: Context, run: RunRecord): Promise<RunRecord> {
  if (run.status !== 'running') return run;
  const alive = await isRunLockHeld(ctx.paths.stateDir, run.lockKey ?? runLockKey(run.runKey));
  return alive ? run : { ...run, status: 'interrupted' };
}

function summarise(run: RunRecord): RunSummary {
  const report = run.reportJson ? (JSON.parse(run.reportJson) as Record<string, unknown>) : {};
  const count = (key: string) => (typeof report[key] === 'number' ? (report[key] as number) : null);
  const finishedAt = run.finishedAt;
  const summary: RunSummary = {
    id: run.id,
    command: run.command,
    operation: run.operation,
    status: run.status,
    adAccountId: run.adAccountId,
    audienceId: run.audienceId,
    audienceName: run.audienceName ?? run.audience,
    input: run.inputName,
    attempts: run.attempts,
    entered: count('entered'),
    synced: count('synced'),
    duplicates: count('duplicates'),
    notSynced: count('notSynced'),
    pending: count('pending'),
    errored: count('errored'),
    startedAt: new Date(run.startedAt).toISOString(),
    finishedAt: finishedAt === null ? null : new Date(finishedAt).toISOString(),
    durationMs: count('durationMs') ?? (finishedAt === null ? null : finishedAt - run.startedAt),
    exitCode: run.exitCode,
  };
  if (run.operation === 'MIRROR') {
    summary.added = count('added') ?? 0;
    summary.removed = count('removed') ?? 0;
  }
  return summary;
}

function withHealth(summary: RunSummary, reading: RunHealth | undefined): RunSummary {
  if (!reading) return summary;
  const rate = matchRate(reading);
  summary.health = {
    checkedAt: new Date(reading.checkedAt).toISOString(),
    listStatus: reading.listStatus,
    audienceSize: reading.audienceSize,
    usersSynced: reading.usersSynced,
    matchRate: rate === undefined ? null : Math.round(rate * 10_000) / 10_000,
    warning: reading.warning,
  };
  return summary;
}

/** `runs show` prints flat keys: the health as matchRate, audienceSize, listStatus, healthCheckedAt, healthWarning. */
function flatHealth(summary: RunSummary): Record<string, unknown> {
  const health = summary.health;
  if (!health) return {};
  return { matchRate: health.matchRate, audienceSize: health.audienceSize, listStatus: health.listStatus, healthCheckedAt: health.checkedAt, healthWarning: health.warning };
}

/** The MATCH column: the match rate of a sync, else the size Pinterest showed, else the list's status. */
function matchColumn(run: RunSummary): string {
  const health = run.health;
  if (!health) return '-';
  const flag = health.warning ? ' !' : '';
  if (health.matchRate !== null) return `${(health.matchRate * 100).toFixed(0)}%${flag}`;
  if (health.audienceSize !== null) return `${health.audienceSize.toLocaleString('en-US')}${flag}`;
  return `${health.listStatus ?? '?'}${flag}`;
}

/** The warning of each audience's newest reading (an older one may have been dealt with). */
export function currentHealthWarnings(rows: readonly RunSummary[]): string[] {
  const newest = new Map<string, RunSummary>();
  for (const row of rows) {
    const label = audienceLabel(row);
    if (row.health && (!newest.has(label) || row.id > newest.get(label)!.id)) newest.set(label, row);
  }
  return [...newest.values()].flatMap((row) => (row.health?.warning ? [`run ${row.id}: ${row.health.warning}`] : []));
}

function audienceLabel(run: RunSummary): string {
  return run.audienceName ?? run.audienceId ?? '';
}

export async function renderRunsTable(ctx: Context, rows: RunSummary[]): Promise<string> {
  const { renderTable, stdoutTableOptions } = await import('../report/table.js');
  const number = (value: number | null | undefined) => (value === null || value === undefined ? '-' : value.toLocaleString('en-US'));
  return renderTable(
    rows,
    [
      { header: 'AUDIENCE', value: (r) => audienceLabel(r) || '-', shrink: true },
      { header: 'RUN', value: (r) => String(r.id), align: 'right' },
      { header: 'OPERATION', value: (r) => r.operation },
      { header: 'STARTED', value: (r) => r.startedAt.replace('T', ' ').slice(0, 19) },
      { header: 'ENTERED', value: (r) => number(r.entered), align: 'right' },
      { header: 'SYNCED', value: (r) => number(r.synced), align: 'right' },
      { header: 'NOT SYNCED', value: (r) => number(r.notSynced), align: 'right' },
      { header: 'PENDING', value: (r) => number(r.pending), align: 'right' },
      { header: 'ERRORED', value: (r) => number(r.errored), align: 'right' },
      { header: 'MATCH', value: matchColumn, align: 'right' },
      { header: 'DURATION', value: (r) => formatDuration(r.durationMs) , align: 'right' },
      { header: 'EXIT', value: (r) => (r.exitCode === null ? r.status : String(r.exitCode)), align: 'right' },
    ],
    stdoutTableOptions(ctx),
  );
}

export function renderRunDetails(run: Record<string, unknown>): string {
  const skip = new Set(['notSyncedReasons', 'errors', 'erroredRanges']);
  const shown = Object.entries(run).filter(([key, value]) => !skip.has(key) && value !== null && value !== undefined && typeof value !== 'object');
  const width = Math.max(18, ...shown.map(([key]) => key.length));
  const lines = shown.map(([key, value]) => `${key.padEnd(width)} ${String(value)}`);
  const reasons = run.notSyncedReasons as Record<string, number> | undefined;
  for (const [reason, n] of Object.entries(reasons ?? {})) lines.push(`${'  not synced:'.padEnd(width)} ${n} ${reason}`);
  const ranges = (run.erroredRanges as { firstLine: number; lastLine: number; reason: string | null }[] | undefined) ?? [];
  for (const range of ranges) lines.push(`${'  errored lines:'.padEnd(width)} ${range.firstLine}-${range.lastLine} (${range.reason ?? 'unknown'})`);
  return lines.join('\n') + '\n';
}

function formatDuration(ms: number | null): string {
  if (ms === null) return '-';
  const seconds = Math.round(ms / 1000);
  if (seconds < 60) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes}m${String(seconds % 60).padStart(2, '0')}s`;
  return `${Math.floor(minutes / 60)}h${String(minutes % 60).padStart(2, '0')}m`;
}
