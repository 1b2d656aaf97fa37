// The report of an --audience-column run (contract: `audiences`): one report object per audience,
// and at the top their totals plus the rows that named no audience, so that
// entered = synced + duplicates + notSynced + errored + pending holds for each and overall.
import type { RunReport } from '../report/run-report.js';
import { formatSummary } from '../report/summary.js';
import { clean } from '../report/table.js';
import type { RunEnd } from '../send/outcome.js';

/** Counts summed over the audiences (sync adds its mirror counts). */
const SUMMED = ['entered', 'synced', 'duplicates', 'notSynced', 'errored', 'pending', 'records'] as const;
const SUMMED_IF_PRESENT = ['added', 'removed', 'unchanged', 'removeErrored', 'removePending'] as const;

/**
 * `top` holds the run-wide parts (client counters, times) and the counts of the rows that reached no
 * audience; the audiences' counts are added to it. Per audience, `requests` counts its own write
 * requests; retries and rate-limited answers are run-wide, so they are only at the top.
 */
export function fanOutReport(top: RunReport, column: string, audiences: RunReport[]): RunReport {
  for (const key of SUMMED) top[key] = audiences.reduce((sum, a) => sum + a[key], top[key]);
  for (const key of SUMMED_IF_PRESENT) {
    if (audiences.some((a) => typeof a[key] === 'number')) top[key] = audiences.reduce((sum, a) => sum + (Number(a[key]) || 0), 0);
  }
  top.notSyncedReasons = mergeCounts(top.notSyncedReasons, audiences.map((a) => a.notSyncedReasons));
  top.errors = mergeCounts(top.errors, audiences.map((a) => a.errors));
  if (top.dryRun) {
    top.wouldSend = {
      requests: audiences.reduce((sum, a) => sum + (a.wouldSend?.requests ?? 0), 0),
      records: audiences.reduce((sum, a) => sum + (a.wouldSend?.records ?? 0), 0),
    };
  }
  top.audienceColumn = column;
  top.audiences = audiences.map(({ retries: _retries, rateLimited: _rateLimited, ...rest }) => rest);
  return top;
}

function mergeCounts(first: Record<string, number>, rest: Record<string, number>[]): Record<string, number> {
  const merged = { ...first };
  for (const counts of rest) for (const [key, value] of Object.entries(counts)) merged[key] = (merged[key] ?? 0) + value;
  return merged;
}

/** Interrupted wins over a fatal stop, which wins over a corrupt input, which wins over a clean end. */
export function worstEnd(ends: readonly RunEnd[]): RunEnd {
  return (
    ends.find((e) => e.stop === 'interrupted') ??
    ends.find((e) => e.stop === 'fatal') ??
    ends.find((e) => e.stop === 'input') ?? { stop: 'end', fatal: undefined }
  );
}

/** The usual summary for the totals, then one line per audience. */
export function fanOutSummary(report: RunReport, input: string): string {
  const audiences = (report.audiences as RunReport[]) ?? [];
  const column = clean(String(report.audienceColumn));
  const totals = formatSummary({ ...report, audienceName: `${audiences.length} audiences named in column ${column}` }, input);
  const n = (value: number) => value.toLocaleString('en-US');
  const lines = audiences.map((a) => {
    const mirror = typeof a.added === 'number' ? `, ${n(a.added)} added, ${n(Number(a.removed))} removed` : '';
    return `  · "${clean(a.audienceName ?? '?')}": ${n(a.entered)} rows, ${n(a.synced)} synced, ${n(a.duplicates)} duplicates, ${n(a.notSynced)} not synced, ${n(a.errored)} errored, ${n(a.pending)} pending${mirror}`;
  });
  return totals + lines.map((line) => line + '\n').join('');
}
