// Where identified rows go: to one route per audience. With --audience every row takes the one route,
// opened before the input is read; with --audience-column each row goes by the value in that column,
// and a route opens (asynchronously: the audience is looked up, a journal or lock taken) the first time
// its value appears, that audience's rows waiting in order until it is open. A plain run is a fan-out of
// one: the same routes, the same end.
import type { ColumnPlan } from '../input/columns.js';
import type { IdentifiedRowSink, RowIdentity, StopReason } from '../identify/identified-rows.js';
import { Verdict } from '../identify/identify.js';
import { cleanValue } from '../identify/normalise.js';
import type { Tally } from '../send/tally.js';
import type { Routing } from './settings.js';

/** Where the rows of one audience go (push: dedupe and rows sent; sync: the staging of its diff). */
export interface Route {
  /** The header decided the columns (a route opened before reading learns them here). */
  planned(plan: ColumnPlan): void;
  identified(line: number, verdict: Verdict, row: RowIdentity): void;
  stopReason?(): StopReason | undefined;
  room?(): Promise<void> | undefined;
}

/** Opens the route of one audience: its name or id as given (--audience) or as written in the column, cleaned and trimmed. */
export type OpenRoute<R extends Route> = (audience: string) => Promise<R>;

interface HeldRow {
  line: number;
  verdict: Verdict;
  row: RowIdentity;
}

interface RouteEntry<R> {
  audience: string;
  route?: R;
  held: HeldRow[];
}

export class Routes<R extends Route> implements IdentifiedRowSink {
  plan: ColumnPlan | undefined;
  private readonly entries = new Map<string, RouteEntry<R>>();
  private readonly opening = new Set<Promise<void>>();
  private failure: { error: unknown } | undefined;
  /** --audience: the one route every row takes. */
  private only: R | undefined;

  /**
   * `unrouted` counts the rows that reach no audience (--audience-column): an empty value
   * (missing_audience) or a malformed row. `onNews` wakes a reader waiting for input when a route fails to open.
   */
  constructor(
    readonly routing: Routing,
    private readonly open: OpenRoute<R>,
    private readonly unrouted: Tally,
    private readonly onNews: () => void = () => {},
  ) {}

  /** --audience: opens the one route before a row is read, so a missing audience stops the run first. */
  async openTheOnlyRoute(): Promise<void> {
    if (this.routing.audience === undefined) return;
    const route = await this.open(this.routing.audience);
    this.entries.set(this.routing.audience, { audience: this.routing.audience, route, held: [] });
    this.only = route;
  }

  /** The open routes by audience, in the order their audiences first appeared. */
  get routes(): Array<{ audience: string; route: R }> {
    return [...this.entries.values()].filter((e) => e.route).map((e) => ({ audience: e.audience, route: e.route! }));
  }

  planned(plan: ColumnPlan): void {
    this.plan = plan;
    for (const { route } of this.routes) route.planned(plan);
  }

  identified(line: number, verdict: Verdict, row: RowIdentity, audienceValue?: string): void {
    if (this.only) {
      this.only.identified(line, verdict, row);
      return;
    }
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
    const opening = this.open(audience).then(
      (route) => {
        entry.route = route;
        if (this.plan) route.planned(this.plan);
        for (const held of entry.held.splice(0)) route.identified(held.line, held.verdict, held.row);
      },
      (error: unknown) => {
        this.failure ??= { error };
        this.onNews();
      },
    );
    this.opening.add(opening);
    void opening.finally(() => this.opening.delete(opening));
    return entry;
  }
}
