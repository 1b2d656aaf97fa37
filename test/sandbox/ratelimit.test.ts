// The ads_write limit: at most `writeRate` writes per token in any second, then 429 (Retry-After only
// when asked); and the write quotas over a window and per day, with x-ratelimit-* on every write.
import { afterEach, describe, expect, it } from 'vitest';
import { SlidingWindowLimiter } from '../../src/sandbox/ratelimit.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/server.js';
import { call } from '../support/sandbox-api.js';
import { hashedEmails } from '../support/users.js';
import { US } from '../support/sandbox.js';

let sandbox: Sandbox | undefined;
afterEach(async () => {
  await sandbox?.stop();
});

describe('rate limit', () => {
  it('answers at least one of 8 quick writes at rate 7 with 429 and x-ratelimit-*, no Retry-After', async () => {
    sandbox = await startSandbox({ port: 0, writeRate: 7 });
    const list = sandbox.state.createCustomerList(US, { name: 'l', records: hashedEmails(1) });
    const answers = await Promise.all(
      Array.from({ length: 8 }, () =>
        call(sandbox!, 'PATCH', `/ad_accounts/${US}/customer_lists/${list.id}`, {
          body: { operation_type: 'ADD', records: hashedEmails(1).join(',') },
        }),
      ),
    );
    const limited = answers.filter((a) => a.status === 429);
    expect(limited.length).toBeGreaterThanOrEqual(1);
    expect(answers.filter((a) => a.status === 200).length).toBeLessThanOrEqual(7);
    const [first] = limited;
    expect(first!.headers.get('retry-after')).toBeNull();
    expect(Number(first!.headers.get('x-ratelimit-reset'))).toBeGreaterThanOrEqual(1);
    expect(first!.headers.get('x-ratelimit-limit')).toBe('7');
    expect(first!.headers.get('x-ratelimit-remaining')).toBe('0');
    expect(first!.body).toEqual({ code: expect.any(Number), message: expect.any(String) });
    expect(sandbox.state.stats.rateLimited).toBe(limited.length);
    // Refused requests are logged with their record count too, so "no request over 1,900" covers them.
    expect(sandbox.state.requests.filter((r) => r.status === 429).every((r) => r.records === 1)).toBe(true);
  });

  it('never lets more than writeRate writes through in any 1-second window of state.requests', async () => {
    sandbox = await startSandbox({ port: 0, writeRate: 7 });
    const list = sandbox.state.createCustomerList(US, { name: 'l', records: [] });
    const end = Date.now() + 1500;
    const hammer = async () => {
      while (Date.now() < end) {
        await call(sandbox!, 'PATCH', `/ad_accounts/${US}/customer_lists/${list.id}`, {
          body: { operation_type: 'ADD', records: hashedEmails(1).join(',') },
        });
      }
    };
    await Promise.all([hammer(), hammer(), hammer()]);
    const accepted = sandbox.state.requests.filter((r) => r.status === 200).map((r) => r.time);
    const busiest = Math.max(...accepted.map((t) => accepted.filter((u) => u >= t && u < t + 1000).length));
    expect(busiest).toBeLessThanOrEqual(7);
    expect(busiest).toBeGreaterThan(0);
  });

  it('counts each token separately and leaves reads alone', async () => {
    sandbox = await startSandbox({ port: 0, writeRate: 1 });
    const other = sandbox.state.issueTokens().accessToken;
    const create = (token?: string) =>
      call(sandbox!, 'POST', `/ad_accounts/${US}/customer_lists`, { body: { name: 'l', records: hashedEmails(1).join(',') }, token });
    expect((await create()).status).toBe(200);
    expect((await create()).status).toBe(429);
    expect((await create(other)).status).toBe(200);
    expect((await call(sandbox, 'GET', `/ad_accounts/${US}/customer_lists`)).status).toBe(200);
  });

  it('lets writes through again once the first write of the window is a second old', () => {
    // The window is driven by the time each request arrived; passing times in keeps this exact.
    const limiter = new SlidingWindowLimiter(2, 1000);
    const take = (now: number) => limiter.take('token ads_write', now);
    expect([take(0).allowed, take(10).allowed]).toEqual([true, true]);
    expect(take(20)).toMatchObject({ allowed: false, remaining: 0, resetSeconds: 1 });
    expect(take(999).allowed).toBe(false);
    expect(take(1000)).toMatchObject({ allowed: true, remaining: 0 });
    expect(take(1009).allowed).toBe(false);
    expect(take(1010).allowed).toBe(true);
  });
});

describe('write quotas', () => {
  const createList = (sb: Sandbox, token?: string) =>
    call(sb, 'POST', `/ad_accounts/${US}/customer_lists`, { body: { name: 'l', records: hashedEmails(1).join(',') }, token });

  it('a window quota (5 per 60 s) answers 429 code 8 once spent, and every write shows the quota', async () => {
    sandbox = await startSandbox({ port: 0, writeRate: 1000, writeQuota: { limit: 5, windowMs: 60_000 } });
    const answers = [];
    for (let i = 0; i < 6; i++) answers.push(await createList(sandbox));
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 200, 200, 429]);
    expect(answers.map((a) => a.headers.get('x-ratelimit-remaining'))).toEqual(['4', '3', '2', '1', '0', '0']);
    for (const answer of answers) {
      expect(answer.headers.get('x-ratelimit-limit')).toBe('5');
      expect(Number(answer.headers.get('x-ratelimit-reset'))).toBeGreaterThan(55);
      expect(answer.headers.get('retry-after')).toBeNull();
    }
    expect(answers[5]!.body).toEqual({ code: 8, message: expect.any(String) });
    // Per token: another token has its own quota; reads are not counted.
    expect((await createList(sandbox, sandbox.state.issueTokens().accessToken)).status).toBe(200);
    expect((await call(sandbox, 'GET', `/ad_accounts/${US}/customer_lists`)).status).toBe(200);
  });

  it('a daily quota stops writes until the (shortened) day is over, then lets them through again', async () => {
    sandbox = await startSandbox({ port: 0, writeRate: 1000, dailyWriteQuota: { limit: 3, dayMs: 1500 }, retryAfter: true });
    const first = await createList(sandbox);
    const opened = Date.now();
    expect([first.status, (await createList(sandbox)).status, (await createList(sandbox)).status]).toEqual([200, 200, 200]);
    const refused = await createList(sandbox);
    expect(refused.status).toBe(429);
    expect(refused.body.code).toBe(8);
    expect(refused.body.message).toMatch(/daily/);
    expect(refused.headers.get('x-ratelimit-limit')).toBe('3');
    expect(refused.headers.get('x-ratelimit-remaining')).toBe('0');
    const reset = Number(refused.headers.get('x-ratelimit-reset'));
    expect(reset).toBeGreaterThanOrEqual(1);
    expect(reset).toBeLessThanOrEqual(2);
    expect(refused.headers.get('retry-after')).toBe(String(reset));

    await new Promise((resolve) => setTimeout(resolve, Math.max(0, opened + 1500 - Date.now()) + 50));
    const nextDay = await createList(sandbox);
    expect(nextDay.status).toBe(200);
    expect(nextDay.headers.get('x-ratelimit-remaining')).toBe('2');
  });

  it('keeps the per-second rate on top of the quotas', async () => {
    sandbox = await startSandbox({ port: 0, writeRate: 2, writeQuota: { limit: 400, windowMs: 60_000 } });
    const statuses = [(await createList(sandbox)).status, (await createList(sandbox)).status];
    const third = await createList(sandbox);
    expect([...statuses, third.status]).toEqual([200, 200, 429]);
    expect(third.headers.get('x-ratelimit-limit')).toBe('2');
    // The refused write did not use up the minute's quota.
    expect(sandbox.state.requests.filter((r) => r.status === 200)).toHaveLength(2);
    await new Promise((resolve) => setTimeout(resolve, 1050));
    expect((await createList(sandbox)).headers.get('x-ratelimit-remaining')).toBe('397');
  });
});
