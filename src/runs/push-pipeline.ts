// The whole push chain, composed once:
//   rows identified (source → columns → normalise → hash → dedupe, identified-rows.ts)
//   → rows sent (guard → batch → upload → tally, sent-rows.ts)
// Chunks are read one at a time; each chunk's rows are judged synchronously (no object per row),
// full batches go to the uploader, and reading waits whenever the uploader has no room.
import { UsageError } from '../errors.js';
import type { ColumnFlags, ColumnPlan } from '../input/columns.js';
import { DigestSet } from '../identify/dedupe.js';
import type { Exclusions } from '../identify/exclusions.js';
import { MappingGuard } from '../send/guard.js';
import { IdentifiedRows } from '../identify/identified-rows.js';
import type { PushJournal } from '../send/journal.js';
import type { RunEnd } from '../send/outcome.js';
import { SentRows } from '../send/sent-rows.js';
import type { InputSource } from '../input/source.js';
import type { Tally } from '../send/tally.js';
import type { UploadTarget } from '../send/upload.js';

export interface PipelineOptions extends ColumnFlags {
  source: InputSource;
  delimiter?: string;
  batchSize: number;
  flushIntervalMs: number;
  force: boolean;
  tally: Tally;
  journal: PushJournal;
  /** Called once the header is read; returns where batches go (the list may be created from the first one). */
  targetFor(plan: ColumnPlan): UploadTarget;
  maxInFlight: number;
  retryForMs: number;
  signal: AbortSignal;
  now(): number;
  /** Capacity hint for the duplicate set. */
  expectedRecords?: number;
  /** Normalise and hash on a worker thread (big files); else all on this thread (small or streamed input). */
  hashOnWorker?: boolean;
  /** Users never to send (--exclude). */
  exclusions?: Exclusions;
}

export interface PipelineOutcome extends RunEnd {
  plan: ColumnPlan | undefined;
  /** Chance that the 8-byte duplicate check wrongly dropped at least one record. */
  falseDuplicateProbability: number;
}

export async function runPipeline(options: PipelineOptions): Promise<PipelineOutcome> {
  const seen = new DigestSet(options.expectedRecords);
  const sent = new SentRows({ ...options, guard: new MappingGuard(options.force), onStop: () => rows.wake() });
  const rows = new IdentifiedRows({ ...options, seen }, sent);
  let end: RunEnd;
  try {
    end = await sent.finish(await rows.readAll());
  } catch (error) {
    options.source.close();
    await sent.abandon();
    // The guard's verdict comes before any batch goes out, so a usage error after that is the input's
    // (a corrupt gzip tail, an overlong line): the run reports what it sent (stoppedBy "input").
    if (!(error instanceof UsageError) || !sent.sendingBegan) throw error;
    end = { stop: 'input', fatal: error };
  }
  return { ...end, plan: rows.plan, falseDuplicateProbability: seen.falseDuplicateProbability() };
}
