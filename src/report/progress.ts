// Live progress on stderr: a cli-progress bar on a terminal, else a plain line every few seconds for
// cron and CI logs (PINSYNC_PROGRESS_INTERVAL). The caller says what share of the work is done. For a
// push that is rows done of the rows the file is estimated to hold: reading runs far ahead of the
// 7 requests/s upload, so bytes read alone would show 100% early. Standard input has no total.
// A fan-out (--audience-column) shows its totals, and on a terminal the busiest audiences too.
import type { Writable } from 'node:stream';

/** The counts shown: a run's tally, or the totals over a fan-out's audiences. */
export interface TallyView {
  readonly entered: number;
  readonly synced: number;
  readonly duplicates: number;
  readonly notSynced: number;
  readonly errored: number;
  readonly pending: number;
}

export interface ProgressSource {
  /** The counts shown. */
  tally: TallyView;
  /** The share of the work done, 0..1; undefined when the total is unknown (standard input). */
  share(): number | undefined;
  /** The rows the rows/s counts, and what they are: rows done, or rows read in a reading-only phase. */
  rate: { rows(): number; label: 'done' | 'read' };
}

/** The input as bytes read of its size (undefined for standard input). */
export interface ReadPosition {
  bytesRead(): number;
  totalBytes: number | undefined;
}

/** A push: rows done (synced, not synced, duplicate or errored) of the rows the file is estimated to hold. */
export function rowsDone(tally: TallyView, input: ReadPosition): ProgressSource {
  return {
    tally,
    share: () => {
      const read = bytesReadShare(input);
      if (read === undefined || tally.entered === 0) return read === undefined ? undefined : 0;
      return read * ((tally.entered - tally.pending) / tally.entered);
    },
    rate: { rows: () => tally.entered - tally.pending, label: 'done' },
  };
}

/** A phase that only reads (sync stages the whole file before sending): bytes read of the size. */
export function bytesRead(tally: TallyView, input: ReadPosition): ProgressSource {
  return { tally, share: () => bytesReadShare(input), rate: { rows: () => tally.entered, label: 'read' } };
}

function bytesReadShare(input: ReadPosition): number | undefined {
  return input.totalBytes ? Math.min(1, input.bytesRead() / input.totalBytes) : undefined;
}

export interface ProgressOptions {
  stderr: Writable;
  isTTY: boolean;
  enabled: boolean;
  /** Seconds between plain lines (default 5). */
  intervalSeconds?: number;
  now(): number;
  /** On a terminal, a short text after the counts (a fan-out's busiest audiences). */
  detail?(): string;
}

/** PINSYNC_PROGRESS_INTERVAL: seconds between plain progress lines (tests and chatty CI logs). */
export function progressInterval(env: Record<string, string | undefined>): number | undefined {
  const value = Number(env.PINSYNC_PROGRESS_INTERVAL);
  return Number.isFinite(value) && value > 0 ? value : undefined;
}

export interface Progress {
  stop(): void;
}

const silent: Progress = { stop: () => {} };

export async function startProgress(source: ProgressSource, options: ProgressOptions): Promise<Progress> {
  if (!options.enabled) return silent;
  const shown = neverBackwards(source);
  return options.isTTY ? startBar(shown, options) : startPlainLines(shown, options);
}

/** The estimate of the total moves as rows are read; the share shown only grows. */
function neverBackwards(source: ProgressSource): ProgressSource {
  let highest = 0;
  return {
    ...source,
    share: () => {
      const share = source.share();
      if (share === undefined) return undefined;
      highest = Math.max(highest, share);
      return highest;
    },
  };
}

function snapshot(source: ProgressSource, startedAt: number, now: number) {
  const t = source.tally;
  const elapsed = Math.max(0.001, (now - startedAt) / 1000);
  return {
    rows: t.entered,
    rate: Math.round(source.rate.rows() / elapsed),
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
    const share = source.share();
    const percent = share === undefined ? '' : ` (${Math.floor(100 * share)}% ${source.rate.label})`;
    options.stderr.write(
      `progress: ${n(s.rows)} rows read${percent}, ${n(s.rate)} rows/s ${source.rate.label}; synced ${n(s.synced)}, pending ${n(s.pending)}, not synced ${n(s.notSynced)}, errored ${n(s.errored)}\n`,
    );
  }, interval);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}

async function startBar(source: ProgressSource, options: ProgressOptions): Promise<Progress> {
  const { default: cliProgress } = await import('cli-progress');
  const startedAt = options.now();
  const SCALE = 10_000;
  const sized = source.share() !== undefined;
  const detail = options.detail ? ' | {detail}' : '';
  const format = sized
    ? `{bar} {percentage}% | {rows} rows read, {rate} rows/s ${source.rate.label} | synced {synced} · pending {pending} · not synced {notSynced} · errored {errored} | ETA {eta_formatted}${detail}`
    : `{rows} rows read, {rate} rows/s ${source.rate.label} | synced {synced} · pending {pending} · not synced {notSynced} · errored {errored}${detail}`;
  const bar = new cliProgress.SingleBar(
    { format, stream: options.stderr as NodeJS.WriteStream, hideCursor: true, clearOnComplete: false, etaBuffer: 50, fps: 10 },
    cliProgress.Presets.shades_classic,
  );
  const payload = () => {
    const s = snapshot(source, startedAt, options.now());
    const detail = options.detail?.() ?? '';
    return { ...s, rows: n(s.rows), rate: n(s.rate), synced: n(s.synced), pending: n(s.pending), notSynced: n(s.notSynced), errored: n(s.errored), detail };
  };
  const value = () => Math.round(SCALE * (source.share() ?? 0));
  bar.start(SCALE, 0, payload());
  const timer = setInterval(() => bar.update(value(), payload()), 200);
  timer.unref();
  return {
    stop: () => {
      clearInterval(timer);
      bar.update(value(), payload());
      bar.stop();
    },
  };
}
