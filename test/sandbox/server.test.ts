// The sandbox as a library: clean stop with keep-alive clients, a bounded request log with counters,
// and the optional state file that survives a restart.
import http from 'node:http';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startSandbox } from '../../src/sandbox/server.js';
import { call, createList } from '../support/sandbox-api.js';
import { hashedEmails } from '../support/users.js';
import { US } from '../support/sandbox.js';

const dir = mkdtempSync(path.join(tmpdir(), 'pinsync-sandbox-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('sandbox server', () => {
  it('stops promptly while a keep-alive client still holds a connection', async () => {
    const sandbox = await startSandbox({ port: 0 });
    const agent = new http.Agent({ keepAlive: true });
    await new Promise<void>((resolve, reject) => {
      http
        .get(`${sandbox.apiBase}/ad_accounts`, { agent, headers: { authorization: `Bearer ${sandbox.token}` } }, (res) => {
          res.resume();
          res.on('end', resolve);
        })
        .on('error', reject);
    });
    const started = Date.now();
    await sandbox.stop();
    expect(Date.now() - started).toBeLessThan(1000);
    agent.destroy();
  });

  it('keeps a bounded request log but counts every request', async () => {
    const sandbox = await startSandbox({ port: 0, requestLogSize: 10 });
    for (let i = 0; i < 30; i++) await call(sandbox, 'GET', '/ad_accounts');
    expect(sandbox.state.requests.length).toBeLessThanOrEqual(11);
    expect(sandbox.state.requests.length).toBeGreaterThanOrEqual(10);
    expect(sandbox.state.stats.requests).toBe(30);
    const last = sandbox.state.requests.at(-1)!;
    expect(last).toMatchObject({ method: 'GET', path: '/v5/ad_accounts', status: 200, records: 0, tokenId: expect.any(String) });
    expect(JSON.stringify(sandbox.state.requests)).not.toContain(sandbox.token);
    await sandbox.stop();
  });

  it('saves lists, audiences and tokens to a state file and loads them on the next start', async () => {
    const stateFile = path.join(dir, 'sandbox.json');
    const first = await startSandbox({ port: 0, stateFile, writeRate: 100, listRules: { audiencesNeedReadyList: false } });
    const list = await createList(first, hashedEmails(150));
    const audience = await call(first, 'POST', `/ad_accounts/${US}/audiences`, {
      body: { name: 'Buyers', audience_type: 'CUSTOMER_LIST', rule: { customer_list_id: list.id } },
    });
    const { token, appSecret } = first;
    await first.stop();
    expect(statSync(stateFile).mode & 0o777).toBe(0o600);

    const second = await startSandbox({ port: 0, stateFile });
    expect(second.token).toBe(token);
    expect(second.appSecret).toBe(appSecret);
    expect(second.state.customerList(list.id)!.records.size).toBe(150);
    const again = await call(second, 'GET', `/ad_accounts/${US}/audiences/${audience.body.id}`);
    expect(again.body).toEqual(audience.body);
    const next = await createList(second, hashedEmails(1));
    expect(next.id).not.toBe(list.id);
    await second.stop();
  });
});
