// Where identified rows go: to one route per audience. With --audience every row takes the one route,
// opened before the input is read; with --audience-column each row goes by the value in that column.
// A value is checked (segment-values.ts), then resolved to its audience once (a look-up in the run's
// directory), and the values that name one audience (its id and its name) share that audience's route,
// opened (journal, lock) the first time. Rows are handed on in input order: a row whose audience is
// still being looked up waits, and the rows after it with it. New audiences are counted against
// --max-new-audiences as they are resolved (a sync creates nothing before it has read everything); a
// push with --create resolves a file's values before reading it (resolveAll), so it stops before
// anything is sent or created. A plain run is a fan-out of one.
import type { ColumnPlan } from '../input/columns.js';
import type { IdentifiedRowSink, RowIdentity, StopReason } from '../identify/identified-rows.js';
import { Verdict } from '../identify/identify.js';
import { cleanValue } from '../identify/normalise.js';
import { UsageError } from '../errors.js';
import { clean } from '../report/table.js';
import type { Tally } from '../send/tally.js';
import { audienceNameProblem } from './audience-names.js';
import { SegmentValues } from './segment-values.js';
import type { Routing } from './settings.js';

/** Where the rows of one audience go (push: dedupe and rows sent; sync: the staging of its diff). */
export interface Route {
  /** The header decided the columns (a route opened before reading learns them here). */
  planned(plan: ColumnPlan): void;
  identified(line: number, verdict: Verdict, row: RowIdentity): void;
  stopReason?(): StopReason | undefined;
  room?(): Promise<void> | undefined;
}

/** How a run finds and opens the route of one audience (push: PushRoute; sync: MirrorRoute). */
export interface RouteOpener<T, R extends Route> {
  /** The audience a value names (an id or exact name, cleaned and trimmed), or its creation planned: a look-up, no lock taken. */
  resolve(audience: string): Promise<T>;
  /** The audience's identity: values naming one audience (its id and its name) share one route. */
  keyOf(target: T): string;
  /** Still to create (--create): counts against --max-new-audiences. */
  isNew(target: T): boolean;
  /** The route of a resolved audience (journal, lock, diff), opened once per audience. */
  open(audience: string, target: T): Promise<R>;
}

export interface RoutesOptions {
  routing: Routing;
  /** Rows that reach no audience (--audience-column): an empty value, a refused one, a malformed row. */
  unrouted: Tally;
  /** --max-new-audiences. */
  maxNewAudiences: number;
  /** Audiences may be created while the input is still read (a push of standard input): the limit's sentence says so. */
  createsWhileReading?: boolean;
  warn(message: string): void;
  /** Wakes a reader waiting for input when a route fails to open. */
  onNews?(): void;
}

/** An audience's route, shared by every value that names it. */
interface Destination<R> {
  key: string;
  /** The first value that named it (the journal's audience). */
  audience: string;
  route?: R;
}

interface ValueEntry<R> {
  value: string;
  destination?: Destination<R>;
}

interface WaitingRow<R> {
  entry: ValueEntry<R>;
  line: number;
  verdict: Verdict;
  row: RowIdentity;
}

/**
 * One audience's identity, whatever value named it: its id, else the waiting customer list it resumes,
 * else the name it is to be created under (or, without a look-up, the name as given).
 */
export function audienceKey(target: { audienceId?: string; customerListId?: string; audienceName: string }): string {
  if (target.audienceId !== undefined) return `audience:${target.audienceId}`;
  if (target.customerListId !== undefined) return `list:${target.customerListId}`;
  return `name:${target.audienceName}`;
}

/** More new audiences than --max-new-audiences (exit 2). */
class TooManyNewAudiencesError extends UsageError {}

export class Routes<T, R extends Route> implements IdentifiedRowSink {
  plan: ColumnPlan | undefined;
  readonly segments: SegmentValues;
  /** The value whose audience could not be found or opened, once one failed (the run stops with its error). */
  failedAudience: string | undefined;
  private readonly values = new Map<string, ValueEntry<R>>();
  private readonly destinations = new Map<string, Destination<R>>();
  private readonly resolutions = new Map<string, Promise<T>>();
  /** Rows waiting, in input order, for the route of the first one's audience. */
  private readonly waiting: WaitingRow<R>[] = [];
  private readonly busy = new Set<Promise<void>>();
  private readonly newAudiences: string[] = [];
  private failure: { error: unknown } | undefined;
  /** --audience: the one route every row takes. */
  private only: R | undefined;

  constructor(
    private readonly opener: RouteOpener<T, R>,
    private readonly options: RoutesOptions,
  ) {
    this.segments = new SegmentValues(options.routing.column ?? '', options.warn);
  }

  get routing(): Routing {
    return this.options.routing;
  }

  /** --audience: opens the one route before a row is read, so a missing audience stops the run first. */
  async openTheOnlyRoute(): Promise<void> {
    const { audience } = this.routing;
    if (audience === undefined) return;
    const target = await this.opener.resolve(audience);
    this.countNew(audience, target);
    const route = await this.opener.open(audience, target);
    this.destinations.set(this.opener.keyOf(target), { key: this.opener.keyOf(target), audience, route });
    this.only = route;
  }

  /**
   * Resolves every value a file's column holds before the file is read for real: a value that names no
   * audience, or more new audiences than --max-new-audiences, stops the run before anything is sent.
   */
  async resolveAll(rawValues: Iterable<string>): Promise<void> {
    const wanted: string[] = [];
    for (const raw of rawValues) {
      const value = cleanValue(raw);
      if (value && !audienceNameProblem(value) && !this.resolutions.has(value)) wanted.push(value);
    }
    const targets = await settledInTurn(wanted, (value) => this.resolved(value));
    const failed = targets.find((t) => t.error !== undefined);
    if (failed) throw failed.error;
    const fresh = new Map<string, string>();
    targets.forEach((t, i) => {
      if (this.opener.isNew(t.value!)) fresh.set(this.opener.keyOf(t.value!), wanted[i]!);
    });
    this.checkNewLimit(fresh.size, [...fresh.values()]);
  }

  /** A look-up, an opening or --max-new-audiences stopped the run (not the input, not a route). */
  get stopped(): boolean {
    return this.failure !== undefined;
  }

  /** The open routes by audience, in the order their audiences first appeared. */
  get routes(): Array<{ audience: string; route: R }> {
    return [...this.destinations.values()].filter((d) => d.route).map((d) => ({ audience: d.audience, route: d.route! }));
  }

  /** The names of the audiences this run creates (or, in a dry run, would create). */
  get created(): readonly string[] {
    return this.newAudiences;
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
    const value = cleanValue(audienceValue ?? '');
    if (value.length === 0 || (verdict === Verdict.NotSynced && row.reason === 'malformed_row')) {
      this.notRouted(line, verdict === Verdict.NotSynced && row.reason === 'malformed_row' ? 'malformed_row' : 'missing_audience');
      return;
    }
    let entry = this.values.get(value);
    if (!entry) {
      if (this.segments.check(value)) return this.notRouted(line, 'invalid_audience_name');
      entry = this.startResolving(value);
    }
    const route = entry.destination?.route;
    if (route && this.waiting.length === 0) route.identified(line, verdict, row);
    else this.waiting.push({ entry, line, verdict, row: { records: row.records.slice(0, row.count), count: row.count, reason: row.reason } });
  }

  /** A route that failed to open stops the run with its error; else the first route that must stop. */
  stopReason(): StopReason | undefined {
    if (this.failure) throw this.failure.error;
    for (const { route } of this.routes) {
      const stop = route.stopReason?.();
      if (stop) return stop;
    }
    return undefined;
  }

  /** Waits while rows wait for an audience being looked up or opened, or for a route with no room. */
  room(): Promise<void> | undefined {
    if (this.waiting.length > 0 && this.busy.size > 0) return Promise.race(this.busy);
    for (const { route } of this.routes) {
      const room = route.room?.();
      if (room) return room;
    }
    return undefined;
  }

  /** Waits for every look-up and route still opening, so that each waiting row reaches its route (end of input). */
  async settle(): Promise<void> {
    while (this.busy.size > 0) await Promise.all(this.busy);
    if (this.failure) throw this.failure.error;
  }

  /**
   * After a failure: waits for every look-up and opening still under way (so none outlives the run's
   * client, and every route opened is closed), then counts the rows still waiting as pending.
   */
  async quiesce(): Promise<void> {
    while (this.busy.size > 0) await Promise.allSettled(this.busy);
    this.countWaitingAsPending();
  }

  /** Rows still waiting for their audience's route are counted as pending, so the counts still add up. */
  countWaitingAsPending(): void {
    for (let i = 0; i < this.waiting.length; i++) this.options.unrouted.rowEntered();
    this.waiting.length = 0;
  }

  /** One sentence per kind of refused segment value (counts only). */
  warnings(): string[] {
    return this.segments.warnings();
  }

  private notRouted(line: number, reason: string): void {
    this.options.unrouted.rowEntered();
    this.options.unrouted.rowNotSynced(line, reason);
  }

  private resolved(value: string): Promise<T> {
    let resolution = this.resolutions.get(value);
    if (!resolution) {
      resolution = this.opener.resolve(value);
      resolution.catch(() => {}); // its failure is handled where it is awaited
      this.resolutions.set(value, resolution);
    }
    return resolution;
  }

  private startResolving(value: string): ValueEntry<R> {
    const entry: ValueEntry<R> = { value };
    this.values.set(value, entry);
    this.segments.noteNew(value);
    this.track(value, this.resolved(value).then((target) => this.reachDestination(entry, target)));
    return entry;
  }

  /** The value's audience is known: its route is shared with the values naming the same audience, or opened now. */
  private reachDestination(entry: ValueEntry<R>, target: T): void {
    const key = this.opener.keyOf(target);
    let destination = this.destinations.get(key);
    if (!destination) {
      this.countNew(entry.value, target);
      destination = { key, audience: entry.value };
      this.destinations.set(key, destination);
      const opened = destination;
      this.track(
        entry.value,
        this.opener.open(entry.value, target).then((route) => {
          opened.route = route;
          if (this.plan) route.planned(this.plan);
        }),
      );
    }
    entry.destination = destination;
  }

  /** While reading: the first new audience beyond the limit stops the run (more may follow: "at least"). */
  private countNew(audience: string, target: T): void {
    if (!this.opener.isNew(target)) return;
    this.newAudiences.push(audience);
    this.checkNewLimit(this.newAudiences.length, this.newAudiences, 'at least ');
  }

  private checkNewLimit(count: number, names: readonly string[], atLeast = ''): void {
    const max = this.options.maxNewAudiences;
    if (count <= max) return;
    const shown = names.slice(0, 5).map((name) => `"${clean(name)}"`).join(', ') + (count > 5 ? ` and ${(count - 5).toLocaleString('en-US')} more` : '');
    const what = this.options.createsWhileReading ? 'stopped before creating more' : 'nothing was sent and no audience was created';
    throw new TooManyNewAudiencesError(
      `This run would create ${atLeast}${count.toLocaleString('en-US')} new audiences (${shown}), more than --max-new-audiences ${max}: ${what}. Check the column, or pass a higher --max-new-audiences to create them.`,
    );
  }

  /** A look-up or an opening under way; when it ends, waiting rows move on (or the run learns it failed). */
  private track(value: string, work: Promise<void>): void {
    const done = work.then(
      () => this.handOn(),
      (error: unknown) => {
        if (!this.failure) {
          this.failure = { error };
          if (!(error instanceof TooManyNewAudiencesError)) this.failedAudience = value;
        }
        this.options.onNews?.();
      },
    );
    this.busy.add(done);
    void done.finally(() => this.busy.delete(done));
  }

  /** Hands waiting rows to their routes, in input order, up to the first whose route is not open yet. */
  private handOn(): void {
    let handed = 0;
    for (const waiting of this.waiting) {
      const route = waiting.entry.destination?.route;
      if (!route) break;
      route.identified(waiting.line, waiting.verdict, waiting.row);
      handed++;
    }
    this.waiting.splice(0, handed);
  }
}

/** Resolves each value in turn, a few at a time (the look-ups share one listing; ids are fetched one by one). */
async function settledInTurn<V, T>(values: readonly V[], resolve: (value: V) => Promise<T>): Promise<Array<{ value?: T; error?: unknown }>> {
  const results: Array<{ value?: T; error?: unknown }> = new Array(values.length);
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < values.length; i = next++) {
      try {
        results[i] = { value: await resolve(values[i]!) };
      } catch (error) {
        results[i] = { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(8, values.length) }, worker));
  return results;
}
