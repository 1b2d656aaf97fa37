// A run's journal per audience: the batch journal sending keeps (send/journal.ts), plus the run's place in
// the history (`pinsync runs`), its final report, and how to resume it. Durable runs take it from state/;
// dry runs and local checks keep none. The request shape is what makes two runs "the same command" (the
// resume key): one shape for a plain run and for each audience of a fan-out, so both resume alike.
import type { Context } from '../context.js';
import { PinsyncError } from '../errors.js';
import { exclusionShape } from '../identify/exclusions.js';
import type { RunReport } from '../report/run-report.js';
import { noBatchJournal, type BatchJournal, type JournalTarget } from '../send/journal.js';
import { acquireSharedRunLock, startRunJournal, type SharedRunLock } from '../state/journal.js';
import type { StateStore } from '../state/store.js';
import type { InputOptions } from './options.js';
import type { RunSettings } from './settings.js';

export interface RunJournal extends BatchJournal {
  /** The run's id in the history; undefined without one. */
  readonly runId?: number;
  describeTarget(target: JournalTarget): void;
  finish(report: RunReport, exitCode: number): void;
  /** How to pick up where this run left off; undefined without a history. */
  resumeHint(): string | undefined;
  close(): void;
}

export const noRunJournal: RunJournal = {
  ...noBatchJournal,
  runId: undefined,
  describeTarget: () => {},
  finish: () => {},
  resumeHint: () => undefined,
  close: () => {},
};

export interface JournalRequest {
  command: 'push' | 'sync';
  operation: 'ADD' | 'REMOVE' | 'MIRROR';
  input: string;
  /** The audience as asked for (--audience, or the --audience-column value). */
  audience: string;
  adAccountId: string;
  /** A sync's snapshot generation: a sync resumes only against the snapshot it diffed. */
  snapshot?: number;
  /** The lock a fan-out holds for all its audiences (openSharedRunLock): the journal takes none of its own. */
  heldLock?: SharedRunLock;
}

/** The durable journal of one audience's run (resumed when an unfinished run of the same command exists). */
export async function openRunJournal(
  ctx: Context,
  store: StateStore,
  options: InputOptions & { restart?: boolean },
  settings: RunSettings,
  request: JournalRequest,
): Promise<RunJournal> {
  try {
    return await startRunJournal(
      ctx,
      {
        command: request.command,
        operation: request.operation,
        input: request.input,
        restart: options.restart,
        retryForMs: settings.retryForMs,
        requestShape: requestShape(options, settings, request),
        heldLock: request.heldLock,
      },
      store,
    );
  } catch (error) {
    if (error instanceof PinsyncError) throw error;
    ctx.warn(`Run history is not available (${(error as Error).message}); this run cannot be resumed.`);
    return noRunJournal;
  }
}

function requestShape(options: InputOptions, settings: RunSettings, request: JournalRequest): Record<string, unknown> {
  return {
    audience: request.audience,
    // Only when given: runKey keeps an undefined key (as null), and plain runs must keep their keys.
    ...(options.audienceColumn === undefined ? {} : { audienceColumn: options.audienceColumn.trim() }),
    adAccount: request.adAccountId,
    columns: { email: options.emailColumn, maid: options.maidColumn, idfa: options.idfaColumn, ...(options.phoneColumn === undefined ? {} : { phone: options.phoneColumn }) },
    // A run that reads phones in another country, or sends other rows, is another run.
    ...(options.phoneCountry === undefined ? {} : { phoneCountry: options.phoneCountry.trim().toUpperCase() }),
    ...(options.rows === undefined ? {} : { rows: options.rows }),
    format: options.format,
    delimiter: settings.delimiter,
    ...(request.snapshot === undefined ? {} : { snapshot: request.snapshot }),
    ...exclusionShape(options.exclude),
  };
}

/**
 * One lock for every audience's journal of an --audience-column run (keyed like them, without the
 * audience): the same command started twice stops at once, and a thousand audiences hold one lock.
 */
export function openSharedRunLock(ctx: Context, options: InputOptions, settings: RunSettings, request: Omit<JournalRequest, 'audience' | 'heldLock'>): Promise<SharedRunLock> {
  const { command, operation, input } = request;
  return acquireSharedRunLock(ctx, { command, operation, input, requestShape: requestShape(options, settings, { ...request, audience: '*' }) });
}

/** One sentence on how to resume, for every audience's journal together. */
export function resumeHint(journals: readonly RunJournal[]): string | undefined {
  const hints = journals.map((journal) => journal.resumeHint()).filter((hint): hint is string => hint !== undefined);
  if (hints.length <= 1) return hints[0];
  const ids = journals.flatMap((journal) => (journal.runId === undefined ? [] : [journal.runId]));
  if (hints.some((hint) => hint.startsWith('Standard input'))) return hints.find((hint) => hint.startsWith('Standard input'));
  return `Run the same command again to resume runs ${ids.join(', ')} (acknowledged batches are not sent again), or add --restart to start over.`;
}
