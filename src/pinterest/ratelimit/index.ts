// Rate limiting, the whole idea in one folder: what the call engine asks (Limiter), this process's
// lanes (RateLimiter: spacing, learning, clients in turn), the share of the per-second window beside
// unseen consumers (WindowShare), and the port to a budget shared across processes (SharedBudget).
export { aloneOnFailure } from './alone-on-failure.js';
export { effectiveSendTime, isLateSend, isPerSecondWindow, PACED_WINDOW_MAX_MS, WINDOW_SLACK_MS } from './lane.js';
export {
  categoryRates,
  DEFAULT_READ_RATE,
  DEFAULT_WRITE_RATE,
  laneKey,
  tokenKey,
  type BudgetObservation,
  type CategoryRates,
  type Limiter,
  type SlotWait,
} from './limiter.js';
export { RateLimiter, type RateLimiterOptions } from './rate-limiter.js';
export type { SharedBudget, SharedSlots } from './shared-budget.js';
export { MemorySendLog, type SendLog } from './window-share.js';
export { writeBudget, type WriteBudget } from './write-budget.js';
