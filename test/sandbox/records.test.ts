// Records as Pinterest takes them: size and format checks, ADD/REMOVE semantics and counters, and the
// 100-matched-users threshold between TOO_SMALL and READY.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isMatchedUser } from '../../src/sandbox/records.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/server.js';
import { call, createList } from '../support/sandbox-api.js';
import { hashedEmails, sha256 } from '../support/users.js';
import { US } from '../support/sandbox.js';

let sandbox: Sandbox;
beforeEach(async () => {
  // Sizes and statuses of lists and audiences; the ready-list rule has its own tests (list-readiness.test.ts).
  sandbox = await startSandbox({ port: 0, writeRate: 1000, listRules: { audiencesNeedReadyList: false } });
});
afterEach(async () => {
  await sandbox.stop();
});

function patchList(listId: string, operation_type: string, records: string[]) {
  return call(sandbox, 'PATCH', `/ad_accounts/${US}/customer_lists/${listId}`, {
    body: { operation_type, records: records.join(',') },
  });
}

describe('record checks', () => {
  it('refuses 1,901 records in one request and accepts 1,900', async () => {
    const list = await createList(sandbox, hashedEmails(1));
    const over = await patchList(list.id, 'ADD', hashedEmails(1901));
    expect(over.status).toBe(400);
    expect(over.body.message).toContain('1900');
    expect((await patchList(list.id, 'ADD', hashedEmails(1900))).status).toBe(200);
    expect(sandbox.state.customerList(list.id)!.records.size).toBe(1900);
    const recorded = sandbox.state.requests.filter((r) => r.method === 'PATCH').map((r) => [r.status, r.records]);
    expect(recorded).toEqual([
      [400, 1901],
      [200, 1900],
    ]);
  });

  it('honours a lower --max-records', async () => {
    await sandbox.stop();
    sandbox = await startSandbox({ port: 0, maxRecords: 10 });
    const answer = await call(sandbox, 'POST', `/ad_accounts/${US}/customer_lists`, {
      body: { name: 'x', records: hashedEmails(11).join(',') },
    });
    expect(answer.status).toBe(400);
  });

  it('refuses an uppercase record naming its index, not its value', async () => {
    const list = await createList(sandbox, hashedEmails(1));
    const records = [...hashedEmails(3), 'Someone@Example.com'];
    const answer = await patchList(list.id, 'ADD', records);
    expect(answer.status).toBe(400);
    expect(answer.body.message).toContain('index 3');
    expect(answer.body.message).not.toContain('Someone');
    expect(sandbox.state.violations.join('\n')).not.toContain('Someone');
    expect(sandbox.state.customerList(list.id)!.records.size).toBe(1);
  });

  it('refuses empty entries and whitespace', async () => {
    const list = await createList(sandbox, hashedEmails(1));
    expect((await patchList(list.id, 'ADD', [sha256('a'), ''])).body.message).toContain('index 1');
    expect((await patchList(list.id, 'ADD', [` ${sha256('a')}`])).status).toBe(400);
  });

  it('takes plain lowercase emails and SHA-256, SHA-1 and MD5 digests on EMAIL lists', async () => {
    const list = await createList(sandbox, ['someone@example.com']);
    const digests = ['0'.repeat(64), 'a'.repeat(40), 'b'.repeat(32)];
    expect((await patchList(list.id, 'ADD', digests)).status).toBe(200);
  });

  it('takes only hashed MAIDs', async () => {
    const plain = await call(sandbox, 'POST', `/ad_accounts/${US}/customer_lists`, {
      body: { name: 'devices', list_type: 'MAID', records: '3f1e2c1a-1234-4cde-9abc-1234567890ab' },
    });
    expect(plain.status).toBe(400);
    const hashed = await call(sandbox, 'POST', `/ad_accounts/${US}/customer_lists`, {
      body: { name: 'devices', list_type: 'MAID', records: sha256('3f1e2c1a-1234-4cde-9abc-1234567890ab') },
    });
    expect(hashed.status).toBe(200);
  });

  it('will not create a list without records', async () => {
    const answer = await call(sandbox, 'POST', `/ad_accounts/${US}/customer_lists`, { body: { name: 'empty' } });
    expect(answer.status).toBe(400);
  });
});

describe('ADD and REMOVE', () => {
  it('keeps the set of records and the API counters', async () => {
    const [a, b, c] = hashedEmails(3);
    const list = await createList(sandbox, [a!, b!]);
    expect(list).toMatchObject({ num_uploaded_user_records: 2, num_removed_user_records: 0, num_batches: 1 });

    // Uploading a record the list already holds still counts as uploaded.
    let answer = await patchList(list.id, 'ADD', [b!, c!]);
    expect(answer.body).toMatchObject({ num_uploaded_user_records: 4, num_batches: 2 });
    expect([...sandbox.state.customerList(list.id)!.records].sort()).toEqual([a, b, c].sort());

    // Removing a record the list does not hold still counts as removed.
    answer = await patchList(list.id, 'REMOVE', [a!, sha256('stranger@example.com')]);
    expect(answer.body).toMatchObject({ num_removed_user_records: 2, num_batches: 3, num_uploaded_user_records: 4 });
    expect([...sandbox.state.customerList(list.id)!.records].sort()).toEqual([b, c].sort());

    const read = await call(sandbox, 'GET', `/ad_accounts/${US}/customer_lists/${list.id}`);
    expect(read.body).toEqual(answer.body);
  });
});

describe('matched size', () => {
  it('is TOO_SMALL with a null size below 100 matched users and READY with the size at 100', async () => {
    const candidates = hashedEmails(400);
    const matched = candidates.filter((r) => isMatchedUser(r));
    const unmatched = candidates.filter((r) => !isMatchedUser(r));
    // Roughly 70% of records match, as the sandbox promises.
    expect(matched.length / candidates.length).toBeGreaterThan(0.6);
    expect(matched.length / candidates.length).toBeLessThan(0.8);

    const list = await createList(sandbox, [...matched.slice(0, 99), ...unmatched.slice(0, 50)]);
    expect(list.status).toBe('TOO_SMALL');
    const audience = await call(sandbox, 'POST', `/ad_accounts/${US}/audiences`, {
      body: { name: 'Buyers', audience_type: 'CUSTOMER_LIST', rule: { customer_list_id: list.id } },
    });
    expect(audience.body).toMatchObject({ size: null, status: 'TOO_SMALL' });

    const grown = await patchList(list.id, 'ADD', [matched[99]!]);
    expect(grown.body.status).toBe('READY');
    const ready = await call(sandbox, 'GET', `/ad_accounts/${US}/audiences/${audience.body.id}`);
    expect(ready.body).toMatchObject({ size: 100, status: 'READY' });

    await patchList(list.id, 'REMOVE', [matched[0]!]);
    const shrunk = await call(sandbox, 'GET', `/ad_accounts/${US}/audiences/${audience.body.id}`);
    expect(shrunk.body).toMatchObject({ size: null, status: 'TOO_SMALL' });
  });
});
