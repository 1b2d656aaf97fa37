// Audience rules (CUSTOMER_LIST and ACTALIKE), archiving, and bookmark pagination.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startSandbox, type Sandbox } from '../../src/sandbox/server.js';
import { call, createList } from '../support/sandbox-api.js';
import { hashedEmails } from '../support/users.js';
import { CA, US } from '../support/sandbox.js';

let sandbox: Sandbox;
beforeEach(async () => {
  // The audience rules other than list readiness, which list-readiness.test.ts covers.
  sandbox = await startSandbox({ port: 0, writeRate: 1000, listRules: { audiencesNeedReadyList: false } });
});
afterEach(async () => {
  await sandbox.stop();
});

function createAudience(body: unknown, account = US) {
  return call(sandbox, 'POST', `/ad_accounts/${account}/audiences`, { body });
}

describe('CUSTOMER_LIST audiences', () => {
  it('need an existing customer list of the same account', async () => {
    const list = await createList(sandbox, hashedEmails(5));
    const ok = await createAudience({ name: 'Buyers', audience_type: 'CUSTOMER_LIST', rule: { customer_list_id: list.id }, description: 'd' });
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({
      id: expect.stringMatching(/^\d+$/),
      ad_account_id: US,
      name: 'Buyers',
      description: 'd',
      audience_type: 'CUSTOMER_LIST',
      rule: { customer_list_id: list.id },
      type: 'audience',
    });
    expect((await createAudience({ name: 'x', audience_type: 'CUSTOMER_LIST', rule: { customer_list_id: '42' } })).status).toBe(400);
    expect((await createAudience({ name: 'x', audience_type: 'CUSTOMER_LIST', rule: {} })).status).toBe(400);
    expect((await createAudience({ name: 'x', audience_type: 'CUSTOMER_LIST' })).status).toBe(400);
  });

  it('are archived by PATCH operation_type REMOVE and stay listed with status ARCHIVED', async () => {
    const list = sandbox.state.createCustomerList(US, { name: 'l', records: hashedEmails(2) });
    const audience = sandbox.state.createAudience(US, { name: 'a', rule: { customer_list_id: list.id } });
    const answer = await call(sandbox, 'PATCH', `/ad_accounts/${US}/audiences/${audience.id}`, { body: { operation_type: 'REMOVE' } });
    expect(answer.status).toBe(200);
    expect(answer.body.status).toBe('ARCHIVED');
    expect(sandbox.state.audience(audience.id)!.archived).toBe(true);
    const listed = await call(sandbox, 'GET', `/ad_accounts/${US}/audiences`);
    expect(listed.body.items).toEqual([expect.objectContaining({ id: audience.id, name: 'a', status: 'ARCHIVED' })]);
    expect((await call(sandbox, 'GET', `/ad_accounts/${US}/audiences/${audience.id}`)).body.status).toBe('ARCHIVED');
  });
});

describe('ACTALIKE audiences', () => {
  async function seed(): Promise<string> {
    const list = sandbox.state.createCustomerList(US, { name: 'l', records: hashedEmails(2) });
    return sandbox.state.createAudience(US, { name: 'seed', rule: { customer_list_id: list.id } }).id;
  }

  it('need seed audiences, a country in US/CA/GB and a percentage from 1 to 10', async () => {
    const seedId = await seed();
    const valid = { name: 'Lookalike', audience_type: 'ACTALIKE', rule: { seed_id: [seedId], country: 'US', percentage: 5 } };
    const ok = await createAudience(valid);
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({ audience_type: 'ACTALIKE', rule: { seed_id: [seedId], country: 'US', percentage: 5 } });

    const bad = [
      { ...valid.rule, seed_id: [] },
      { ...valid.rule, seed_id: ['999'] },
      { ...valid.rule, country: 'FR' },
      { ...valid.rule, country: undefined },
      { ...valid.rule, percentage: 0 },
      { ...valid.rule, percentage: 11 },
    ];
    for (const rule of bad) {
      const answer = await createAudience({ ...valid, rule });
      expect(answer.status, JSON.stringify(rule)).toBe(400);
      expect(answer.body.message).toMatch(/seed_id|country|percentage/);
    }
  });

  it('cannot use a seed from another ad account', async () => {
    const seedId = await seed();
    const answer = await createAudience(
      { name: 'x', audience_type: 'ACTALIKE', rule: { seed_id: [seedId], country: 'CA', percentage: 1 } },
      CA,
    );
    expect(answer.status).toBe(403); // CA is read-only, refused before the rule is looked at
  });
});

describe('pagination', () => {
  it('walks 300 audiences with page_size 250 and the bookmark', async () => {
    const list = sandbox.state.createCustomerList(US, { name: 'l', records: hashedEmails(1) });
    for (let i = 0; i < 300; i++) sandbox.state.createAudience(US, { name: `a${i}`, rule: { customer_list_id: list.id } });

    const first = await call(sandbox, 'GET', `/ad_accounts/${US}/audiences?page_size=250`);
    expect(first.status).toBe(200);
    expect(first.body.items).toHaveLength(250);
    expect(typeof first.body.bookmark).toBe('string');

    const second = await call(sandbox, 'GET', `/ad_accounts/${US}/audiences?page_size=250&bookmark=${encodeURIComponent(first.body.bookmark)}`);
    expect(second.body.items).toHaveLength(50);
    expect(second.body.bookmark).toBeNull();

    const names = [...first.body.items, ...second.body.items].map((a: any) => a.name);
    expect(new Set(names).size).toBe(300);
    expect(names[0]).toBe('a0');
    expect(sandbox.state.violations).toEqual([]);
  });

  it('defaults to 25 per page and refuses page_size outside 1–250', async () => {
    for (let i = 0; i < 30; i++) sandbox.state.createAudience(US, { name: `a${i}`, rule: {} });
    expect((await call(sandbox, 'GET', `/ad_accounts/${US}/audiences`)).body.items).toHaveLength(25);
    expect((await call(sandbox, 'GET', `/ad_accounts/${US}/audiences?page_size=0`)).status).toBe(400);
    expect((await call(sandbox, 'GET', `/ad_accounts/${US}/audiences?page_size=251`)).status).toBe(400);
    expect((await call(sandbox, 'GET', `/ad_accounts/${US}/customer_lists?page_size=abc`)).status).toBe(400);
    expect(sandbox.state.violations).toHaveLength(3);
  });

  it('refuses a bookmark it did not hand out', async () => {
    expect((await call(sandbox, 'GET', `/ad_accounts/${US}/audiences?bookmark=nonsense`)).status).toBe(400);
  });
});
