// The client's rate limiting against the sandbox's "at most N in any 1-second window" and its quotas.
// The limiter's timing itself is pinned in virtual time (rate-limiter.test.ts).
import { afterEach, describe, expect, it } from 'vitest';
import { realClock, type Clock } from '../../../src/pinterest/clock.js';
import { RateLimiter, type Limiter } from '../../../src/pinterest/ratelimit/index.js';
import { startSandbox, type Sandbox } from '../../../src/sandbox/server.js';
import { clientFor, hashedRecords } from '../../support/pinterest-client.js';
import { US } from '../../support/sandbox.js';
import { waitUntil } from '../../support/wait.js';

let sandbox: Sandbox | undefined;
afterEach(async () => {
  await sandbox?.stop();
  sandbox = undefined;
});

async function seededList(client: ReturnType<typeof clientFor>): Promise<string> {
  const list = await client.createCustomerList(US, { name: 'Rate list', records: hashedRecords(1), list_type: 'EMAIL' });
  return list.id!;
}

/** Fire `count` PATCHes at once, as the upload stage does; the limiter must order and space them. */
async function concurrentWrites(client: ReturnType<typeof clientFor>, listId: string, count: number): Promise<number> {
  const started = Date.now();
  await Promise.all(
    Array.from({ length: count }, (_, i) =>
      client.updateCustomerList(US, listId, { operation_type: 'ADD', records: hashedRecords(2, 1000 + i * 2) }),
    ),
  );
  return Date.now() - started;
}

describe('the client\'s rate limiting against the sandbox', () => {
  it('sends 21 concurrent writes at the default 7/s without a single 429, no faster than the spacing', async () => {
    sandbox = await startSandbox({ port: 0, writeRate: 7 });
    const client = clientFor(sandbox);
    try {
      const listId = await seededList(client);
      const elapsed = await concurrentWrites(client, listId, 21);
      // Client and sandbox share one event loop here; on a loaded machine a stall of more than the
      // limiter's 20 ms slack can bunch two requests into one server window. Alone it is always 0;
      // without the limiter 14 of the 21 would be answered 429.
      expect(client.stats.rateLimited).toBeLessThanOrEqual(2);
      expect(sandbox.state.requests.filter((r) => r.status === 429).length).toBe(client.stats.rateLimited);
      // 21 writes after the list was created = 21 intervals of ~146 ms (7/s with 20 ms slack per second): ~3.06 s.
      // (That they take no longer than that is pinned in virtual time: a busy machine only adds to it.)
      expect(elapsed).toBeGreaterThan(2_900);
      expect(sandbox.state.customerList(listId)!.records.size).toBe(43);
    } finally {
      await client.close();
    }
  });

  it('recovers through 429s when the server allows 3/s and the client is set to 7/s', async () => {
    sandbox = await startSandbox({ port: 0, writeRate: 3 });
    const client = clientFor(sandbox, { writeRate: 7 });
    try {
      const listId = await seededList(client);
      await concurrentWrites(client, listId, 9);
      expect(client.stats.rateLimited).toBeGreaterThan(0);
      expect(sandbox.state.customerList(listId)!.records.size).toBe(19);
      expect(sandbox.state.violations).toEqual([]);
    } finally {
      await client.close();
    }
  });

  it('waits out a spent quota (x-ratelimit-remaining: 0 with a reset beyond a second) instead of hammering', async () => {
    sandbox = await startSandbox({ port: 0, readRatePerMinute: 2 });
    const controller = new AbortController();
    const waits: number[] = [];
    const sleeps: number[] = [];
    const clock: Clock = { now: realClock.now, sleep: (ms, signal) => (sleeps.push(ms), realClock.sleep(ms, signal)) };
    const client = clientFor(sandbox, {
      clock,
      signal: controller.signal,
      retryFor: 120_000,
      onEvent: (event) => {
        if (event.type === 'rate-limited') waits.push(event.waitMs);
      },
    });
    try {
      await client.adAccount(US);
      await client.adAccount(US); // the sandbox answers remaining 0, reset ~60 s
      expect(waits.length).toBe(1);
      expect(waits[0]).toBeGreaterThan(50_000);
      // A call whose retry window ends before the quota resets stops at once: a spent quota (exit 3), with its reset time.
      const hurried = await client.adAccount(US, { deadline: Date.now() + 5_000, signal: new AbortController().signal }).catch((e: unknown) => e);
      expect(hurried).toMatchObject({ kind: 'quota', retryable: false, exitCode: 3 });
      expect((hurried as { resetAt: number }).resetAt).toBeGreaterThan(Date.now() + 50_000);
      const third = client.adAccount(US).catch((e: unknown) => e);
      await waitUntil(() => sleeps.some((ms) => ms > 50_000), 'the third call waits for the quota to reset');
      expect(sandbox.state.requests.length).toBe(2); // held back, not sent into a 429
      controller.abort();
      expect(await third).toMatchObject({ exitCode: 130 });
      expect(sandbox.state.requests.length).toBe(2);
    } finally {
      await client.close();
    }
  });

  it('tells the limiter when a write reached the socket', async () => {
    sandbox = await startSandbox({ port: 0, writeRate: 50 });
    const sends: Array<{ grantedAt: number; sentAt: number }> = [];
    const limiter: Limiter = new RateLimiter({ ads_write: 50, ads_read: 50 }).client();
    const sent = limiter.sent;
    limiter.sent = (key, category, grantedAt, sentAt) => {
      sends.push({ grantedAt, sentAt });
      sent(key, category, grantedAt, sentAt);
    };
    const client = clientFor(sandbox, { limiter });
    try {
      const listId = await seededList(client);
      const before = Date.now();
      await client.updateCustomerList(US, listId, { operation_type: 'ADD', records: hashedRecords(3) });
      const after = Date.now();
      const writes = sends.filter((send) => send.grantedAt >= before);
      expect(writes).toHaveLength(1);
      expect(writes[0]!.sentAt).toBeGreaterThanOrEqual(writes[0]!.grantedAt);
      expect(writes[0]!.sentAt).toBeLessThanOrEqual(after);
    } finally {
      await client.close();
    }
  });
});
