// The client against the sandbox behaving like the real API's limits: a missing scope (401 code 3) is
// not a bad token, a spam 429 is not a rate limit, a daily quota stops at once, a window quota is paced,
// and list answers' `exceptions` are kept.
import { afterEach, describe, expect, it } from 'vitest';
import { realClock, type Clock } from '../../src/pinterest/clock.js';
import { ApiError } from '../../src/pinterest/errors.js';
import { startSandbox, type Sandbox, type SandboxOptions } from '../../src/sandbox/server.js';
import { US } from '../support/sandbox.js';
import { clientFor, hashedRecords } from '../support/pinterest-client.js';

let sandbox: Sandbox | undefined;
afterEach(async () => {
  await sandbox?.stop();
  sandbox = undefined;
});

async function withList(options: Partial<SandboxOptions> = {}) {
  sandbox = await startSandbox({ port: 0, ...options });
  const list = sandbox.state.createCustomerList(US, { name: 'Buyers', records: [] });
  return { sandbox, list };
}

const writes = (s: Sandbox) => s.state.requests.filter((r) => r.method === 'PATCH' || r.method === 'POST');

describe('the client and the real API limits', () => {
  it('reads a 401 with code 3 as a missing scope: no token refresh, the scope and `pinsync login` named, exit 4', async () => {
    const { sandbox, list } = await withList();
    const { accessToken } = sandbox.state.issueTokens({ scopes: ['ads:read', 'user_accounts:read'] });
    let refreshes = 0;
    const client = clientFor(sandbox, {
      tokens: { accessToken: async () => accessToken, refreshAfterUnauthorized: async () => (refreshes++, true) },
    });
    try {
      const error = await client.updateCustomerList(US, list.id, { operation_type: 'ADD', records: hashedRecords(2) }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ApiError);
      expect(error).toMatchObject({ kind: 'permission', status: 401, exitCode: 4, retryable: false });
      expect((error as ApiError).message).toMatch(/ads:write/);
      expect((error as ApiError).message).toMatch(/pinsync login/);
      expect(refreshes).toBe(0);
      expect(writes(sandbox)).toHaveLength(1);
    } finally {
      await client.close();
    }
  });

  it('does not retry a 429 that says spam: kind spam, exit 3, one request', async () => {
    const { sandbox, list } = await withList({ faults: { spamAfterWrites: 0 } });
    const client = clientFor(sandbox);
    try {
      const error = await client.updateCustomerList(US, list.id, { operation_type: 'ADD', records: hashedRecords(2) }).catch((e: unknown) => e);
      expect(error).toMatchObject({ kind: 'spam', exitCode: 3, retryable: false });
      expect((error as ApiError).message).toMatch(/check the audience content with Pinterest/i);
      expect(writes(sandbox)).toHaveLength(1);
      expect(client.stats.retries).toBe(0);
    } finally {
      await client.close();
    }
  });

  it('a spam answer cuts the calls waiting behind it: they fail unsent, never sent', async () => {
    const { sandbox, list } = await withList({ faults: { spamAfterWrites: 0 } });
    const client = clientFor(sandbox);
    try {
      // The lane's first write goes alone (its answer shows how busy the token is): the others wait for it.
      const errors = await Promise.all(
        Array.from({ length: 3 }, (_, i) =>
          client.updateCustomerList(US, list.id, { operation_type: 'ADD', records: hashedRecords(1, i) }).catch((e: unknown) => e),
        ),
      );
      expect(errors.map((error) => (error as ApiError).kind)).toEqual(['spam', 'spam', 'spam']);
      expect(errors.map((error) => (error as ApiError).unsent)).toEqual([false, true, true]);
      expect(writes(sandbox)).toHaveLength(1);
    } finally {
      await client.close();
    }
  });

  it('stops at once on a spent daily quota, with the reset time, sending nothing more', async () => {
    const { sandbox, list } = await withList({ dailyWriteQuota: { limit: 2, dayMs: 3 * 3_600_000 } });
    const sleeps: number[] = [];
    const clock: Clock = { now: realClock.now, sleep: (ms, signal) => (sleeps.push(ms), realClock.sleep(ms, signal)) };
    const client = clientFor(sandbox, { retryFor: 13 * 3_600_000, clock });
    const patch = () => client.updateCustomerList(US, list.id, { operation_type: 'ADD', records: hashedRecords(1) });
    try {
      await patch();
      await patch();
      sleeps.length = 0;
      const error = await patch().catch((e: unknown) => e);
      expect(sleeps).toEqual([]); // no wait for a slot, no backoff: at once
      expect(error).toMatchObject({ kind: 'quota', exitCode: 3, retryable: false });
      const resetAt = (error as ApiError).resetAt!;
      expect(resetAt).toBeGreaterThan(Date.now() + 2.9 * 3_600_000);
      expect(resetAt).toBeLessThan(Date.now() + 3.1 * 3_600_000);
      expect((error as ApiError).message).toMatch(/local time/);
      expect(writes(sandbox)).toHaveLength(2); // the third was never sent
    } finally {
      await client.close();
    }
  });

  it('a 429 whose reset is past the retry window is a quota stop, not hours of retries', async () => {
    const { sandbox, list } = await withList({ dailyWriteQuota: { limit: 1, dayMs: 600_000 } });
    const client = clientFor(sandbox, { retryFor: 60_000 });
    const other = clientFor(sandbox);
    try {
      await other.updateCustomerList(US, list.id, { operation_type: 'ADD', records: hashedRecords(1) }); // another process spent it
      const error = await client.updateCustomerList(US, list.id, { operation_type: 'ADD', records: hashedRecords(1) }).catch((e: unknown) => e);
      expect(error).toMatchObject({ kind: 'quota', retryable: false });
      expect(client.stats).toMatchObject({ requests: 1, retries: 0, rateLimited: 1 });
    } finally {
      await client.close();
      await other.close();
    }
  });

  it('paces a window quota lower than --rate instead of living on 429s', async () => {
    const { sandbox, list } = await withList({ writeRate: 7, writeQuota: { limit: 20, windowMs: 3_000 } });
    const client = clientFor(sandbox, { writeRate: 7 });
    try {
      const calls = Array.from({ length: 34 }, (_, i) =>
        client.updateCustomerList(US, list.id, { operation_type: 'ADD', records: hashedRecords(1, i) }),
      );
      await Promise.all(calls);
      const answered = writes(sandbox);
      const limited = answered.filter((r) => r.status === 429).length;
      expect(limited).toBe(0);
      expect(answered.filter((r) => r.status === 200)).toHaveLength(34);
    } finally {
      await client.close();
    }
  });

  it('keeps the exceptions of list answers, counted by the batches that carried them', async () => {
    const exceptions = [{ code: 2, message: 'Some records were not processed.' }];
    const { sandbox, list } = await withList({ faults: { listExceptions: exceptions } });
    const client = clientFor(sandbox);
    try {
      await client.updateCustomerList(US, list.id, { operation_type: 'ADD', records: hashedRecords(1) });
      await client.updateCustomerList(US, list.id, { operation_type: 'ADD', records: hashedRecords(1, 1) });
      expect(client.listExceptions()).toEqual([{ code: 2, message: 'Some records were not processed.', batches: 2 }]);
    } finally {
      await client.close();
    }
  });
});
