// This process's lanes in virtual time: the spacing, the probe, pauses, late sends, clients taking
// turns, and waits cut when a lane stops. The limiter against a real server is in sandbox.test.ts.
import { describe, expect, it } from 'vitest';
import { RateLimiter, WINDOW_SLACK_MS, writeBudget } from '../../../src/pinterest/ratelimit/index.js';
import { VirtualClock } from '../../support/virtual-clock.js';

const RATE = 7;
const INTERVAL_MS = (1000 + WINDOW_SLACK_MS) / RATE;

/** A limiter at RATE writes a second on a clock of its own, and the times it granted. */
function limiterAt(rate = RATE) {
  const clock = new VirtualClock();
  const limiter = new RateLimiter({ ads_write: rate }, { clock });
  const granted: number[] = [];
  const acquire = (label?: string, order?: string[]) =>
    limiter.acquire('t', 'ads_write').then(() => {
      granted.push(clock.now());
      if (label) order?.push(label);
    });
  return { clock, limiter, granted, acquire };
}

/** The answer to the first request: the lane leaves its probe and runs at its rate. */
const answered = { status: 200, limit: RATE, remaining: RATE - 1, resetMs: 1000, sentAt: 0 };

describe('RateLimiter (virtual time)', () => {
  it('spaces 21 writes asked at once 1,020/7 ms apart, in the order they asked: the 21st ~2.9 s after the first', async () => {
    const { clock, limiter, acquire, granted } = limiterAt();
    const order: string[] = [];
    const all = Array.from({ length: 21 }, (_, i) => acquire(String(i), order));
    await clock.runUntil(40);
    limiter.observe('t', 'ads_write', answered);
    await clock.runUntil(5_000);
    await Promise.all(all);
    expect(order).toEqual(Array.from({ length: 21 }, (_, i) => String(i)));
    granted.forEach((at, i) => expect(at).toBeCloseTo(i * INTERVAL_MS, 6));
  });

  it("sends a lane's first request alone and the rest after its answer", async () => {
    const { clock, limiter, acquire, granted } = limiterAt();
    const all = Array.from({ length: 3 }, () => acquire());
    await clock.runUntil(250); // the answer is slow: longer than the 146 ms interval
    expect(granted).toEqual([0]);
    limiter.observe('t', 'ads_write', answered);
    await clock.runUntil(2_000);
    await Promise.all(all);
    expect(granted).toEqual([0, 250, 250 + INTERVAL_MS]);
  });

  it('without an answer the lane goes on after two intervals', async () => {
    const { clock, acquire, granted } = limiterAt();
    const all = Array.from({ length: 3 }, () => acquire());
    await clock.runUntil(2_000);
    await Promise.all(all);
    expect(granted).toEqual([0, 2 * INTERVAL_MS, 3 * INTERVAL_MS]);
  });

  it('spaces the next slot from when a held-back request really left, not from its grant', async () => {
    const { clock, limiter, acquire, granted } = limiterAt(10); // a slot every 102 ms
    await acquire();
    limiter.observe('t', 'ads_write', { status: 200 });
    const second = acquire();
    await clock.runUntil(200);
    await second;
    // A busy event loop held that request back 80 ms before it reached the socket.
    limiter.sent('t', 'ads_write', granted[1]!, granted[1]! + 80);
    const third = acquire();
    await clock.runUntil(1_000);
    await third;
    // The spacing holds 20 ms of slack for jitter; the 60 ms beyond it move the next slot.
    expect(granted[2]! - granted[1]!).toBeCloseTo(80 - WINDOW_SLACK_MS + 102, 6);
  });

  it('a request that left within the slack moves nothing', async () => {
    const { clock, limiter, acquire, granted } = limiterAt(10);
    await acquire();
    limiter.observe('t', 'ads_write', { status: 200 });
    limiter.sent('t', 'ads_write', 0, WINDOW_SLACK_MS);
    const second = acquire();
    await clock.runUntil(1_000);
    await second;
    expect(granted).toEqual([0, 102]);
  });

  it('holds a paused category until the pause ends, and lets an abort out at once', async () => {
    const { clock, limiter, acquire, granted } = limiterAt(100);
    await acquire();
    limiter.pause('t', 'ads_write', 400);
    expect(limiter.pausedUntil('t', 'ads_write')).toBe(400);
    const held = acquire();
    await clock.runUntil(1_000);
    await held;
    expect(granted).toEqual([0, 400]);

    limiter.pause('t', 'ads_write', 20_000);
    const controller = new AbortController();
    const waiting = limiter.acquire('t', 'ads_write', { signal: controller.signal });
    await clock.runUntil(1_050);
    controller.abort(new Error('stop'));
    await expect(waiting).rejects.toThrow('stop');
    expect(clock.now()).toBe(1_050);
  });

  it('a pause heard while waiting holds the waiting request too', async () => {
    const { clock, limiter, acquire, granted } = limiterAt(100);
    await acquire();
    limiter.observe('t', 'ads_write', { status: 200 });
    const waiting = acquire();
    limiter.pause('t', 'ads_write', 500);
    await clock.runUntil(1_000);
    await waiting;
    expect(granted).toEqual([0, 500]);
  });

  it('does not limit a category without a rate', async () => {
    const { limiter } = limiterAt();
    await Promise.all(Array.from({ length: 100 }, () => limiter.acquire('t', 'ads_read')));
    expect(limiter.pausedUntil('t', 'ads_read')).toBe(0);
  });
});

describe("a process's clients take turns (WriteBudget lanes)", () => {
  it('hands slots to the clients in turn, each in the order it asked', async () => {
    const clock = new VirtualClock();
    const budget = writeBudget({ ads_write: 50 }, undefined, clock);
    const [big, small] = [budget.lane(), budget.lane()];
    const granted: string[] = [];
    const ask = (lane: typeof big, label: string) => lane.acquire('token', 'ads_write').then(() => granted.push(label));
    const waits = [...Array.from({ length: 8 }, (_, i) => ask(big, `big${i}`)), ask(small, 'small0'), ask(small, 'small1')];
    await clock.runUntil(5_000);
    await Promise.all(waits);
    expect(granted.slice(0, 5)).toEqual(['big0', 'small0', 'big1', 'small1', 'big2']);
    expect(granted.filter((label) => label.startsWith('big'))).toEqual(Array.from({ length: 8 }, (_, i) => `big${i}`));
  });

  it('a waiter that gives up leaves its lane; the others still get their slots', async () => {
    const clock = new VirtualClock();
    const lane = writeBudget({ ads_write: 20 }, undefined, clock).lane();
    const stop = new AbortController();
    const first = lane.acquire('token', 'ads_write');
    const abandoned = lane.acquire('token', 'ads_write', { signal: stop.signal });
    const last = lane.acquire('token', 'ads_write');
    stop.abort(new Error('stopped'));
    await expect(abandoned).rejects.toThrow('stopped');
    await clock.runUntil(1_000);
    await expect(Promise.all([first, last])).resolves.toBeDefined();
  });

  it("a cut ends one client's waits, those whose deadline it stops, and leaves the other clients' alone", async () => {
    const clock = new VirtualClock();
    const budget = writeBudget({ ads_write: 10 }, undefined, clock);
    const [stopped, other] = [budget.lane(), budget.lane()];
    const outcome: string[] = [];
    const ask = (lane: typeof stopped, label: string, deadline: number) =>
      lane.acquire('token', 'ads_write', { deadline }).then(
        () => outcome.push(`${label} sent`),
        (reason: Error) => outcome.push(`${label} ${reason.message}`),
      );
    await stopped.acquire('token', 'ads_write'); // the probe: the others wait behind it
    const waits = [ask(stopped, 'soon', 1_000), ask(stopped, 'later', 100_000), ask(other, 'other', 1_000)];
    stopped.cut('token', 'ads_write', new Error('cut'), (deadline) => deadline < 50_000);
    await clock.runUntil(2_000);
    await Promise.all(waits);
    expect(outcome).toEqual(['soon cut', 'other sent', 'later sent']);
  });
});
