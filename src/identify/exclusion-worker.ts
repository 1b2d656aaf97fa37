// Worker thread of the exclusion loader (exclusion-loader.ts): reads, normalises and hashes a run's
// exclusion files into the set and its bit filter, then hands their tables back without a copy.
import { parentPort, workerData } from 'node:worker_threads';
import { UsageError } from '../errors.js';
import { buildExclusionTable, type ExclusionOptions } from './exclusions.js';
import type { LoaderMessage } from './exclusion-loader.js';

const { files, options } = workerData as { files: string[]; options: ExclusionOptions };
const post = (message: LoaderMessage, transfer: ArrayBuffer[] = []) => parentPort!.postMessage(message, transfer);

try {
  const table = await buildExclusionTable(files, options, (plannedBytes) => post({ type: 'started', plannedBytes }));
  const slots = table.set.table;
  const words = table.filter.words;
  post({ type: 'loaded', slots, size: table.set.size, words, files: table.files }, [slots.buffer as ArrayBuffer, words.buffer as ArrayBuffer]);
} catch (error) {
  // Only the sentence crosses: the run prints it as it would print the same error from this thread.
  post({ type: 'failed', message: error instanceof Error ? error.message : String(error), usage: error instanceof UsageError });
}
