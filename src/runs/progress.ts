// What a run's progress shows: the totals of the rows that reached no audience plus every audience's,
// and on a terminal the busiest audiences of a fan-out.
import type { Context } from '../context.js';
import { progressInterval, type ProgressOptions, type TallyView } from '../report/progress.js';
import type { Tally } from '../send/tally.js';

/** The run's counts while it runs: rows that reached no audience plus every audience's. */
export function totalTally(unrouted: Tally, parts: () => Tally[]): TallyView {
  const sum = (key: keyof TallyView) => parts().reduce((total, part) => total + part[key], unrouted[key]);
  return {
    get entered() { return sum('entered'); },
    get synced() { return sum('synced'); },
    get duplicates() { return sum('duplicates'); },
    get notSynced() { return sum('notSynced'); },
    get errored() { return sum('errored'); },
    get pending() { return sum('pending'); },
  };
}

/** On a terminal the progress line of a fan-out names the audiences with the most rows. */
export function busiest(routes: { routes: Array<{ audience: string; route: { tally: Tally } }> }): string {
  return routes.routes
    .map(({ audience, route }) => ({ audience, rows: route.tally.entered }))
    .sort((a, b) => b.rows - a.rows)
    .slice(0, 3)
    .map((a) => `${a.audience.slice(0, 24)} ${a.rows.toLocaleString('en-US')}`)
    .join(' · ');
}

export function progressOptions(ctx: Context, options: { progress?: boolean }, detail?: () => string): ProgressOptions {
  return {
    stderr: ctx.stderr,
    isTTY: ctx.stderrIsTTY,
    enabled: options.progress !== false,
    intervalSeconds: progressInterval(ctx.env),
    now: ctx.now,
    detail,
  };
}
