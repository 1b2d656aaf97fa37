// A daily write quota remembered from an earlier run (its reset still ahead) must not stop a rerun
// without asking: the rerun tries one write and stops only if Pinterest says the quota is still spent
// (the quota may have been raised, or the remembered reset may be wrong).
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { RunReport } from '../../src/report/run-report.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/server.js';
import { parseJsonOutput } from '../support/cli.js';
import { runInProcess } from '../support/in-process.js';
import { US, sandboxEnv } from '../support/sandbox.js';
import { makeHome } from '../support/home.js';
import { listRecords, sameSet } from '../support/sandbox-records.js';
import { hashesOf, sha256, writeUsers } from '../support/users.js';


let sandbox: Sandbox | undefined;
afterEach(async () => {
  await sandbox?.stop();
  sandbox = undefined;
});

/** A sandbox with a daily quota of 6 writes, and an audience (with its list) to push into. */
async function quotaSandbox(): Promise<Sandbox> {
  const box = (sandbox = await startSandbox({ port: 0, writeRate: 1000, dailyWriteQuota: { limit: 6 }, listRules: { audiencesNeedReadyList: false } }));
  const list = box.state.createCustomerList(US, { name: 'Quota', records: [sha256('seed@example.com')] });
  box.state.createAudience(US, { name: 'Quota', rule: { customer_list_id: list.id } });
  return box;
}

const writes = (box: Sandbox, since: number) => box.state.requests.slice(since).filter((r) => r.method === 'PATCH');

/** The same command each time (the file written once): a rerun resumes the run. */
function push(box: Sandbox, home: string) {
  const file = path.join(home, 'users.csv');
  if (!fs.existsSync(file)) writeUsers(home, 'users.csv', 0, 800);
  return runInProcess(['push', file, '--audience', 'Quota', '--ad-account', US, '--batch-size', '100', '--rate', '100', '--json'], { home, env: sandboxEnv(box) });
}

describe('a remembered daily quota', () => {
  it('a rerun after the quota refilled tries a write, and sends the rest', async () => {
    const box = await quotaSandbox();
    const home = makeHome();
    const first = await push(box, home);
    expect(first.code, first.stderr).toBe(3);
    expect(parseJsonOutput<RunReport>(first)).toMatchObject({ stoppedBy: 'quota', synced: 600, pending: 200 });

    box.clock.advanceDays(1); // Pinterest's day turned; the reset this machine remembers is still hours ahead
    const before = box.state.requests.length;
    const rerun = await push(box, home);
    expect(rerun.code, rerun.stderr).toBe(0);
    expect(writes(box, before).filter((r) => r.status === 200)).toHaveLength(2);
    expect(sameSet(listRecords(box, 'Quota'), new Set([sha256('seed@example.com'), ...hashesOf(0, 800)]))).toBe(true);
  });

  it('a rerun while the quota is still spent sends exactly one write, then stops with exit 3 and the reset time', async () => {
    const box = await quotaSandbox();
    const home = makeHome();
    expect((await push(box, home)).code).toBe(3);
    const before = box.state.requests.length;
    const rerun = await push(box, home);
    expect(rerun.code, rerun.stderr).toBe(3);
    expect(writes(box, before).map((r) => r.status)).toEqual([429]);
    const report = parseJsonOutput<RunReport>(rerun);
    expect(report).toMatchObject({ stoppedBy: 'quota', pending: 200 });
    expect(Date.parse(String(report.quotaResetAt))).toBeGreaterThan(Date.now() + 20 * 3600_000);
  });
});
