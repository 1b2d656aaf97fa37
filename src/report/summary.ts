// The short human summary printed on stderr at the end of a run: the reference product's metrics
// (Entered, Synced, Not synced with reasons, Pending, Errored) plus duplicates, requests and time.
import type { RunReport } from './run-report.js';
import { clean } from './table.js';

export function formatSummary(report: RunReport, input: string): string {
  const inputName = clean(input);
  const audienceName = report.audienceName === null ? null : clean(report.audienceName);
  const n = (value: number) => value.toLocaleString('en-US');
  const width = Math.max(...[report.entered, report.synced, report.records].map((v) => n(v).length));
  const row = (label: string, value: number, note = '') => `  ${label.padEnd(12)} ${n(value).padStart(width)}${note ? `  ${note}` : ''}`;
  const target = report.audienceId
    ? `audience "${audienceName ?? report.audienceId}" (${report.audienceId}${report.customerListId ? `, customer list ${report.customerListId}` : ''})`
    : report.audiencePending === true
      ? `audience "${audienceName}" (not created yet: customer list ${report.customerListId})`
      : report.createdAudience === false
      ? `audience "${audienceName}" (to be created)`
      : `audience "${audienceName ?? '?'}"`;
  const verb = report.operation === 'REMOVE' ? 'Removed from' : report.operation === 'MIRROR' ? 'Mirrored into' : 'Pushed to';
  const lines = [
    report.dryRun ? `Dry run of ${inputName} for ${target}: nothing was sent.` : `${verb} ${target} from ${inputName}:`,
    row('Entered', report.entered),
    row(report.dryRun ? 'Would sync' : 'Synced', report.synced),
    row('Duplicates', report.duplicates),
    row('Not synced', report.notSynced, reasonList(report.notSyncedReasons)),
    row('Errored', report.errored, reasonList(report.errors)),
    row('Pending', report.pending),
  ];
  if (report.dryRun && report.wouldSend) {
    lines.push(`  Would send ${n(report.wouldSend.records)} records in ${n(report.wouldSend.requests)} requests.`);
  } else {
    lines.push(
      `  ${n(report.records)} records in ${n(report.requests)} requests (${n(report.retries)} retries, ${n(report.rateLimited)} rate-limited) in ${seconds(report.durationMs)}.`,
    );
  }
  if (report.dryRun) lines.push(`  Took ${seconds(report.durationMs)}.`);
  lines.push(...limitLines(report));
  return lines.join('\n') + '\n';
}

/** What Pinterest's limits did to the run: list exceptions (never dropped) and a spent write quota. */
function limitLines(report: RunReport): string[] {
  const lines: string[] = [];
  const exceptions = Array.isArray(report.listExceptions) ? (report.listExceptions as ListExceptionLine[]) : [];
  for (const { code, message, batches } of exceptions) {
    const said = message ? `: ${clean(message)}` : '';
    lines.push(`  Pinterest reported list exception ${code ?? '?'}${said} (${batches.toLocaleString('en-US')} ${batches === 1 ? 'batch' : 'batches'}).`);
  }
  if (typeof report.quotaResetAt === 'string') {
    lines.push(`  Stopped by Pinterest's write quota; it resets at ${new Date(report.quotaResetAt).toLocaleString()} (local time).`);
  }
  return lines;
}

interface ListExceptionLine {
  code: number | string | null;
  message: string;
  batches: number;
}

function reasonList(reasons: Record<string, number>): string {
  const entries = Object.entries(reasons).filter(([, count]) => count > 0);
  if (entries.length === 0) return '';
  return '(' + entries.map(([reason, count]) => `${reason.replace(/_/g, ' ')}: ${count.toLocaleString('en-US')}`).join(', ') + ')';
}

function seconds(ms: number): string {
  return ms < 10_000 ? `${(ms / 1000).toFixed(1)} s` : ms < 3_600_000 ? `${Math.round(ms / 1000)} s` : `${(ms / 3_600_000).toFixed(1)} h`;
}
