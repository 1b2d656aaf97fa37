// Injected faults: outages, resets (write not applied), latency, 429 bursts, a token revoked or a list
// deleted mid-run, spam 429s, request-wide 400s and list exceptions, all repeatable from the seed and
// changeable at run time.
import { afterEach, describe, expect, it } from 'vitest';
import { parseFaults } from '../../src/sandbox/faults.js';
import { startSandbox, type Sandbox, type SandboxOptions } from '../../src/sandbox/server.js';
import { call } from '../support/sandbox-api.js';
import { hashedEmails } from '../support/users.js';
import { US } from '../support/sandbox.js';

let sandbox: Sandbox | undefined;
afterEach(async () => {
  await sandbox?.stop();
  sandbox = undefined;
});

async function withList(options: SandboxOptions) {
  sandbox = await startSandbox({ port: 0, writeRate: 1000, ...options });
  const list = sandbox.state.createCustomerList(US, { name: 'l', records: hashedEmails(1, 'seed') });
  const audience = sandbox.state.createAudience(US, { name: 'a', rule: { customer_list_id: list.id } });
  return { sandbox, list, audience };
}

function add(sb: Sandbox, listId: string, records = hashedEmails(2), token?: string) {
  return call(sb, 'PATCH', `/ad_accounts/${US}/customer_lists/${listId}`, {
    body: { operation_type: 'ADD', records: records.join(',') },
    token,
  });
}

describe('faults', () => {
  it('serverErrorRate answers 503 with a JSON body and applies nothing', async () => {
    const { sandbox, list } = await withList({ faults: { serverErrorRate: 1 } });
    const answer = await add(sandbox, list.id);
    expect(answer.status).toBe(503);
    expect(answer.body).toEqual({ code: expect.any(Number), message: expect.any(String) });
    expect(list.records.size).toBe(1);
    // Reads are spared unless applyTo is "all".
    expect((await call(sandbox, 'GET', `/ad_accounts/${US}/customer_lists/${list.id}`)).status).toBe(200);
    sandbox.setFaults({ serverErrorRate: 1, applyTo: 'all' });
    expect((await call(sandbox, 'GET', `/ad_accounts/${US}/customer_lists/${list.id}`)).status).toBe(503);
  });

  it('resetRate drops the connection after reading the body, without applying the write', async () => {
    const { sandbox, list } = await withList({ faults: { resetRate: 1 } });
    await expect(add(sandbox, list.id)).rejects.toThrow();
    expect(list.records.size).toBe(1);
    expect(list.numBatches).toBe(1);
    expect(sandbox.state.requests.at(-1)).toMatchObject({ method: 'PATCH', status: 0, records: 2 });
    expect(sandbox.state.stats.resets).toBe(1);
    sandbox.setFaults({});
    expect((await add(sandbox, list.id)).status).toBe(200);
  });

  it('latencyMs delays writes', async () => {
    const { sandbox, list } = await withList({ faults: { latencyMs: 300 } });
    const started = Date.now();
    expect((await add(sandbox, list.id)).status).toBe(200);
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
  });

  it('burst429 answers 429 in bursts, with x-ratelimit-reset and Retry-After only when asked', async () => {
    const { sandbox, list } = await withList({ faults: { burst429: { every: 2, length: 1 } } });
    const statuses: number[] = [];
    let limited: Headers | undefined;
    for (let i = 0; i < 6; i++) {
      const answer = await add(sandbox, list.id);
      statuses.push(answer.status);
      if (answer.status === 429) limited = answer.headers;
    }
    expect(statuses).toEqual([200, 200, 429, 200, 200, 429]);
    expect(Number(limited!.get('x-ratelimit-reset'))).toBeGreaterThan(0);
    expect(limited!.get('retry-after')).toBeNull();
    expect(sandbox.state.stats.rateLimited).toBe(2);
    await sandbox.stop();

    const asked = await withList({ retryAfter: true, faults: { burst429: { every: 0, length: 1 } } });
    expect(Number((await add(asked.sandbox, asked.list.id)).headers.get('retry-after'))).toBeGreaterThan(0);
  });

  it('spamAfterWrites answers 429 whose message_detail says spam, and applies nothing', async () => {
    const { sandbox, list } = await withList({ faults: { spamAfterWrites: 1 } });
    expect((await add(sandbox, list.id)).status).toBe(200);
    const held = list.records.size;
    const spam = await add(sandbox, list.id, hashedEmails(3, 'later'));
    expect(spam.status).toBe(429);
    expect(spam.body).toEqual({ code: 8, message: expect.any(String), message_detail: expect.stringContaining('spam') });
    expect((await add(sandbox, list.id, hashedEmails(3, 'later'))).status).toBe(429);
    expect(list.records.size).toBe(held);
    expect((await call(sandbox, 'GET', `/ad_accounts/${US}/customer_lists/${list.id}`)).status).toBe(200);
  });

  it('badRequestAfterWrites answers every write with a 400 that names no record', async () => {
    const { sandbox, list } = await withList({ faults: { badRequestAfterWrites: 0 } });
    const whole = await add(sandbox, list.id, hashedEmails(8));
    const half = await add(sandbox, list.id, hashedEmails(4));
    const single = await add(sandbox, list.id, hashedEmails(1));
    for (const answer of [whole, half, single]) {
      expect(answer.status).toBe(400);
      expect(answer.body).toEqual({ code: 1, message: expect.any(String) });
      expect(answer.body.message).not.toMatch(/record|index/i);
    }
    expect(list.records.size).toBe(1);
    // The requests were on the spec: the fault is Pinterest's refusal, not the client's mistake.
    expect(sandbox.state.violations).toEqual([]);
  });

  it('listExceptions are carried in customer-list create and PATCH answers only', async () => {
    const exceptions = [{ code: 2, message: 'Some records could not be processed.' }];
    const { sandbox, list } = await withList({ faults: { listExceptions: exceptions } });
    expect((await add(sandbox, list.id)).body.exceptions).toEqual(exceptions);
    const created = await call(sandbox, 'POST', `/ad_accounts/${US}/customer_lists`, {
      body: { name: 'm', records: hashedEmails(2).join(','), list_type: 'EMAIL' },
    });
    expect(created.body.exceptions).toEqual(exceptions);
    expect((await call(sandbox, 'GET', `/ad_accounts/${US}/customer_lists/${list.id}`)).body.exceptions).toEqual({});
    sandbox.setFaults({});
    expect((await add(sandbox, list.id)).body.exceptions).toEqual({});
  });

  it('revokeTokenAfterWrites revokes the token after N successful writes', async () => {
    const { sandbox, list } = await withList({ faults: { revokeTokenAfterWrites: 2 } });
    expect((await add(sandbox, list.id)).status).toBe(200);
    expect((await add(sandbox, list.id)).status).toBe(200);
    const third = await add(sandbox, list.id);
    expect(third.status).toBe(401);
    expect(third.body.message).toContain('revoked');
    // A fresh token (e.g. after a refresh) works again: the fault fires once.
    const { accessToken } = sandbox.state.issueTokens();
    expect((await add(sandbox, list.id, hashedEmails(2), accessToken)).status).toBe(200);
    expect((await add(sandbox, list.id, hashedEmails(2), accessToken)).status).toBe(200);
  });

  it('deleteListAfterWrites makes the list and its audience vanish after N writes', async () => {
    const { sandbox, list, audience } = await withList({ faults: { deleteListAfterWrites: 2 } });
    expect((await add(sandbox, list.id)).status).toBe(200);
    expect((await add(sandbox, list.id)).status).toBe(200);
    expect((await add(sandbox, list.id)).status).toBe(404);
    expect((await call(sandbox, 'GET', `/ad_accounts/${US}/audiences/${audience.id}`)).status).toBe(404);
    expect(sandbox.state.customerList(list.id)).toBeUndefined();
  });

  it('repeats the same random faults for the same seed', async () => {
    async function statuses(seed: number): Promise<number[]> {
      const { sandbox: sb, list } = await withList({ seed, faults: { serverErrorRate: 0.5 } });
      const out: number[] = [];
      for (let i = 0; i < 12; i++) out.push((await add(sb, list.id)).status);
      await sb.stop();
      return out;
    }
    const first = await statuses(42);
    expect(await statuses(42)).toEqual(first);
    expect(first).toContain(503);
    expect(first).toContain(200);
  });
});

describe('PINSYNC_SANDBOX_FAULTS', () => {
  it('takes the real-Pinterest faults and refuses malformed ones with a sentence', () => {
    const json = '{"spamAfterWrites":3,"badRequestAfterWrites":0,"listExceptions":[{"code":2,"message":"Some records failed."}]}';
    expect(parseFaults(json)).toEqual({
      spamAfterWrites: 3,
      badRequestAfterWrites: 0,
      listExceptions: [{ code: 2, message: 'Some records failed.' }],
    });
    expect(() => parseFaults('{"spamAfterWrites":-1}')).toThrow(/spamAfterWrites must be a whole number/);
    expect(() => parseFaults('{"listExceptions":{"code":2}}')).toThrow(/listExceptions must look like/);
    expect(() => parseFaults('{"listExceptions":[{"code":"2","message":"x"}]}')).toThrow(/listExceptions must look like/);
  });
});
