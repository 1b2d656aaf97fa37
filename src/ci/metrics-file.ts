// `--metrics-file PATH`: the run's end as Prometheus metrics for node_exporter's textfile collector
// (github.com/prometheus/node_exporter, "Textfile Collector": `*.prom` files in the text exposition
// format, no client timestamps, written to a temporary in the same folder and renamed so the collector
// never reads half a file). Counters add this run's rows to those the file already holds, so they only
// grow across runs (rate() works; a deleted file is a counter reset); the last success time survives
// failed runs, so "no success for a day" can alert. Format: prometheus.io/docs/instrumenting/exposition_formats/
// (label values escape `\`, `"` and newlines).
import fs from 'node:fs';
import path from 'node:path';
import type { AudienceLine, EndedRun } from './ended-run.js';

const ROWS = 'pinsync_rows_total';
const LAST_SUCCESS = 'pinsync_last_success_timestamp_seconds';
/** The outcomes of a row that add up over runs (pending rows are sent again, so they are a gauge). */
const OUTCOMES = [
  ['synced', 'synced'],
  ['duplicates', 'duplicate'],
  ['notSynced', 'not_synced'],
  ['errored', 'errored'],
] as const;

interface Sample {
  name: string;
  labels: string;
  value: number;
}

/** Writes the file for this run (dry runs write nothing: they sent nothing). */
export function writeMetricsFile(file: string, ended: EndedRun, now: number): void {
  const earlier = readSamples(file);
  const text = metricsText(ended, earlier, now);
  const temporary = path.join(path.dirname(path.resolve(file)), `.${path.basename(file)}.${process.pid}.tmp`);
  fs.writeFileSync(temporary, text, { mode: 0o644 });
  fs.renameSync(temporary, file);
}

function metricsText(ended: EndedRun, earlier: readonly Sample[], now: number): string {
  const rows = new Map(earlier.filter((sample) => sample.name === ROWS).map((sample) => [sample.labels, sample.value]));
  const audiences = ended.audiences.filter((line) => line.name !== ''); // a job that failed before it had an audience counts no rows
  for (const line of audiences) {
    for (const [key, outcome] of OUTCOMES) {
      const labels = labelsOf(line, outcome);
      rows.set(labels, (rows.get(labels) ?? 0) + (line[key] ?? 0));
    }
  }
  const lastSuccess = ended.exitCode === 0 ? now / 1000 : (earlier.find((sample) => sample.name === LAST_SUCCESS)?.value ?? 0);
  const lines = [
    ...family(ROWS, 'counter', 'Input rows by audience and outcome, added up over the runs that wrote this file.', [...rows].map(([labels, value]) => ({ labels, value }))),
    ...family(
      'pinsync_rows_pending',
      'gauge',
      'Rows the last run left pending (the next run sends them).',
      audiences.map((line) => ({ labels: audienceLabels(line), value: line.pending ?? 0 })),
    ),
    ...family(
      'pinsync_audience_exit_code',
      'gauge',
      "Exit code of each audience's part of the last run (0 done, 3 partial, …).",
      ended.audiences.map((line) => ({ labels: audienceLabels(line), value: line.exitCode })),
    ),
    ...family('pinsync_last_run_exit_code', 'gauge', 'Exit code of the last run (0 done, 2 usage or input, 3 partial, 4 auth, 5 not found, 130 interrupted).', [{ labels: '', value: ended.exitCode }]),
    ...family('pinsync_last_run_timestamp_seconds', 'gauge', 'When the last run ended, Unix time.', [{ labels: '', value: now / 1000 }]),
    ...family('pinsync_last_run_duration_seconds', 'gauge', 'How long the last run took.', [{ labels: '', value: (ended.durationMs ?? 0) / 1000 }]),
    ...family(LAST_SUCCESS, 'gauge', 'When a run last ended with exit 0, Unix time (0: never).', [{ labels: '', value: lastSuccess }]),
  ];
  return lines.join('\n') + '\n';
}

function family(name: string, type: 'counter' | 'gauge', help: string, samples: ReadonlyArray<{ labels: string; value: number }>): string[] {
  if (samples.length === 0) return [];
  return [`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`, ...samples.map(({ labels, value }) => `${name}${labels ? `{${labels}}` : ''} ${formatValue(value)}`)];
}

function formatValue(value: number): string {
  return Number.isInteger(value) ? String(value) : value.toFixed(3);
}

function audienceLabels(line: AudienceLine): string {
  const job = line.job === undefined ? '' : `pinsync_job="${escapeLabel(line.job)}",`;
  return `${job}audience="${escapeLabel(line.name)}"`;
}

function labelsOf(line: AudienceLine, outcome: string): string {
  return `${audienceLabels(line)},outcome="${outcome}"`;
}

function escapeLabel(value: string): string {
  return value.replaceAll('\\', '\\\\').replaceAll('"', '\\"').replaceAll('\n', '\\n');
}

/** The samples of a file this command wrote before (missing or unreadable: none). */
function readSamples(file: string): Sample[] {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return [];
  }
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    const match = /^(\w+)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match || line.startsWith('#')) continue;
    const value = Number(match[3]);
    if (Number.isFinite(value)) samples.push({ name: match[1]!, labels: match[2] ?? '', value });
  }
  return samples;
}
