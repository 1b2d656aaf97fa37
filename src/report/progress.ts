// Live progress on stderr: a cli-progress bar on a terminal (bytes read of the total, or rows for
// standard input), else a plain line every few seconds for cron and CI logs (PINSYNC_PROGRESS_INTERVAL).
import type { Writable } from 'node:stream';
import type { Tally } from '../pipeline/tally.js';

export interface ProgressSource {
  tally: Tally;
  bytesRead(): number;
  totalBytes: number | undefined;
}

export interface ProgressOptions {
  stderr: Writable;
  isTTY: boolean;
  enabled: boolean;
  /** Seconds between plain lines (default 5). */
  intervalSeconds?: number;
  now(): number;
}

export interface Progress {
  stop(): void;
}

const silent: Progress = { stop: () => {} };

export async function startProgress(source: ProgressSource, options: ProgressOptions): Promise<Progress> {
  if (!options.enabled) return silent;
  return options.isTTY ? startBar(source, options) : startPlainLines(source, options);
}

function snapshot(source: ProgressSource, startedAt: number, now: number) {
  const t = source.tally;
  const elapsed = Math.max(0.001, (now - startedAt) / 1000);
  return {
    rows: t.entered,
    rate: Math.round(t.entered / elapsed),
    synced: t.synced,
    pending: t.pending,
    notSynced: t.notSynced,
    errored: t.errored,
    duplicates: t.duplicates,
  };
}

const n = (value: number) => value.toLocaleString('en-US');

function startPlainLines(source: ProgressSource, options: ProgressOptions): Progress {
  const startedAt = options.now();
  const interval = Math.max(0.05, options.intervalSeconds ?? 5) * 1000;
  const timer = setInterval(() => {
    const s = snapshot(source, startedAt, options.now());
    const share = source.totalBytes ? ` (${Math.min(100, Math.floor((100 * source.bytesRead()) / Math.max(1, source.totalBytes)))}%)` : '';
    options.stderr.write(
      `progress: ${n(s.rows)} rows read${share}, ${n(s.rate)} rows/s; synced ${n(s.synced)}, pending ${n(s.pending)}, not synced ${n(s.notSynced)}, errored ${n(s.errored)}\n`,
    );
  }, interval);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}

async function startBar(source: ProgressSource, options: ProgressOptions): Promise<Progress> {
  const { default: cliProgress } = await import('cli-progress');
  const startedAt = options.now();
  const byBytes = source.totalBytes !== undefined && source.totalBytes > 0;
  const format = byBytes
    ? '{bar} {percentage}% | {rows} rows, {rate} rows/s | synced {synced} · pending {pending} · not synced {notSynced} · errored {errored} | ETA {eta_formatted}'
    : '{rows} rows, {rate} rows/s | synced {synced} · pending {pending} · not synced {notSynced} · errored {errored}';
  const bar = new cliProgress.SingleBar(
    { format, stream: options.stderr as NodeJS.WriteStream, hideCursor: true, clearOnComplete: false, etaBuffer: 50, fps: 10 },
    cliProgress.Presets.shades_classic,
  );
  const payload = () => {
    const s = snapshot(source, startedAt, options.now());
    return { ...s, rows: n(s.rows), rate: n(s.rate), synced: n(s.synced), pending: n(s.pending), notSynced: n(s.notSynced), errored: n(s.errored) };
  };
  bar.start(byBytes ? source.totalBytes! : 1, 0, payload());
  const timer = setInterval(() => bar.update(byBytes ? source.bytesRead() : 0, payload()), 200);
  timer.unref();
  return {
    stop: () => {
      clearInterval(timer);
      bar.update(byBytes ? Math.min(source.bytesRead(), source.totalBytes!) : 0, payload());
      bar.stop();
    },
  };
}
