// One write budget per token across every pinsync process on one PINSYNC_HOME: Pinterest limits the
// token, not the process. Each (token, category) has a tiny SQLite file holding the shared slot
// sequence. A process takes a ticket (the next free slot) in one short IMMEDIATE transaction, sleeps
// until it, and is granted in ticket order, so the processes share one spaced sequence and none
// starves. The file also keeps the last two seconds of grants, so the processes count each other's
// requests as their own when they read x-ratelimit-remaining (only consumers elsewhere are "others"),
// and the share of the window they learned beside those others paces them all together.
// No lock is held while waiting, and SQLite's locks die with their process, so a crashed holder
// blocks nobody; its ticket lapses in half a second. The token is known only by the digest the
// client already keys its limiter with. This is the SharedBudget port of pinterest/ratelimit.
// Times this machine's clock cannot have written (a clock set back, a file from another machine) are
// reset to now where they are read, and a damaged file is replaced (budget-repair.ts); each said once.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type BetterSqlite3 from 'better-sqlite3';
import { realClock, type Clock } from '../pinterest/clock.js';
import { laneKey, WINDOW_SLACK_MS, type SendLog, type SharedBudget, type SharedSlots } from '../pinterest/ratelimit/index.js';
import { BudgetBeyondRepairError, openReplacingDamaged } from './budget-repair.js';
import { BudgetTimes, slotsAheadMaxMs, type BudgetNotice, type BudgetRow } from './budget-times.js';

type Sqlite = typeof BetterSqlite3;

/** The category shared across processes; reads stay per process (their limit is generous). */
const SHARED_CATEGORY = 'ads_write';

/**
 * Slack per one-second window between two grants to different processes: a grant reaches the server
 * after its process's event loop gets to send it, and two busy processes add their delays. With the
 * single-process WINDOW_SLACK_MS (20) two pushes saw 8 writes arrive within 1,000 ms now and then
 * (one 429 in 40 under test load). Grants in a row to one process keep the 20 ms, so a process
 * alone still reaches 0.97 of the rate.
 */
export const CROSS_PROCESS_SLACK_MS = 2 * WINDOW_SLACK_MS;

/** A share learned from Pinterest's answers holds this long without a fresh answer, then the full rate is back. */
const SHARE_HOLDS_MS = 10_000;
/** How often an unchanged share is written again (it lapses after SHARE_HOLDS_MS). */
const SHARE_REFRESH_MS = 1_000;
/** Grants kept for counting the server's one-second windows. */
const GRANTS_KEPT_MS = 2_000;
/**
 * A slot taken this long ago and not granted belongs to a process that died or froze: the others stop
 * waiting for it. Short, because every process waits behind it meanwhile.
 */
const TICKET_LAPSES_MS = 500;
/** How often a process whose turn it is not asks again. */
const TICKET_POLL_MS = 3;
/**
 * How long a slot waits for another process's transaction on the file (SQLite's busy handler sleeps
 * on the event loop): its transactions take microseconds, so a longer hold is a checkpoint or a slow
 * disk, and that slot is taken alone (alone-on-failure.ts) rather than freezing every request in flight.
 */
const SLOT_BUSY_MS = 25;

/** A place in the shared sequence: the slot's time, and its row. */
interface Ticket {
  id: number;
  slot: number;
}

/** The shared slot sequence of one token and category. */
export class TokenBudget implements SharedSlots {
  private readonly takeSlot: () => Ticket;
  /** 0 when granted now, else ms to wait before asking again. */
  private readonly takeGrant: (ticket: Ticket) => number;
  private readonly dropTicket: (ticket: Ticket) => void;
  private readonly readPause: () => number;
  private readonly writePause: (untilMs: number) => void;
  private readonly clearPause: (untilMs: number) => void;
  private readonly writeShare: (share: number) => void;
  private readonly writeLateSend: (sentAt: number) => void;
  private shareWritten = { share: NaN, at: -Infinity };
  private readonly countGrants: (from: number, to: number) => number;
  private readonly dropGrant: (near: number) => void;

  constructor(
    private readonly db: BetterSqlite3.Database,
    private readonly rate: number,
    private readonly clock: Clock = realClock,
    notice: BudgetNotice = () => undefined,
  ) {
    const holder = `${process.pid}:${Math.random()}`; // this limiter, among the processes (and limiters) sharing the file
    db.pragma('busy_timeout = 5000'); // opening: once a run, and two processes may create the file together
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = OFF'); // a lost slot after a power cut costs nothing
    createTables(db);
    const select = db.prepare<[], BudgetRow>('SELECT next_slot, paused_until, last_grant, last_holder FROM budget WHERE id = 1');
    // A turn lasts at most a second at the smallest share (one slot a second), longer at a lower --rate.
    const times = new BudgetTimes(db, slotsAheadMaxMs((1000 + CROSS_PROCESS_SLACK_MS) / Math.min(rate, 1)), notice);
    /** The budget row, its times reset to now first when this machine's clock cannot have written them. */
    const current = (now: number): BudgetRow => {
      const row = select.get()!;
      return times.possible(row, now) ? row : times.reset(now);
    };
    const selectShare = db.prepare<[number], { share: number }>('SELECT share FROM window_share WHERE id = 1 AND learned_at > ?');
    const setNext = db.prepare('UPDATE budget SET next_slot = ? WHERE id = 1');
    const setGrant = db.prepare('UPDATE budget SET last_grant = ?, last_holder = ?, next_slot = max(next_slot, ?) WHERE id = 1');
    const setPause = db.prepare('UPDATE budget SET paused_until = max(paused_until, ?) WHERE id = 1');
    const liftPause = db.prepare('UPDATE budget SET paused_until = 0 WHERE id = 1 AND paused_until <= ?');
    const setLateSend = db.prepare('UPDATE budget SET last_grant = ?, last_holder = ?, next_slot = max(next_slot, ?) WHERE id = 1 AND last_grant < ?');
    const setShare = db.prepare('INSERT OR REPLACE INTO window_share (id, share, learned_at) VALUES (1, ?, ?)');
    const addGrant = db.prepare('INSERT INTO grants (at) VALUES (?)');
    const pruneGrants = db.prepare('DELETE FROM grants WHERE at < ?');
    const countIn = db.prepare<[number, number], { n: number }>('SELECT count(*) AS n FROM grants WHERE at > ? AND at <= ?');
    const closest = db.prepare<[number], { rowid: number }>('SELECT rowid FROM grants ORDER BY abs(at - ?) LIMIT 1');
    const drop = db.prepare('DELETE FROM grants WHERE rowid = ?');
    /** Spacing at the share of the window this home may take (the configured rate until one is learned). */
    const interval = (slackMs: number, now: number) => {
      const share = selectShare.get(now - SHARE_HOLDS_MS)?.share;
      return (1000 + slackMs) / Math.min(this.rate, share && share > 0 ? share : this.rate);
    };
    const addTicket = db.prepare('INSERT INTO tickets (holder, slot) VALUES (?, ?)');
    const firstBefore = db.prepare<[string, number, number], { slot: number | null }>(
      'SELECT min(slot) AS slot FROM tickets WHERE holder != ? AND slot < ? AND slot > ?',
    );
    const deleteTicket = db.prepare('DELETE FROM tickets WHERE id = ?');
    const pruneTickets = db.prepare('DELETE FROM tickets WHERE slot < ?');
    const take = db.transaction((): Ticket => {
      const now = this.clock.now();
      const row = current(now);
      const slot = Math.max(now, row.next_slot, row.paused_until);
      setNext.run(slot + interval(WINDOW_SLACK_MS, now));
      pruneTickets.run(now - TICKET_LAPSES_MS);
      return { id: Number(addTicket.run(holder, slot).lastInsertRowid), slot };
    });
    // Grants go in the order the slots were taken: the spacing below differs by holder, so without
    // the order a process that asks again at once would take every slot from one that waits.
    // A timer that fires late must not bunch grants: the grant itself keeps the spacing, like RateLimiter.
    const grant = db.transaction((ticket: Ticket): number => {
      const now = this.clock.now();
      const row = current(now);
      const spacing = interval(row.last_holder === holder ? WINDOW_SLACK_MS : CROSS_PROCESS_SLACK_MS, now);
      const due = Math.max(row.last_grant + spacing, row.paused_until);
      if (now < due) return due - now;
      const earlier = firstBefore.get(holder, ticket.slot, now - TICKET_LAPSES_MS)!.slot;
      if (earlier !== null) return TICKET_POLL_MS;
      setGrant.run(now, holder, now + interval(WINDOW_SLACK_MS, now));
      deleteTicket.run(ticket.id);
      addGrant.run(now);
      pruneGrants.run(now - GRANTS_KEPT_MS);
      return 0;
    });
    this.takeSlot = () => take.immediate();
    this.takeGrant = (ticket) => grant.immediate(ticket);
    this.dropTicket = (ticket) => deleteTicket.run(ticket.id);
    this.readPause = () => current(this.clock.now()).paused_until;
    this.writePause = (untilMs) => setPause.run(untilMs);
    this.clearPause = (untilMs) => liftPause.run(untilMs);
    this.writeShare = (share) => setShare.run(share, this.clock.now());
    this.writeLateSend = (sentAt) => setLateSend.run(sentAt, holder, sentAt + interval(WINDOW_SLACK_MS, sentAt), sentAt);
    this.countGrants = (from, to) => countIn.get(from, to)!.n;
    this.dropGrant = (near) => {
      const row = closest.get(near);
      if (row) drop.run(row.rowid);
    };
    times.resetIfFound(this.clock.now());
    db.pragma(`busy_timeout = ${SLOT_BUSY_MS}`);
  }

  /** Reserves the next free slot of the shared sequence (its place in line) and resolves when granted. */
  async acquire(signal?: AbortSignal): Promise<void> {
    const ticket = this.takeSlot();
    try {
      await this.clock.sleep(ticket.slot - this.clock.now(), signal);
      // Past a pause another process was told (429), and never closer than the interval to the last grant.
      for (let wait = this.takeGrant(ticket); wait > 0; wait = this.takeGrant(ticket)) await this.clock.sleep(wait, signal);
    } catch (error) {
      this.dropTicket(ticket); // cut (Ctrl-C): the others need not wait for it
      throw error;
    }
  }

  /** Holds every process of this token until `untilMs` (after a 429 or an exhausted quota). */
  pause(untilMs: number): void {
    this.writePause(untilMs);
  }

  pausedUntil(): number {
    return this.readPause();
  }

  /** Lifts a pause until `untilMs` or sooner (a pause another process set later stays). */
  resume(untilMs: number): void {
    this.clearPause(untilMs);
  }

  /** This process's last request left late, as if granted at `sentAt`: the next grant, to anyone, keeps its distance from then. */
  sentLate(sentAt: number): void {
    this.writeLateSend(sentAt);
  }

  /**
   * Slots per second the processes of this home take together, learned beside consumers elsewhere.
   * Written when it changes, else once a second to keep it fresh: not on every answer.
   */
  learnShare(share: number): void {
    const now = this.clock.now();
    if (share === this.shareWritten.share && now - this.shareWritten.at < SHARE_REFRESH_MS) return;
    this.writeShare(share);
    this.shareWritten = { share, at: now };
  }

  /** The grants of every process sharing the budget, as the SendLog their window shares count. */
  readonly sends: SendLog = {
    // The grant itself records the send, in the same transaction that spaced it.
    record: () => undefined,
    countIn: (from, to) => this.countGrants(from, to),
    forget: (at) => this.dropGrant(at),
  };

  close(): void {
    this.db.close();
  }
}

function createTables(db: BetterSqlite3.Database): void {
  db.exec(`CREATE TABLE IF NOT EXISTS budget (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    next_slot REAL NOT NULL,
    paused_until REAL NOT NULL,
    last_grant REAL NOT NULL,
    last_holder TEXT NOT NULL DEFAULT '')`);
  db.exec('INSERT OR IGNORE INTO budget (id, next_slot, paused_until, last_grant) VALUES (1, 0, 0, 0)');
  db.exec('CREATE TABLE IF NOT EXISTS tickets (id INTEGER PRIMARY KEY, holder TEXT NOT NULL, slot REAL NOT NULL)');
  db.exec('CREATE TABLE IF NOT EXISTS grants (at REAL NOT NULL)');
  db.exec('CREATE INDEX IF NOT EXISTS grants_at ON grants (at)');
  db.exec(`CREATE TABLE IF NOT EXISTS window_share (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    share REAL NOT NULL,
    learned_at REAL NOT NULL)`);
}

/** The token budgets of one PINSYNC_HOME: a file per token in `budgetDir`, opened when first asked. */
class HomeBudget implements SharedBudget {
  private readonly budgets = new Map<string, TokenBudget>();

  constructor(
    private readonly sqlite: Sqlite,
    private readonly budgetDir: string,
    private readonly writeRate: number,
    private readonly clock: Clock,
    private readonly notice: BudgetNotice,
  ) {}

  slots(key: string, category: string): TokenBudget | undefined {
    if (category !== SHARED_CATEGORY) return undefined;
    const id = laneKey(key, category);
    let budget = this.budgets.get(id);
    if (!budget) {
      budget = openTokenBudget(this.sqlite, budgetFile(this.budgetDir, id), this.writeRate, this.clock, this.notice);
      this.budgets.set(id, budget);
    }
    return budget;
  }

  close(): void {
    for (const budget of this.budgets.values()) budget.close();
    this.budgets.clear();
  }
}

/** One token's budget file, its times made possible and a damaged file replaced first (each said through `notice`). */
function openTokenBudget(sqlite: Sqlite, file: string, writeRate: number, clock: Clock, notice: BudgetNotice): TokenBudget {
  return openReplacingDamaged(sqlite, file, (db) => new TokenBudget(db, writeRate, clock, notice), notice);
}

/**
 * The write budget this process shares with every other pinsync process of the PINSYNC_HOME whose
 * state folder is `stateDir` (ctx.paths.stateDir), at `writeRate` per second. Loads better-sqlite3 lazily.
 * A budget file found stale or damaged is repaired and said once through `notice`.
 */
export async function openSharedBudget(stateDir: string, writeRate: number, clock: Clock = realClock, notice: BudgetNotice = () => undefined): Promise<SharedBudget> {
  const { default: sqlite } = await import('better-sqlite3');
  const dir = budgetDir(stateDir);
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  return new HomeBudget(sqlite, dir, writeRate, clock, notice);
}

/**
 * Checks every budget file of the home as a run opens it (`pinsync doctor`): times reset, a damaged
 * file replaced. Resolves with how many files there are and what was said about them.
 */
export async function checkBudgetFiles(stateDir: string, clock: Clock = realClock): Promise<{ files: number; notices: string[] }> {
  const dir = budgetDir(stateDir);
  const files = fs.existsSync(dir) ? fs.readdirSync(dir).filter((name) => name.endsWith('.db')) : [];
  const notices: string[] = [];
  if (files.length === 0) return { files: 0, notices };
  const { default: sqlite } = await import('better-sqlite3');
  for (const name of files) {
    const file = path.join(dir, name);
    try {
      // The rate only bounds how far ahead the slot sequence may run: one slot a second, the smallest share.
      openTokenBudget(sqlite, file, 1, clock, (sentence) => notices.push(sentence)).close();
    } catch (error) {
      if (!(error instanceof BudgetBeyondRepairError)) notices.push(`the write budget that this home's pinsync processes share (${file}) cannot be opened (${(error as Error).message}): runs keep to the rate alone, each on its own.`);
    }
  }
  return { files: files.length, notices };
}

function budgetDir(stateDir: string): string {
  return path.join(stateDir, 'budgets');
}

/** `key` is already a digest of the token; hashing again keeps even that out of file names. */
function budgetFile(dir: string, lane: string): string {
  return path.join(dir, `${createHash('sha256').update(lane).digest('hex').slice(0, 32)}.db`);
}
