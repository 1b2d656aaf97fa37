// API 5.28 lists audiences shared into an ad account beside its own (ownership_type lost its default
// OWNED). A look-up by name (push, sync, fan-out, --create, audiences show) considers only the account's
// own audiences; a shared one is never written to, and naming one by id says why; `audiences list`
// shows the shared ones only when asked, marked as such.
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startSandbox, type Sandbox } from '../../src/sandbox/server.js';

import { runInProcess } from '../support/in-process.js';
import { sandboxEnv, US } from '../support/sandbox.js';
import { makeHome } from '../support/home.js';

let sandbox: Sandbox;
let home: string;
beforeEach(async () => {
  sandbox = await startSandbox({ port: 0, writeRate: 1000, strict528: true, sharedAudiences: ['Newsletter'], listRules: { audiencesNeedReadyList: false } });
  home = makeHome();
});
afterEach(async () => {
  await sandbox.stop();
});

function usersFile(rows = 3, name = 'users.csv'): string {
  const file = path.join(home, name);
  fs.writeFileSync(file, ['email', ...Array.from({ length: rows }, (_, i) => `user${i}@example.com`)].join('\n') + '\n');
  return file;
}

const run = (args: string[]) => runInProcess([...args, '--ad-account', US], { env: sandboxEnv(sandbox), home });
const sharedAudience = () => [...sandbox.state.audiences.values()].find((a) => a.sharedWith.includes(US))!;
const sharedList = () => sandbox.state.customerList(sharedAudience().rule.customer_list_id!)!;

describe('a shared audience bearing the name of the account\'s own', () => {
  it('is never chosen: push and sync write to the own audience', async () => {
    const own = sandbox.state.createCustomerList(US, { name: 'Newsletter', records: [] });
    const audience = sandbox.state.createAudience(US, { name: 'Newsletter', rule: { customer_list_id: own.id } });
    for (const command of ['push', 'sync']) {
      const result = await run([command, usersFile(), '--audience', 'Newsletter', '--json']);
      expect(result.code, result.stderr).toBe(0);
      expect(JSON.parse(result.stdout).audienceId).toBe(audience.id);
    }
    expect(own.records.size).toBe(3);
    expect(sharedList().records.size).toBe(0);
    expect(sandbox.state.violations).toEqual([]);
  });

  it('does not block --create: the account gets its own audience (push, and a fan-out sync)', async () => {
    const push = await run(['push', usersFile(), '--audience', 'Newsletter', '--create', '--json']);
    expect(push.code, push.stderr).toBe(0);
    const report = JSON.parse(push.stdout);
    expect(report.errored).toBe(0);
    const created = sandbox.state.audience(report.audienceId)!;
    expect(created.adAccountId).toBe(US);
    expect(created.name).toBe('Newsletter');

    const segments = path.join(home, 'segments.csv');
    fs.writeFileSync(segments, 'email,segment\na@example.com,Newsletter\nb@example.com,Newsletter\n');
    const sync = await run(['sync', segments, '--audience-column', 'segment', '--create', '--json']);
    expect(sync.code, sync.stderr).toBe(0);
    expect(JSON.parse(sync.stdout).audiences[0].audienceId).toBe(created.id);
    expect(sharedList().records.size).toBe(0);
  });

  it('named by id, is refused before anything is sent, saying it is shared (exit 2)', async () => {
    const result = await run(['push', usersFile(), '--audience', sharedAudience().id]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`Audience ${sharedAudience().id} is shared into ad account ${US} by another account`);
    expect(sandbox.state.requests.filter((r) => r.method !== 'GET')).toEqual([]);
  });
});

describe('audiences list', () => {
  it('shows the own audiences; --received adds the shared ones in a column saying so', async () => {
    const own = sandbox.state.createCustomerList(US, { name: 'Buyers', records: [] });
    sandbox.state.createAudience(US, { name: 'Buyers', rule: { customer_list_id: own.id } });

    const owned = await run(['audiences', 'list', '--json']);
    expect(owned.code, owned.stderr).toBe(0);
    expect(JSON.parse(owned.stdout).map((a: { name: string }) => a.name)).toEqual(['Buyers']);

    const all = await run(['audiences', 'list', '--received', '--json']);
    const listed = JSON.parse(all.stdout).map((a: { name: string; ownership_type: string }) => [a.name, a.ownership_type]);
    expect(listed).toEqual([['Buyers', 'OWNED'], ['Newsletter', 'RECEIVED']]);

    const table = await run(['audiences', 'list', '--ownership', 'all']);
    expect(table.stdout).toMatch(/Newsletter.*received \(shared, read-only\)/);
    expect(table.stdout).toMatch(/Buyers.*owned/);
  });
});
