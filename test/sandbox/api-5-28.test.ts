// The sandbox speaks API 5.28 (pinterest/api-description v5/changelog-5.23-to-5.28.md): audiences shared
// into an account are listed unless OWNED is asked for, exclude_nca, records_v2 rows (exactly one of
// records/records_v2), is_nca, and in strict mode 201 on creates and only the fields 5.28 names.
import { afterEach, describe, expect, it } from 'vitest';
import { startSandbox, type Sandbox, type SandboxOptions } from '../../src/sandbox/server.js';

import { US } from '../support/sandbox.js';
import { call } from '../support/sandbox-api.js';
import { hashedEmails, sha256 } from '../support/users.js';

let sandbox: Sandbox | undefined;
afterEach(async () => {
  await sandbox?.stop();
  sandbox = undefined;
});

async function start(options: SandboxOptions = {}): Promise<Sandbox> {
  sandbox = await startSandbox({ port: 0, writeRate: 1000, listRules: { audiencesNeedReadyList: false }, ...options });
  return sandbox;
}

const names = (answer: { body: { items: Array<{ name: string }> } }) => answer.body.items.map((a) => a.name).sort();

describe('audience listings (5.28: ownership_type has no default)', () => {
  it('list shared audiences beside the own ones unless OWNED is asked for; RECEIVED lists only those', async () => {
    const sb = await start({ sharedAudiences: ['Newsletter'] });
    const own = sb.state.createCustomerList(US, { name: 'Newsletter', records: hashedEmails(2) });
    sb.state.createAudience(US, { name: 'Newsletter', rule: { customer_list_id: own.id } });

    const all = await call(sb, 'GET', `/ad_accounts/${US}/audiences`);
    expect(names(all)).toEqual(['Newsletter', 'Newsletter']);
    const owned = await call(sb, 'GET', `/ad_accounts/${US}/audiences?ownership_type=OWNED`);
    expect(owned.body.items.map((a: { ad_account_id: string }) => a.ad_account_id)).toEqual([US]);
    const received = await call(sb, 'GET', `/ad_accounts/${US}/audiences?ownership_type=RECEIVED`);
    expect(received.body.items).toHaveLength(1);
    expect(received.body.items[0].ad_account_id).not.toBe(US);
    expect(sb.state.violations).toEqual([]);
  });

  it('a shared audience can be read by id, but its customer list is out of reach', async () => {
    const sb = await start();
    const shared = sb.state.seedSharedAudience('Partner buyers');
    expect((await call(sb, 'GET', `/ad_accounts/${US}/audiences/${shared.id}`)).status).toBe(200);
    const patch = await call(sb, 'PATCH', `/ad_accounts/${US}/customer_lists/${shared.rule.customer_list_id}`, {
      body: { operation_type: 'ADD', records: hashedEmails(1).join(',') },
    });
    expect(patch.status).toBe(404);
  });

  it('exclude_nca leaves out NCA lists and the audiences built on them; is_nca is on both', async () => {
    const sb = await start();
    const created = await call(sb, 'POST', `/ad_accounts/${US}/customer_lists`, { body: { name: 'Prospects', records: hashedEmails(3).join(','), is_nca: true } });
    expect(created.body.is_nca).toBe(true);
    const audience = await call(sb, 'POST', `/ad_accounts/${US}/audiences`, { body: { name: 'Prospects', audience_type: 'CUSTOMER_LIST', rule: { customer_list_id: created.body.id } } });
    expect(audience.body.is_nca).toBe(true);
    expect((await call(sb, 'GET', `/ad_accounts/${US}/customer_lists?exclude_nca=true`)).body.items).toEqual([]);
    expect((await call(sb, 'GET', `/ad_accounts/${US}/audiences?exclude_nca=true`)).body.items).toEqual([]);
    expect((await call(sb, 'GET', `/ad_accounts/${US}/audiences`)).body.items).toHaveLength(1);
  });
});

describe('records_v2 rows', () => {
  const row = (i: number) => ({ email: sha256(`u${i}@example.com`), hashed_phone_number: sha256(`1415555${String(i).padStart(4, '0')}`) });

  it('a list holds every identifier of each row, and counts each row as one user', async () => {
    const sb = await start();
    const created = await call(sb, 'POST', `/ad_accounts/${US}/customer_lists`, { body: { name: 'Rows', records_v2: [row(1), row(2)], list_type: 'EMAIL' } });
    expect(created.status).toBe(200);
    const list = sb.state.customerList(created.body.id)!;
    expect([...list.records].sort()).toEqual([row(1).email, row(1).hashed_phone_number, row(2).email, row(2).hashed_phone_number].sort());
    expect(list.userKeys.size).toBe(2);
    expect(list.receivedRows).toEqual([row(1), row(2)]);

    const removed = await call(sb, 'PATCH', `/ad_accounts/${US}/customer_lists/${list.id}`, { body: { operation_type: 'REMOVE', records_v2: [{ hashed_phone_number: row(2).hashed_phone_number }] } });
    expect(removed.status).toBe(200);
    expect(list.records.has(row(2).hashed_phone_number)).toBe(false);
    expect(list.records.has(row(2).email)).toBe(true);
    expect(sb.state.violations).toEqual([]);
  });

  it('take exactly one of records and records_v2 in a request', async () => {
    const sb = await start();
    const both = await call(sb, 'POST', `/ad_accounts/${US}/customer_lists`, { body: { name: 'x', records: hashedEmails(1).join(','), records_v2: [row(1)] } });
    const neither = await call(sb, 'POST', `/ad_accounts/${US}/customer_lists`, { body: { name: 'x' } });
    for (const answer of [both, neither]) {
      expect(answer.status).toBe(400);
      expect(answer.body.message).toContain('exactly one of records or records_v2');
    }
  });

  it('refuse a raw phone number, an empty row and more rows than a request takes, naming the index only', async () => {
    const sb = await start({ maxRecords: 2 });
    const raw = await call(sb, 'POST', `/ad_accounts/${US}/customer_lists`, { body: { name: 'x', records_v2: [row(1), { hashed_phone_number: '+14155550100' }] } });
    expect(raw.status).toBe(400);
    expect(raw.body.message).toBe('Row at index 1 hashed_phone_number is not a hex SHA-256, SHA-1 or MD5 digest (it must be hashed).');
    const empty = await call(sb, 'POST', `/ad_accounts/${US}/customer_lists`, { body: { name: 'x', records_v2: [{}] } });
    expect(empty.body.message).toContain('Row at index 0 holds no identifier');
    const many = await call(sb, 'POST', `/ad_accounts/${US}/customer_lists`, { body: { name: 'x', records_v2: [row(1), row(2), row(3)] } });
    expect(many.body.message).toContain('Too many rows: 3');
    expect(sb.state.stats.maxRecordsInRequest).toBe(3);
  });
});

describe('strict 5.28', () => {
  it('answers 201 on creates, and refuses fields 5.28 does not name (a lenient sandbox ignores them)', async () => {
    const sb = await start({ strict528: true });
    const list = await call(sb, 'POST', `/ad_accounts/${US}/customer_lists`, { body: { name: 'Rows', records_v2: [{ email: sha256('a@example.com') }] } });
    expect(list.status).toBe(201);
    const audience = await call(sb, 'POST', `/ad_accounts/${US}/audiences`, { body: { name: 'Rows', audience_type: 'CUSTOMER_LIST', rule: { customer_list_id: list.body.id } } });
    expect(audience.status).toBe(201);
    const odd = await call(sb, 'PATCH', `/ad_accounts/${US}/customer_lists/${list.body.id}`, { body: { operation_type: 'ADD', records_v2: [{ email: sha256('b@example.com'), phone: '1' }] } });
    expect(odd.status).toBe(400);
    expect(odd.body.message).toContain('Row at index 0 has a field records_v2 rows do not take (phone)');
    const extra = await call(sb, 'PATCH', `/ad_accounts/${US}/customer_lists/${list.body.id}`, { body: { operation_type: 'ADD', records: sha256('c@example.com'), list_type: 'EMAIL' } });
    expect(extra.status).toBe(400);
    expect(sb.state.violations).toHaveLength(2);

    await sb.stop();
    const lenient = await start();
    const created = await call(lenient, 'POST', `/ad_accounts/${US}/customer_lists`, { body: { name: 'Rows', records_v2: [{ email: sha256('a@example.com'), phone: '1' }] } });
    expect(created.status).toBe(200);
  });
});
