// The journal's writes during a run, in order, without ever stalling the run on a busy state file.
// Another process may hold state.db (a big sync committing its snapshot, a VACUUM, a stray
// `BEGIN EXCLUSIVE`): a write then waits only a moment, and is tried again every RETRY_MS while the
// entries wait in memory, so an acknowledgement Pinterest gave is not lost while this process lives.
// A batch is sent only once its "sent" entry is written, so sending pauses while the state cannot take
// writes. A state still busy after JOURNAL_WAIT_MS, or a full disk, stops the run in one sentence.
import { InterruptedError } from '../errors.js';
import { BUSY_TIMEOUT_MS, stateUnavailable, type Database } from './database.js';

/** How long one write waits for another process's transaction before it goes back to the queue. */
const WRITE_WAIT_MS = 25;
const RETRY_MS = 100;
/** How long the journal waits for a busy state file before the run stops (a big sync's snapshot commit fits). */
export const JOURNAL_WAIT_MS = 60_000;
/** After Ctrl-C, queued acknowledgements get this long to be written; then the rerun sends those batches again. */
const FLUSH_AFTER_STOP_MS = 2_000;

interface Entry {
  write: () => void;
  /** A "sent" entry: its batch waits for it, and is not sent when the run stops meanwhile. */
  gate: boolean;
  resolve(): void;
  reject(error: unknown): void;
}

export interface JournalWritesOptions {
  /** Real time, epoch ms. */
  now?: () => number;
  waitMs?: number;
  /** Ctrl-C: the batches waiting for their "sent" entry are not sent. */
  signal?: AbortSignal;
  /** A full disk: gives up the room kept aside so the entry at hand can still be written (true if there was some). */
  releaseReserve?: () => boolean;
}

export class JournalWrites {
  private readonly entries: Entry[] = [];
  /** Set once no batch may be sent any more (the state gave up, the disk is full); the sentence the run stops with. */
  private failure: unknown;
  private busySince: number | undefined;
  private retry: NodeJS.Timeout | undefined;
  private readonly emptied = new Set<() => void>();
  private readonly now: () => number;
  private readonly onStop = () => this.dropGates(new InterruptedError('Stopped before the batch was recorded: it was not sent.'));

  constructor(
    private readonly db: Database,
    private readonly file: string,
    private readonly options: JournalWritesOptions = {},
  ) {
    this.now = options.now ?? Date.now;
    options.signal?.addEventListener('abort', this.onStop, { once: true });
  }

  /** Queues `write`; resolves once it is in the state file. A gate rejects when its batch must not be sent. */
  add(write: () => void, gate = false): Promise<void> {
    if (gate && this.failure !== undefined) return Promise.reject(this.failure);
    if (gate && this.options.signal?.aborted) return Promise.reject(new InterruptedError());
    const done = new Promise<void>((resolve, reject) => this.entries.push({ write, gate, resolve, reject }));
    done.catch(() => {}); // an entry nobody awaits (an acknowledgement) is reported by flush()
    this.pump();
    return done;
  }

  /**
   * Resolves once every entry so far is written; rejects with the sentence when the state gave up. After
   * Ctrl-C it waits at most FLUSH_AFTER_STOP_MS, then drops what is left: the rerun sends those batches again.
   */
  flush(): Promise<void> {
    const signal = this.options.signal;
    return new Promise<void>((resolve, reject) => {
      let giveUp: NodeJS.Timeout | undefined;
      const finish = (settle: () => void) => {
        this.emptied.delete(onEmpty);
        clearTimeout(giveUp);
        signal?.removeEventListener('abort', onAbort);
        settle();
      };
      const onEmpty = () => finish(() => (this.failure !== undefined ? reject(this.failure) : resolve()));
      const onAbort = () => {
        giveUp = setTimeout(() => finish(() => (this.abandon(), resolve())), FLUSH_AFTER_STOP_MS);
      };
      if (this.entries.length === 0) return onEmpty();
      this.emptied.add(onEmpty);
      if (signal?.aborted) onAbort();
      else signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** Drops what is still queued (the run is over): no retry keeps the process alive, and the run's signal lets go of it. */
  abandon(): void {
    this.options.signal?.removeEventListener('abort', this.onStop);
    clearTimeout(this.retry);
    this.retry = undefined;
    for (const entry of this.entries.splice(0)) entry.reject(new InterruptedError('The run ended before the state file took this.'));
  }

  private pump(): void {
    if (this.retry) return; // a retry is scheduled: it keeps the order
    while (this.entries.length > 0) {
      const entry = this.entries[0]!;
      if (entry.gate && this.failure !== undefined) {
        this.entries.shift();
        entry.reject(this.failure);
        continue;
      }
      const outcome = this.attempt(entry.write);
      if (outcome === 'busy') return this.waitForState();
      this.entries.shift();
      if (outcome === 'written') entry.resolve();
      else this.lose(entry, outcome.error);
    }
    this.busySince = undefined;
    for (const onEmpty of [...this.emptied]) onEmpty();
  }

  private attempt(write: () => void): 'written' | 'busy' | { error: unknown } {
    this.db.pragma(`busy_timeout = ${WRITE_WAIT_MS}`);
    try {
      write();
      return 'written';
    } catch (error) {
      if (isBusy(error)) return 'busy';
      if (isDiskFull(error) && this.options.releaseReserve?.()) return this.writeOnReserve(write, error);
      return { error: stateUnavailable(this.file, error) ?? error };
    } finally {
      this.db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
    }
  }

  /** The disk is full: this entry (perhaps an acknowledgement) goes into the room kept aside, and sending stops. */
  private writeOnReserve(write: () => void, full: unknown): 'written' | { error: unknown } {
    this.failure ??= stateUnavailable(this.file, full) ?? full;
    try {
      write();
      return 'written';
    } catch (error) {
      return { error: stateUnavailable(this.file, error) ?? error };
    }
  }

  private waitForState(): void {
    const now = this.now();
    this.busySince ??= now;
    const waitMs = this.options.waitMs ?? JOURNAL_WAIT_MS;
    if (now - this.busySince >= waitMs) {
      const busy = Object.assign(new Error('database is locked'), { code: 'SQLITE_BUSY' });
      this.lose(this.entries.shift()!, stateUnavailable(this.file, busy, waitMs));
      return this.pump();
    }
    this.retry = setTimeout(() => {
      this.retry = undefined;
      this.pump();
    }, RETRY_MS);
  }

  /** The state cannot take this entry: it, and every entry queued after it, are lost; the run stops with `error`. */
  private lose(entry: Entry, error: unknown): void {
    this.failure ??= error;
    entry.reject(this.failure);
    for (const rest of this.entries.splice(0)) rest.reject(this.failure);
  }

  private dropGates(reason: InterruptedError): void {
    for (let i = this.entries.length - 1; i >= 0; i--) {
      if (!this.entries[i]!.gate) continue;
      this.entries.splice(i, 1)[0]!.reject(reason);
    }
    if (this.entries.length === 0) for (const onEmpty of [...this.emptied]) onEmpty();
  }
}

function isBusy(error: unknown): boolean {
  const code = (error as { code?: string } | undefined)?.code ?? '';
  return code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED' || code.startsWith('SQLITE_BUSY_');
}

function isDiskFull(error: unknown): boolean {
  const code = (error as { code?: string } | undefined)?.code;
  return code === 'SQLITE_FULL' || code === 'ENOSPC';
}
