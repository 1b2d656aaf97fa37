// A mirror sync killed mid-way (kill -9) is finished by rerunning it: the audience ends exact, the
// snapshot is replaced only once everything was acknowledged, and only in-flight batches repeat.
import { describe, expect, it } from 'vitest';
import { parseJsonOutput, spawnCli } from '../support/cli.js';
import { makeHome } from '../support/home.js';
import { runInProcess, startInProcess } from '../support/in-process.js';
import { afterMoreWrites, stopWhen, waitWhileRunning } from '../support/interrupt.js';
import { recordsInState, snapshotSize } from '../support/journal.js';
import { sandboxEnv, sandboxPerFile, US } from '../support/sandbox.js';
import { listRecords, recordsWritten, sameSet } from '../support/sandbox-records.js';
import { hashesOf, writeUsers } from '../support/users.js';

const t = sandboxPerFile({ writeRate: 100 });

const syncArgs = (file: string, ...extra: string[]) => [
  'sync', file, '--audience', 'Mirror resume', '--ad-account', US, '--rate', '20', '--batch-size', '1000', '--json', ...extra,
];

describe('resuming a sync', () => {
  it('finishes a sync killed mid-way, sending again at most the batches in flight', async () => {
    const home = makeHome();
    const env = sandboxEnv(t.sandbox);
    const day1 = writeUsers(home, 'day1.csv', 0, 30_000);
    expect((await runInProcess(syncArgs(day1, '--create'), { home, env, timeoutMs: 60_000 })).code).toBe(0);

    const day2 = writeUsers(home, 'day2.csv', 5000, 35_000); // 5,000 gone, 5,000 new: 10 requests
    const writtenBefore = recordsWritten(t.sandbox);
    const killed = spawnCli(syncArgs(day2, '--max-remove', '50'), { home, env, stdio: ['ignore', 'ignore', 'pipe'] });
    await waitWhileRunning(killed, afterMoreWrites(t.sandbox, 4), 'the sandbox took 4 more writes');
    killed.kill('SIGKILL');
    expect((await killed.result).signal).toBe('SIGKILL');

    const inFlight = await recordsInState(home, 'sent');
    expect(await snapshotSize(home)).toBe(30_000); // not replaced by the unfinished sync

    const rerun = await runInProcess(syncArgs(day2, '--max-remove', '50'), { home, env, timeoutMs: 60_000 });
    expect(rerun.code, rerun.stderr).toBe(0);
    expect(rerun.stderr).toMatch(/Resuming run \d+/);
    expect(parseJsonOutput(rerun)).toMatchObject({ operation: 'MIRROR', added: 5000, removed: 5000, synced: 30_000, pending: 0 });
    expect(sameSet(listRecords(t.sandbox, 'Mirror resume'), hashesOf(5000, 35_000))).toBe(true);
    expect(recordsWritten(t.sandbox) - writtenBefore - 10_000).toBeLessThanOrEqual(inFlight);
  }, 120_000);

  it('on Ctrl-C records what Pinterest acknowledged, exits 130 saying how to resume, and the rerun completes', async () => {
    const home = makeHome();
    const env = sandboxEnv(t.sandbox);
    const file = writeUsers(home, 'users.csv', 0, 20_000);
    const args = ['sync', file, '--audience', 'Mirror interrupted', '--ad-account', US, '--create', '--rate', '10', '--batch-size', '500'];
    const run = startInProcess(args, { home, env });
    const { code, stderr } = await stopWhen(run, afterMoreWrites(t.sandbox, 5), 'the sandbox took 5 more writes');
    expect(code, stderr).toBe(130);
    expect(stderr).toMatch(/Run the same command again to resume run \d+/i);
    const acknowledged = await recordsInState(home, 'acknowledged');
    // Batches still queued when Ctrl-C came stay unsent (the rerun sends them); every acknowledged write is recorded.
    expect(acknowledged).toBeGreaterThan(0);
    expect(listRecords(t.sandbox, 'Mirror interrupted').size).toBe(acknowledged);

    const writtenBefore = recordsWritten(t.sandbox);
    const rerun = await runInProcess([...args, '--json', '--rate', '100'], { home, env, timeoutMs: 60_000 });
    expect(rerun.code, rerun.stderr).toBe(0);
    expect(recordsWritten(t.sandbox) - writtenBefore).toBe(20_000 - acknowledged);
    expect(sameSet(listRecords(t.sandbox, 'Mirror interrupted'), hashesOf(0, 20_000))).toBe(true);
  }, 120_000);
});
