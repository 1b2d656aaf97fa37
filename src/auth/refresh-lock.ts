// One refresh at a time per profile and PINSYNC_HOME. Pinterest's refresh tokens may work once: two
// processes that both renew with the same one would leave one of them with a refused grant, and with
// reuse detection no working chain at all. Whoever holds the lock reads the stored chain, renews it
// only if it still needs renewing, and stores the new pair before letting go (state/run-lock.ts: a
// kernel file lock, so a killed holder frees it).
import type { Context } from '../context.js';
import { InterruptedError } from '../errors.js';
import { waitForRunLock, type RunLock } from '../state/run-lock.js';

/** A renewal is one token request, bounded by its 60 s timeout (it is not retried): wait well past that, not forever. */
const REFRESH_LOCK_WAIT_MS = 3 * 60_000;
const REFRESH_LOCK_POLL_MS = 50;

export async function withRefreshLock<T>(ctx: Context, work: () => Promise<T>): Promise<T> {
  const lock = await takeRefreshLock(ctx);
  try {
    return await work();
  } finally {
    lock.release();
  }
}

async function takeRefreshLock(ctx: Context): Promise<RunLock> {
  try {
    return await waitForRunLock(ctx.paths.stateDir, `credentials:${ctx.profile}`, 'renewing the Pinterest login', {
      waitMs: REFRESH_LOCK_WAIT_MS,
      signal: ctx.signal,
      pollMs: REFRESH_LOCK_POLL_MS,
      onWait: () => ctx.debugLog('another pinsync process is renewing the login: waiting for it'),
    });
  } catch (error) {
    // A home that cannot hold a lock file (read-only, full) cannot share a chain between processes
    // either: renew alone. A lock still held after the wait, or Ctrl-C, ends the run.
    if (ctx.signal.aborted) throw new InterruptedError('Interrupted while another pinsync process was renewing the login.', { cause: error });
    const code = (error as { code?: unknown }).code;
    if (typeof code !== 'string') throw error;
    ctx.debugLog(`renewing the login without a lock (${(error as Error).message})`);
    return { release() {} };
  }
}
