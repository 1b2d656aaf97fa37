// A mirror sync killed mid-way (kill -9) is finished by rerunning it: the audience ends exact, the
// snapshot is replaced only once everything was acknowledged, and only in-flight batches repeat.
import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox, type Sandbox } from '../../src/sandbox/server.js';
import { openStateStore } from '../../src/state/store.js';
import { cliEntry, cliEnv, makeHome, parseJsonOutput, repoRoot, runCli } from '../support/cli.js';
import { hashesOf, interruptAfterWrites, listRecords, recordsWritten, sameSet, writeUsers } from '../state/e2e-helpers.js';
import { US, sandboxEnv } from '../support/sandbox.js';

let sandbox: Sandbox;
beforeAll(async () => {
  sandbox = await startSandbox({ port: 0, writeRate: 100 });
});
afterAll(async () => {
  await sandbox.stop();
});

const syncArgs = (file: string, ...extra: string[]) => [
  'sync', file, '--audience', 'Mirror resume', '--ad-account', US, '--rate', '20', '--batch-size', '1000', '--json', ...extra,
];

describe('resuming a sync', () => {
  it('finishes a sync killed mid-way, sending again at most the batches in flight', async () => {
    const home = makeHome();
    const env = sandboxEnv(sandbox);
    const day1 = writeUsers(home, 'day1.csv', 0, 30_000);
    expect((await runCli(syncArgs(day1, '--create'), { home, env, timeoutMs: 60_000 })).code).toBe(0);

    const day2 = writeUsers(home, 'day2.csv', 5000, 35_000); // 5,000 gone, 5,000 new: 10 requests
    const writtenBefore = recordsWritten(sandbox);
    const target = sandbox.state.stats.successfulWrites + 4;
    const child = spawn(process.execPath, [cliEntry, ...syncArgs(day2, '--max-remove', '50')], { cwd: repoRoot, env: cliEnv(home, env), stdio: 'ignore' });
    const poll = setInterval(() => {
      if (sandbox.state.stats.successfulWrites >= target) child.kill('SIGKILL');
    }, 2);
    const signal = await new Promise((resolve) => child.on('exit', (_code, s) => resolve(s)));
    clearInterval(poll);
    expect(signal).toBe('SIGKILL');

    const store = await openStateStore(`${home}/state.db`);
    const inFlight = (store.db.prepare(`SELECT coalesce(sum(records), 0) AS n FROM batches WHERE state = 'sent'`).get() as { n: number }).n;
    const snapshotSize = (store.db.prepare('SELECT size FROM snapshots').get() as { size: number }).size;
    store.close();
    expect(snapshotSize).toBe(30_000); // not replaced by the unfinished sync

    const rerun = await runCli(syncArgs(day2, '--max-remove', '50'), { home, env, timeoutMs: 60_000 });
    expect(rerun.code, rerun.stderr).toBe(0);
    expect(rerun.stderr).toMatch(/Resuming run \d+/);
    expect(parseJsonOutput(rerun)).toMatchObject({ operation: 'MIRROR', added: 5000, removed: 5000, synced: 30_000, pending: 0 });
    expect(sameSet(listRecords(sandbox, 'Mirror resume'), hashesOf(5000, 35_000))).toBe(true);
    expect(recordsWritten(sandbox) - writtenBefore - 10_000).toBeLessThanOrEqual(inFlight);
  }, 120_000);

  it('on Ctrl-C records what Pinterest acknowledged, exits 130 saying how to resume, and the rerun completes', async () => {
    const home = makeHome();
    const env = sandboxEnv(sandbox);
    const file = writeUsers(home, 'users.csv', 0, 20_000);
    const args = ['sync', file, '--audience', 'Mirror interrupted', '--ad-account', US, '--create', '--rate', '10', '--batch-size', '500'];
    const { code, stderr } = await interruptAfterWrites(sandbox, args, home, 5);
    expect(code, stderr).toBe(130);
    expect(stderr).toMatch(/Run the same command again to resume run \d+/i);
    const store = await openStateStore(`${home}/state.db`);
    const acknowledged = (store.db.prepare(`SELECT coalesce(sum(records), 0) AS n FROM batches WHERE state = 'acknowledged'`).get() as { n: number }).n;
    store.close();
    // Batches still queued when Ctrl-C came stay unsent (the rerun sends them); every acknowledged write is recorded.
    expect(acknowledged).toBeGreaterThan(0);
    expect(listRecords(sandbox, 'Mirror interrupted').size).toBe(acknowledged);

    const writtenBefore = recordsWritten(sandbox);
    const rerun = await runCli([...args, '--json'], { home, env, timeoutMs: 60_000 });
    expect(rerun.code, rerun.stderr).toBe(0);
    expect(recordsWritten(sandbox) - writtenBefore).toBe(20_000 - acknowledged);
    expect(sameSet(listRecords(sandbox, 'Mirror interrupted'), hashesOf(0, 20_000))).toBe(true);
  }, 120_000);
});
