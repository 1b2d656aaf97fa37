// Retry with exponential backoff and full jitter until a deadline. Only errors marked retryable are
// retried (429, 5xx, timeouts, resets); the server's Retry-After wins over the computed delay.
import { InterruptedError } from '../errors.js';
import { ApiError } from './errors.js';
import { realClock, type Clock } from './clock.js';

/** How long a failing request is retried by default: the reference product's ~13 hours. */
export const DEFAULT_RETRY_FOR_MS = 13 * 3_600_000;

export interface RetryPolicy {
  /** Epoch ms after which no new attempt starts. */
  deadline: number;
  baseMs?: number;
  capMs?: number;
  clock?: Clock;
  random?: () => number;
  signal?: AbortSignal;
  /** Called before each wait; `attempt` is the number of the attempt that failed (0-based). */
  onRetry?: (error: ApiError, attempt: number, delayMs: number) => void;
}

export const DEFAULT_BACKOFF_BASE_MS = 500;
export const DEFAULT_BACKOFF_CAP_MS = 60_000;

/** Full jitter: a uniform delay between 0 and min(cap, base * 2^attempt). */
export function backoffDelay(attempt: number, baseMs: number, capMs: number, random: () => number): number {
  const ceiling = Math.min(capMs, baseMs * 2 ** Math.min(attempt, 30));
  return Math.floor(random() * ceiling);
}

export async function withRetry<T>(attemptOnce: (attempt: number) => Promise<T>, policy: RetryPolicy): Promise<T> {
  const clock = policy.clock ?? realClock;
  const random = policy.random ?? Math.random;
  const baseMs = policy.baseMs ?? DEFAULT_BACKOFF_BASE_MS;
  const capMs = policy.capMs ?? DEFAULT_BACKOFF_CAP_MS;
  for (let attempt = 0; ; attempt += 1) {
    throwIfAborted(policy.signal);
    try {
      return await attemptOnce(attempt);
    } catch (error) {
      if (policy.signal?.aborted) throw interrupted(policy.signal);
      if (!(error instanceof ApiError) || !error.retryable) throw error;
      const delay = error.retryAfterMs ?? backoffDelay(attempt, baseMs, capMs, random);
      if (clock.now() + delay >= policy.deadline) throw error; // retryable stays true: the window ran out
      policy.onRetry?.(error, attempt, delay);
      try {
        await clock.sleep(delay, policy.signal);
      } catch {
        throw interrupted(policy.signal);
      }
    }
  }
}

function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw interrupted(signal);
}

function interrupted(signal: AbortSignal | undefined): InterruptedError {
  return new InterruptedError('Interrupted while waiting for Pinterest.', { cause: signal?.reason });
}
