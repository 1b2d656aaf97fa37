// The write budget of one process: a RateLimiter whose lanes the clients of the process (the jobs of
// `pinsync run`, or a run's single client) take in turn, its slots shared with the other processes of
// the home when a SharedBudget is given.
import type { CategoryRates, Limiter } from './limiter.js';
import { RateLimiter } from './rate-limiter.js';
import type { SharedBudget } from './shared-budget.js';
import type { Clock } from '../clock.js';

export interface WriteBudget {
  /** A lane for one client: its requests take turns with those of the other lanes. */
  lane(): Limiter;
  close(): void;
}

export function writeBudget(rates: CategoryRates, shared?: SharedBudget, clock?: Clock): WriteBudget {
  const limiter = new RateLimiter(rates, { shared, clock });
  return {
    lane: () => limiter.client(),
    close: () => shared?.close(),
  };
}
