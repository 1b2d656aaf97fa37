// Retries against the sandbox's injected faults: each kind ends in success, a window that runs out
// throws a retryable ApiError, and Ctrl-C stops the waiting at once.
import { afterEach, describe, expect, it } from 'vitest';
import { InterruptedError } from '../../src/errors.js';
import { ApiError } from '../../src/pinterest/errors.js';
import { backoffDelay } from '../../src/pinterest/retry.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/server.js';
import { clientFor, hashedRecords } from '../support/pinterest-client.js';
import { US } from '../support/sandbox.js';
import { VirtualClock } from '../support/virtual-clock.js';
import { waitUntil } from '../support/wait.js';

let sandbox: Sandbox | undefined;
afterEach(async () => {
  await sandbox?.stop();
  sandbox = undefined;
});

async function arrange(): Promise<{ sandbox: Sandbox; listId: string }> {
  sandbox = await startSandbox({ port: 0, seed: 7 });
  const list = sandbox.state.createCustomerList(US, { name: 'Faulty', records: [hashedRecords(1)] });
  return { sandbox, listId: list.id };
}

function writes(client: ReturnType<typeof clientFor>, listId: string, count: number) {
  return Promise.all(
    Array.from({ length: count }, (_, i) =>
      client.updateCustomerList(US, listId, { operation_type: 'ADD', records: hashedRecords(1, 500 + i) }),
    ),
  );
}

describe('retries', () => {
  it.each([
    ['503 answers', { serverErrorRate: 0.5 }],
    ['connection resets', { resetRate: 0.5 }],
    ['a burst of 429s', { burst429: { every: 3, length: 2 } }],
  ])('rides out %s and delivers every write', async (_label, faults) => {
    const { sandbox, listId } = await arrange();
    sandbox.setFaults(faults);
    const client = clientFor(sandbox, { backoffBaseMs: 50, backoffCapMs: 400 });
    try {
      await writes(client, listId, 6);
      expect(client.stats.retries).toBeGreaterThan(0);
      expect(sandbox.state.customerList(listId)!.records.size).toBe(7);
      expect(sandbox.state.violations).toEqual([]);
    } finally {
      await client.close();
    }
  });

  it('times out a slow answer and retries until one comes in time', async () => {
    const { sandbox, listId } = await arrange();
    sandbox.setFaults({ latencyMs: 800 });
    const client = clientFor(sandbox, {
      timeoutMs: 300,
      backoffBaseMs: 50,
      onEvent: (event) => {
        if (event.type === 'retry' && event.reason === 'timeout') sandbox.setFaults({});
      },
    });
    try {
      await client.updateCustomerList(US, listId, { operation_type: 'ADD', records: hashedRecords(1, 9) });
      expect(client.stats.retries).toBeGreaterThanOrEqual(1);
    } finally {
      await client.close();
    }
  });

  it('does not create a twin when a create timed out but Pinterest applied it', async () => {
    const { sandbox } = await arrange();
    sandbox.setFaults({ latencyMs: 400 });
    const client = clientFor(sandbox, {
      timeoutMs: 250,
      backoffBaseMs: 400,
      random: () => 1,
      onEvent: (event) => {
        if (event.type === 'retry') sandbox.setFaults({});
      },
    });
    try {
      const list = await client.createCustomerList(US, { name: 'Slow list', records: hashedRecords(2), list_type: 'EMAIL' });
      const twins = [...sandbox.state.customerLists.values()].filter((l) => l.name === 'Slow list');
      expect(twins.map((l) => l.id)).toEqual([list.id]);
      expect(client.stats.retries).toBe(1);
    } finally {
      await client.close();
    }
  });

  it('throws a retryable ApiError when the retry window runs out', async () => {
    const { sandbox, listId } = await arrange();
    sandbox.setFaults({ serverErrorRate: 1 });
    const client = clientFor(sandbox, { retryFor: 1_500, backoffBaseMs: 100, backoffCapMs: 300 });
    const started = Date.now();
    try {
      const error = await client
        .updateCustomerList(US, listId, { operation_type: 'ADD', records: hashedRecords(1, 9) })
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ApiError);
      expect(error).toMatchObject({ retryable: true, exitCode: 1 });
      // 503 from the fault; a 429 only if loopback jitter bunched two attempts into one window.
      expect(['server', 'rate_limited']).toContain((error as ApiError).kind);
      expect(client.stats.retries).toBeGreaterThan(1);
      expect(Date.now() - started).toBeLessThan(3_000);
    } finally {
      await client.close();
    }
  });

  it('stops waiting at once when the run is interrupted: the backoff it was in never runs out', async () => {
    const { sandbox, listId } = await arrange();
    sandbox.setFaults({ serverErrorRate: 1 });
    const controller = new AbortController();
    // The client's waits go by a clock that moves only when the test says: a 20 s backoff can only end early.
    const clock = new VirtualClock();
    const client = clientFor(sandbox, { signal: controller.signal, clock, backoffBaseMs: 20_000, backoffCapMs: 20_000, random: () => 1 });
    try {
      const pending = client.updateCustomerList(US, listId, { operation_type: 'ADD', records: hashedRecords(1, 9) });
      pending.catch(() => {});
      await waitUntil(() => sandbox.state.stats.serverErrors >= 1, 'the first attempt was answered 503');
      controller.abort();
      await expect(pending).rejects.toBeInstanceOf(InterruptedError);
      expect(clock.now()).toBe(0); // no time passed for the client: the backoff was cut, not waited out
      expect(sandbox.state.stats.writes).toBe(1); // and nothing was retried
    } finally {
      await client.close();
    }
  }, 10_000);

  it('uses full jitter: delays are spread from 0 to min(cap, base * 2^attempt)', () => {
    expect(backoffDelay(0, 500, 60_000, () => 0.999)).toBe(499);
    expect(backoffDelay(3, 500, 60_000, () => 0.5)).toBe(2000);
    expect(backoffDelay(20, 500, 60_000, () => 0.999)).toBe(59_940);
    expect(backoffDelay(5, 500, 60_000, () => 0)).toBe(0);
  });
});
