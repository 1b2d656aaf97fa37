// The fan-out of --audience-column: one stream of identified rows routed by each row's audience
// value into one route per audience (push: its own dedupe, rows sent, tally and journal; sync: its
// own staging diff). A route opens asynchronously (the audience is looked up, a journal or lock
// taken) the first time a value appears; that audience's rows wait, in order, until it is open.
import type { ColumnPlan } from '../input/columns.js';
import type { IdentifiedRowSink, RowIdentity } from '../identify/identified-rows.js';
import { Verdict } from '../identify/identify.js';
import { cleanValue } from '../identify/normalise.js';
import type { StopReason } from '../send/outcome.js';
import type { Tally } from '../send/tally.js';

/** Where the rows of one audience go. */
export interface AudienceRoute {
  identified(line: number, verdict: Verdict, row: RowIdentity): void;
  stopReason?(): StopReason | undefined;
  room?(): Promise<void> | undefined;
}

/** Opens the route of one audience (its name or id as written in the column, cleaned and trimmed). */
export type OpenRoute<R extends AudienceRoute> = (audience: string, plan: ColumnPlan) => Promise<R>;

interface HeldRow {
  line: number;
  verdict: Verdict;
  row: RowIdentity;
}

interface RouteEntry<R> {
  audience: string;
  route?: R;
  opening?: Promise<void>;
  held: HeldRow[];
}

export class FanOut<R extends AudienceRoute> implements IdentifiedRowSink {
  plan: ColumnPlan | undefined;
  private readonly entries = new Map<string, RouteEntry<R>>();
  private readonly opening = new Set<Promise<void>>();
  private failure: { error: unknown } | undefined;

  /**
   * `unrouted` counts the rows that reach no audience: an empty value (missing_audience) or a
   * malformed row. `onNews` wakes a reader waiting for input when a route fails to open.
   */
  constructor(
    private readonly open: OpenRoute<R>,
    private readonly unrouted: Tally,
    private readonly onNews: () => void = () => {},
  ) {}

  /** The open routes by audience, in the order their audiences first appeared. */
  get routes(): Array<{ audience: string; route: R }> {
    return [...this.entries.values()].filter((e) => e.route).map((e) => ({ audience: e.audience, route: e.route! }));
  }

  planned(plan: ColumnPlan): void {
    this.plan = plan;
  }

  identified(line: number, verdict: Verdict, row: RowIdentity, audienceValue?: string): void {
    const audience = cleanValue(audienceValue ?? '');
    if (audience.length === 0 || (verdict === Verdict.NotSynced && row.reason === 'malformed_row')) {
      this.unrouted.rowEntered();
      this.unrouted.rowNotSynced(line, verdict === Verdict.NotSynced && row.reason === 'malformed_row' ? 'malformed_row' : 'missing_audience');
      return;
    }
    const entry = this.entries.get(audience) ?? this.startOpening(audience);
    if (entry.route) entry.route.identified(line, verdict, row);
    else entry.held.push({ line, verdict, row: { records: row.records.slice(0, row.count), count: row.count, reason: row.reason } });
  }

  /** A route that failed to open stops the run with its error; else the first route that must stop. */
  stopReason(): StopReason | undefined {
    if (this.failure) throw this.failure.error;
    for (const entry of this.entries.values()) {
      const stop = entry.route?.stopReason?.();
      if (stop) return stop;
    }
    return undefined;
  }

  /** Waits for routes still opening (then hands them their held rows), or for a route with no room. */
  room(): Promise<void> | undefined {
    if (this.opening.size > 0) return Promise.all(this.opening).then(() => {});
    for (const entry of this.entries.values()) {
      const room = entry.route?.room?.();
      if (room) return room;
    }
    return undefined;
  }

  /** Waits for every route still opening, so that each held row reaches its route (end of input). */
  async settle(): Promise<void> {
    while (this.opening.size > 0) await Promise.all(this.opening);
    if (this.failure) throw this.failure.error;
  }

  /** After a failure: rows still held are counted as pending, so the counts still add up. */
  countHeldAsPending(): void {
    for (const entry of this.entries.values()) {
      for (let i = 0; i < entry.held.length; i++) this.unrouted.rowEntered();
      entry.held.length = 0;
    }
  }

  private startOpening(audience: string): RouteEntry<R> {
    const entry: RouteEntry<R> = { audience, held: [] };
    this.entries.set(audience, entry);
    const opening = this.open(audience, this.plan!).then(
      (route) => {
        entry.route = route;
        for (const held of entry.held.splice(0)) route.identified(held.line, held.verdict, held.row);
      },
      (error: unknown) => {
        this.failure ??= { error };
        this.onNews();
      },
    );
    entry.opening = opening;
    this.opening.add(opening);
    void opening.finally(() => this.opening.delete(opening));
    return entry;
  }
}

/** The report counts of a fan-out: the sum over the audiences plus the rows that reached none. */
export function sumCounts<T extends Record<string, unknown>>(parts: readonly T[], keys: readonly (keyof T)[]): Record<string, number> {
  const total: Record<string, number> = {};
  for (const key of keys) total[key as string] = parts.reduce((sum, part) => sum + (Number(part[key]) || 0), 0);
  return total;
}
