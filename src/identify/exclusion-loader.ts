// Starts loading a run's exclusion files (--exclude) at once: big lists load on a worker thread
// (exclusion-worker.ts), so reading, normalising and hashing them runs on the second core while this
// one looks up the audience and starts reading the input; small lists load here (no thread to start).
import { statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { ExitCode, PinsyncError, UsageError } from '../errors.js';
import { DigestSet } from './dedupe.js';
import { BitFilter, exclusionsOf, loadExclusions, type ExclusionFileSummary, type ExclusionOptions, type Exclusions } from './exclusions.js';

/** What the worker tells the run. */
export type LoaderMessage =
  | { type: 'started'; plannedBytes: number }
  | { type: 'loaded'; slots: Uint32Array; size: number; words: Int32Array; files: ExclusionFileSummary[] }
  | { type: 'failed'; message: string; usage: boolean };

export interface LoadingOptions extends ExclusionOptions {
  /** Load on a worker thread: true or false to force it (PINSYNC_EXCLUSION_WORKER), else chosen by size. */
  onWorker?: boolean;
}

/** Below this many bytes of lists, starting a thread costs more than it saves. */
const WORKER_MIN_BYTES = 4 * 2 ** 20;
/** gzip shrinks identifier lists about this much. */
const GZIP_RATIO = 3;

/**
 * Resolves once the files are open and their columns known (a missing file or one without an
 * identifier column rejects here, exit 2 naming it); the set may still be loading then (see
 * `Exclusions.loaded`). Rejections are handled where the run awaits them.
 */
export function startLoadingExclusions(files: readonly string[] | undefined, options: LoadingOptions): Promise<Exclusions> {
  const list = files ?? [];
  const { onWorker, ...loadOptions } = options;
  const loading = list.length > 0 && (onWorker ?? bigLists(list)) ? loadOnWorker(list, loadOptions) : loadExclusions(list, loadOptions);
  loading.catch(() => {});
  return loading;
}

function bigLists(files: readonly string[]): boolean {
  if (availableParallelism() < 2) return false;
  let bytes = 0;
  for (const file of files) {
    try {
      bytes += statSync(file).size * (/\.gz$/i.test(file) ? GZIP_RATIO : 1);
    } catch {
      return false; // this thread's loader names the file in its error
    }
  }
  return bytes >= WORKER_MIN_BYTES;
}

function loadOnWorker(files: readonly string[], options: ExclusionOptions): Promise<Exclusions> {
  const pending = new PendingExclusions();
  return new Promise<Exclusions>((started, failedToStart) => {
    const worker = new Worker(new URL('./exclusion-worker.js', import.meta.url), {
      workerData: { files, options },
      // Its strings live for one chunk; the tables it fills are outside its heap.
      resourceLimits: { maxYoungGenerationSizeMb: 8, maxOldGenerationSizeMb: 64 },
    });
    const fail = (error: Error) => {
      failedToStart(error);
      pending.fail(error);
    };
    worker.on('message', (message: LoaderMessage) => {
      if (message.type === 'started') {
        pending.bytes = message.plannedBytes;
        started(pending);
      } else if (message.type === 'loaded') {
        pending.fill(exclusionsOf({ set: DigestSet.fromTable(message.slots, message.size), filter: new BitFilter(message.words), files: message.files }));
      } else {
        fail(message.usage ? new UsageError(message.message) : new PinsyncError(message.message, ExitCode.internal));
      }
    });
    worker.on('error', (error) => fail(new PinsyncError(`Loading the exclusion files stopped: ${error.message}`, ExitCode.internal)));
    worker.on('exit', () => {
      if (!pending.complete) fail(new PinsyncError('Loading the exclusion files stopped before it finished.', ExitCode.internal));
    });
  });
}

const notLoaded = (): never => {
  throw new Error('The exclusion set was checked before it finished loading.');
};

/** A set the worker is still filling: answers once `loaded` resolves. */
class PendingExclusions implements Exclusions {
  has: (record: string) => boolean = notLoaded;
  hasAt: (text: string, offset: number) => boolean = notLoaded;
  hasWords: (hi: number, lo: number) => boolean = notLoaded;
  size = 0;
  bytes = 0;
  files: readonly ExclusionFileSummary[] = [];
  complete = false;
  readonly loaded: Promise<void>;
  private settle!: { resolve(): void; reject(error: Error): void };

  constructor() {
    this.loaded = new Promise<void>((resolve, reject) => (this.settle = { resolve, reject }));
    this.loaded.catch(() => {}); // handled where rows are judged
  }

  fill(table: Exclusions): void {
    Object.assign(this, { has: table.has, hasAt: table.hasAt, hasWords: table.hasWords, size: table.size, bytes: table.bytes, files: table.files, complete: true });
    this.settle.resolve();
  }

  fail(error: Error): void {
    this.settle.reject(error);
  }
}
