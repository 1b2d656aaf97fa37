// Pinterest's rule for CUSTOMER_LIST audiences, when switched on: the list must hold at least 100 matched
// users and have finished processing (PROCESSING for a while after each write), else 400 { code, message }.
import { afterEach, describe, expect, it } from 'vitest';
import { AUDIENCES_NEED_READY_LISTS_BY_DEFAULT } from '../../src/sandbox/list-readiness.js';
import { startSandbox, type Sandbox, type SandboxOptions } from '../../src/sandbox/server.js';
import { US } from '../support/sandbox.js';
import { call, createList } from '../support/sandbox-api.js';
import { hashedEmails } from '../support/users.js';

let sandbox: Sandbox | undefined;
afterEach(async () => {
  await sandbox?.stop();
  sandbox = undefined;
});

async function start(options: SandboxOptions): Promise<Sandbox> {
  sandbox = await startSandbox({ port: 0, writeRate: 1000, ...options });
  return sandbox;
}

function createAudience(sb: Sandbox, listId: string) {
  return call(sb, 'POST', `/ad_accounts/${US}/audiences`, {
    body: { name: 'Buyers', audience_type: 'CUSTOMER_LIST', rule: { customer_list_id: listId } },
  });
}

function listStatus(sb: Sandbox, listId: string): Promise<string> {
  return call(sb, 'GET', `/ad_accounts/${US}/customer_lists/${listId}`).then((answer) => answer.body.status);
}

async function waitUntil(condition: () => Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

describe('audiences on fresh lists', () => {
  it('refuses an audience while the list is PROCESSING, accepts it once READY', async () => {
    const sb = await start({ listRules: { audiencesNeedReadyList: true, processingMs: 300, matchedShare: 1 } });
    const list = await createList(sb, hashedEmails(150));
    expect(list.status).toBe('PROCESSING');
    const refused = await createAudience(sb, list.id);
    expect(refused.status).toBe(400);
    expect(refused.body).toEqual({ code: 1, message: expect.stringContaining('processing') });
    expect(sb.state.audiences.size).toBe(0);
    expect(sb.state.violations).toEqual([]);

    await waitUntil(async () => (await listStatus(sb, list.id)) === 'READY');
    const accepted = await createAudience(sb, list.id);
    expect(accepted.status).toBe(200);
    expect(accepted.body).toMatchObject({ status: 'READY', size: 150 });
  });

  it('puts a list back to PROCESSING after each PATCH', async () => {
    const sb = await start({ listRules: { audiencesNeedReadyList: true, processingMs: 300, matchedShare: 1 } });
    const list = sb.state.createCustomerList(US, { name: 'l', records: hashedEmails(120) });
    await waitUntil(async () => (await listStatus(sb, list.id)) === 'READY');
    const patched = await call(sb, 'PATCH', `/ad_accounts/${US}/customer_lists/${list.id}`, {
      body: { operation_type: 'ADD', records: hashedEmails(5, 'more').join(',') },
    });
    expect(patched.body.status).toBe('PROCESSING');
    expect((await createAudience(sb, list.id)).status).toBe(400);
  });

  it('refuses an audience on a list under 100 matched users, whatever the wait', async () => {
    const sb = await start({ listRules: { audiencesNeedReadyList: true, processingMs: 0, matchedShare: 1 } });
    const list = await createList(sb, hashedEmails(99));
    expect(list.status).toBe('TOO_SMALL');
    const refused = await createAudience(sb, list.id);
    expect(refused.status).toBe(400);
    expect(refused.body).toEqual({ code: 1, message: expect.stringContaining('minimum of 100') });
  });

  it('counts only matched records: with a share of 0.5, 150 records are too few and 300 are enough', async () => {
    const sb = await start({ listRules: { audiencesNeedReadyList: true, processingMs: 0, matchedShare: 0.5 } });
    const small = await createList(sb, hashedEmails(150, 'small'));
    expect(sb.state.customerList(small.id)!.matched).toBeGreaterThan(50);
    expect(sb.state.customerList(small.id)!.matched).toBeLessThan(100);
    expect((await createAudience(sb, small.id)).status).toBe(400);
    const large = await createList(sb, hashedEmails(300, 'large'));
    expect(sb.state.customerList(large.id)!.matched).toBeGreaterThanOrEqual(100);
    expect((await createAudience(sb, large.id)).status).toBe(200);
  });

  it('follows AUDIENCES_NEED_READY_LISTS_BY_DEFAULT when not told', async () => {
    const sb = await start({});
    const list = await createList(sb, hashedEmails(3));
    expect(list.status).toBe(AUDIENCES_NEED_READY_LISTS_BY_DEFAULT ? 'PROCESSING' : 'TOO_SMALL');
    expect((await createAudience(sb, list.id)).status).toBe(AUDIENCES_NEED_READY_LISTS_BY_DEFAULT ? 400 : 200);
  });
});
