// Times in a write-budget file that this machine's clock cannot have written (a clock set back, a file
// copied from another machine): a slot an hour ahead would hold every run of the home for the hour.
// Checked where the budget row is read (three comparisons) and over every table on open; reset to now.
import type BetterSqlite3 from 'better-sqlite3';

/** Grants, shares and the last grant are written at this machine's "now": further ahead, its clock went back. */
const CLOCK_STEP_MS = 2_000;
/**
 * A pause is Pinterest's: at most a daily quota's reset away (Trial access's quota is per day, see
 * ../shared/pinterest/NOTES.md), plus an hour. Further ahead, it is no pause Pinterest asked for.
 */
const PAUSE_MAX_MS = 25 * 3_600_000;
/**
 * The slot sequence runs one turn ahead per process waiting in it. Sixty turns ahead is no queue of
 * processes: it is a clock that went back, or a file edited or copied.
 */
const SLOT_TURNS_MAX = 60;

/** Says once what was found wrong with a budget file and what was done (a warning through the Context). */
export type BudgetNotice = (sentence: string) => void;

export interface BudgetRow {
  next_slot: number;
  paused_until: number;
  last_grant: number;
  last_holder: string;
}

/** How far ahead of now the slot sequence may run, a turn lasting `longestTurnMs` at most. */
export function slotsAheadMaxMs(longestTurnMs: number): number {
  return SLOT_TURNS_MAX * longestTurnMs;
}

export class BudgetTimes {
  private readonly select: BetterSqlite3.Statement<[], BudgetRow>;
  private readonly selectLatest: BetterSqlite3.Statement<[], { slot: unknown; grant: unknown; learned: unknown }>;
  private readonly resetRow: BetterSqlite3.Transaction<(now: number) => BudgetRow>;

  constructor(
    private readonly db: BetterSqlite3.Database,
    private readonly slotsAheadMs: number,
    private readonly notice: BudgetNotice,
  ) {
    this.select = db.prepare<[], BudgetRow>('SELECT next_slot, paused_until, last_grant, last_holder FROM budget WHERE id = 1');
    this.selectLatest = db.prepare(
      'SELECT (SELECT max(slot) FROM tickets) AS slot, (SELECT max(at) FROM grants) AS "grant", (SELECT max(learned_at) FROM window_share) AS learned',
    );
    this.resetRow = db.transaction((now: number) => this.resetTimes(now));
  }

  /** Whether this machine's clock can have written the row. The negated form also refuses a value that is no number. */
  possible(row: BudgetRow, now: number): boolean {
    return row.last_grant <= now + CLOCK_STEP_MS && row.paused_until <= now + PAUSE_MAX_MS && row.next_slot <= Math.max(now, row.paused_until) + this.slotsAheadMs;
  }

  /** Resets the times to now, says so, and returns the row as it is now. Inside a transaction or on its own. */
  reset(now: number): BudgetRow {
    return this.db.inTransaction ? this.resetRow(now) : this.resetRow.immediate(now);
  }

  /** On open: the row, and the tickets, grants and share it keeps beside it. */
  resetIfFound(now: number): void {
    if (this.impossible(this.select.get()!, now)) this.reset(now);
  }

  private resetTimes(now: number): BudgetRow {
    const row = this.select.get()!;
    if (!this.impossible(row, now)) return row; // another process reset it first
    const lead = this.furthestAhead(row, now);
    const clockWentBack = !(row.last_grant <= now + CLOCK_STEP_MS);
    // A pause survives only when it can be Pinterest's: a clock that went back makes every time suspect.
    const pause = !clockWentBack && row.paused_until <= now + PAUSE_MAX_MS ? row.paused_until : 0;
    this.db.prepare('UPDATE budget SET next_slot = ?, paused_until = ?, last_grant = ? WHERE id = 1').run(now, pause, clockWentBack ? now : row.last_grant);
    this.db.prepare('DELETE FROM tickets WHERE NOT (slot <= ?)').run(Math.max(now, pause) + this.slotsAheadMs);
    this.db.prepare('DELETE FROM grants WHERE NOT (at <= ?)').run(now + CLOCK_STEP_MS);
    this.db.prepare('DELETE FROM window_share WHERE NOT (learned_at <= ?)').run(now + CLOCK_STEP_MS);
    const held = Number.isNaN(lead) ? 'values that are not times' : `times ${aheadText(lead)} ahead of this machine's clock (a clock set back, or a file from another machine)`;
    this.notice(`the write budget that this home's pinsync processes share (${this.db.name}) held ${held}: reset it to now.`);
    return this.select.get()!;
  }

  private impossible(row: BudgetRow, now: number): boolean {
    return !(this.furthestAhead(row, now) <= CLOCK_STEP_MS);
  }

  /**
   * How far the furthest time that this machine's clock cannot have written runs ahead of now (NaN:
   * one is no number): the row's, the tickets', the grants', the share's. Slots and the pause count
   * only past their bounds.
   */
  private furthestAhead(row: BudgetRow, now: number): number {
    const tables = this.selectLatest.get()!;
    const orNow = (time: unknown) => (time === null ? now : time);
    const times = [row.next_slot, row.paused_until, row.last_grant, orNow(tables.slot), orNow(tables.grant), orNow(tables.learned)];
    if (!times.every((time) => typeof time === 'number' && Number.isFinite(time))) return NaN;
    const [next, pause, last, slot, grant, learned] = times as [number, number, number, number, number, number];
    const slotBound = Math.max(now, pause) + this.slotsAheadMs;
    const pastBound = (time: number, bound: number) => (time > bound ? time - now : 0);
    return Math.max(last - now, grant - now, learned - now, pastBound(pause, now + PAUSE_MAX_MS), pastBound(next, slotBound), pastBound(slot, slotBound));
  }
}

function aheadText(ms: number): string {
  if (ms < 120_000) return `${Math.round(ms / 1000)} s`;
  if (ms < 2 * 3_600_000) return `${Math.round(ms / 60_000)} min`;
  if (ms < 2 * 86_400_000) return `${Math.round(ms / 3_600_000)} h`;
  return `${Math.round(ms / 86_400_000)} days`;
}
