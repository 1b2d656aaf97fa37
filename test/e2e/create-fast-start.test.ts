// A fast start for `push --create` into a busy ad account (issue 18): the audiences and the customer
// lists are each listed once before the first write (the audiences at the look-up, the lists once the
// name lock is held), and the audience is asked for only when Pinterest says its list is ready, so no
// write slot goes to a create that would be refused.
import { afterEach, describe, expect, it } from 'vitest';
import { startSandbox, type Sandbox } from '../../src/sandbox/server.js';
import { parseJsonOutput } from '../support/cli.js';
import { makeHome } from '../support/home.js';
import { runInProcess } from '../support/in-process.js';
import { US, sandboxEnv } from '../support/sandbox.js';
import { writeFile } from '../support/files.js';

let sandbox: Sandbox | undefined;
afterEach(async () => {
  await sandbox?.stop();
  sandbox = undefined;
});

/** An ad account with `count` customer-list audiences: two pages of each listing at 250 a page. */
function busyAccount(box: Sandbox, count: number): void {
  for (let i = 0; i < count; i++) {
    const list = box.state.createCustomerList(US, { name: `Segment ${i}`, records: [] });
    box.state.createAudience(US, { name: `Segment ${i}`, audienceType: 'CUSTOMER_LIST', rule: { customer_list_id: list.id } });
  }
}

describe('push --create into a 300-audience account', () => {
  it('lists the audiences and the customer lists once each before the first write, and asks for the audience once, when its list is ready', async () => {
    sandbox = await startSandbox({ port: 0, writeRate: 1000, listRules: { matchedShare: 1, processingMs: 1_000 } });
    busyAccount(sandbox, 300);
    const home = makeHome('pinsync-fast-start-');
    const users = writeFile(home, 'users.csv', 'email\n' + Array.from({ length: 5_000 }, (_, i) => `user${i}@example.com`).join('\n') + '\n');
    const result = await runInProcess(['push', users, '--audience', 'Brand new', '--ad-account', US, '--create', '--batch-size', '500', '--rate', '20', '--json'], {
      env: sandboxEnv(sandbox),
      home,
      timeoutMs: 60_000,
    });
    expect(result.code, result.stderr).toBe(0);
    expect(parseJsonOutput<Record<string, any>>(result)).toMatchObject({ synced: 5_000, audiencePending: false, createdAudience: true });

    const requests = sandbox.state.requests.filter((request) => request.path.startsWith(`/v5/ad_accounts/${US}/`));
    const firstWrite = requests.findIndex((request) => request.method !== 'GET');
    const before = requests.slice(0, firstWrite).map((request) => request.path.replace(`/v5/ad_accounts/${US}`, ''));
    expect(before).toEqual(['/audiences', '/audiences', '/customer_lists', '/customer_lists']); // 300 of each: two pages, once
    expect(requests[firstWrite]).toMatchObject({ method: 'POST', path: `/v5/ad_accounts/${US}/customer_lists` });

    const audienceCreates = requests.filter((request) => request.method === 'POST' && request.path.endsWith('/audiences'));
    expect(audienceCreates.map((request) => request.status)).toEqual([200]);
  }, 60_000);
});
