// Processes that share a token but nothing else (other machines, CI runners) learn their share of the
// per-second write window from the answers alone. Virtual time: each scenario runs a minute of writes
// against the sandbox's own sliding window (at most 7 in any second per token) in milliseconds.
import { describe, expect, it } from 'vitest';
import { RateLimiter, type BudgetObservation } from '../../../src/pinterest/ratelimit/index.js';
import { SlidingWindowLimiter } from '../../../src/sandbox/ratelimit.js';
import { VirtualClock } from '../../support/virtual-clock.js';

const LIMIT = 7;
const ROUND_TRIP_MS = 40;
/** Writes each process keeps in flight, as the upload stage does. */
const WORKERS = 4;

interface Consumer {
  startMs: number;
  endMs: number;
}

interface Outcome {
  accepted: number[];
  refused: number;
  /** Accepted writes per process. */
  byProcess: number[];
  limiters: RateLimiter[];
}

/** A deterministic random source, so a run repeats. */
function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => ((state = (Math.imul(state, 1664525) + 1013904223) >>> 0) / 2 ** 32);
}

/**
 * Consumers writing as fast as their own limiters allow against one token's window. `headers`: the
 * answers carry x-ratelimit-* (else only the status teaches, and a 429 holds the lane a second, as
 * the client does then).
 */
async function shareToken(consumers: Consumer[], { headers = true } = {}): Promise<Outcome> {
  const clock = new VirtualClock();
  const server = new SlidingWindowLimiter(LIMIT, 1000);
  const outcome: Outcome = { accepted: [], refused: 0, byProcess: consumers.map(() => 0), limiters: [] };
  const end = Math.max(...consumers.map((c) => c.endMs));
  const loops = consumers.flatMap((consumer, p) => {
    const limiter = new RateLimiter({ ads_write: LIMIT }, { clock, random: seeded(p + 1) });
    outcome.limiters.push(limiter);
    return Array.from({ length: WORKERS }, async () => {
      await clock.sleep(consumer.startMs);
      while (clock.now() < consumer.endMs) {
        await limiter.acquire('token', 'ads_write');
        const sentAt = clock.now();
        if (sentAt >= consumer.endMs) break;
        const decision = server.take('token', sentAt);
        await clock.sleep(ROUND_TRIP_MS);
        const status = decision.allowed ? 200 : 429;
        const seen: BudgetObservation = headers
          ? { status, limit: decision.limit, remaining: decision.remaining, resetMs: decision.resetSeconds * 1000, sentAt }
          : { status, sentAt };
        limiter.observe('token', 'ads_write', seen);
        if (!headers && status === 429) limiter.pause('token', 'ads_write', clock.now() + 1000);
        if (decision.allowed) {
          outcome.accepted.push(sentAt);
          outcome.byProcess[p]! += 1;
        } else {
          outcome.refused += 1;
        }
      }
    });
  });
  await clock.runUntil(end + 2_000);
  await Promise.all(loops);
  return outcome;
}

const shareOfCeiling = (o: Outcome, seconds: number) => o.accepted.length / (seconds * LIMIT);
const share429 = (o: Outcome) => o.refused / (o.refused + o.accepted.length);

describe('learning the write budget from the answers (virtual time)', () => {
  it('a lone process keeps the whole window: ≥ 0.95 of the ceiling, no 429', async () => {
    const outcome = await shareToken([{ startMs: 0, endMs: 60_000 }]);
    expect(shareOfCeiling(outcome, 60)).toBeGreaterThanOrEqual(0.95);
    expect(outcome.refused).toBe(0);
  });

  it('two processes started together settle at ≥ 0.9 of the ceiling combined with ≤ 3% of writes answered 429', async () => {
    const outcome = await shareToken([
      { startMs: 0, endMs: 60_000 },
      { startMs: 30, endMs: 60_000 },
    ]);
    expect(shareOfCeiling(outcome, 60)).toBeGreaterThanOrEqual(0.9);
    expect(share429(outcome)).toBeLessThanOrEqual(0.03);
    // Neither starves: each gets at least a third of what went through.
    for (const accepted of outcome.byProcess) expect(accepted).toBeGreaterThan(outcome.accepted.length / 3);
  });

  it('a process that joins a busy token takes a share without a burst of 429s, and the other gets all back when it leaves', async () => {
    const outcome = await shareToken([
      { startMs: 0, endMs: 60_000 },
      { startMs: 20_000, endMs: 40_000 },
    ]);
    expect(share429(outcome)).toBeLessThanOrEqual(0.03);
    const inSecond = (from: number) => outcome.accepted.filter((t) => t >= from && t < from + 1000).length;
    // Within 3 s of the second leaving, the first runs at full speed again.
    for (let s = 43_000; s < 60_000; s += 1000) expect(inSecond(s)).toBeGreaterThanOrEqual(LIMIT - 1);
    for (let s = 22_000; s < 40_000; s += 1000) expect(inSecond(s)).toBeGreaterThanOrEqual(LIMIT - 2);
  });

  it('without x-ratelimit headers only 429s teach: two processes slow down and come back, not live on 429s', async () => {
    const outcome = await shareToken(
      [
        { startMs: 0, endMs: 60_000 },
        { startMs: 30, endMs: 60_000 },
      ],
      { headers: false },
    );
    expect(share429(outcome)).toBeLessThanOrEqual(0.15);
    expect(shareOfCeiling(outcome, 60)).toBeGreaterThanOrEqual(0.6);
  });

});
