// Overlapping cron jobs: a run that starts while the same push, or any sync into the same audience,
// is still going refuses at once (exit 2, naming the other process) instead of resuming the same
// journal twice or diffing against a snapshot that is being replaced. Once the first ends, it runs.
import { describe, expect, it } from 'vitest';
import { makeHome } from '../support/home.js';
import { runInProcess, startInProcess } from '../support/in-process.js';
import { waitWhileRunning } from '../support/interrupt.js';
import { sandboxEnv, sandboxPerFile, US } from '../support/sandbox.js';
import { listRecords, sameSet } from '../support/sandbox-records.js';
import { hashesOf, writeUsers } from '../support/users.js';

const t = sandboxPerFile({ writeRate: 1000 });

/** Starts a run in the background and resolves once it has made its first write. */
async function startSlowRun(home: string, args: string[]) {
  const run = startInProcess(args, { home, env: sandboxEnv(t.sandbox) });
  const writesBefore = t.sandbox.state.stats.writes;
  await waitWhileRunning(run, () => t.sandbox.state.stats.writes > writesBefore, 'the first run made its first write');
  return run;
}

describe('overlapping runs', () => {
  it('a second identical push exits 2 naming the running one; after it ends the rerun has nothing left to send', async () => {
    const home = makeHome();
    const file = writeUsers(home, 'users.csv', 0, 4000);
    const args = ['push', file, '--audience', 'Overlap push', '--ad-account', US, '--create', '--batch-size', '200', '--rate', '8', '--json'];
    const first = await startSlowRun(home, args);

    const second = await runInProcess(args, { home, env: sandboxEnv(t.sandbox), timeoutMs: 30_000 });
    expect(second.code, second.stderr).toBe(2);
    expect(second.stderr).toMatch(/^pinsync: Another pinsync run \(process \d+, started [^)]+\) is already pushing users\.csv into audience "Overlap push": wait for it/m);
    expect(second.stdout).toBe('');

    const firstResult = await first.result;
    expect(firstResult.code, firstResult.stderr).toBe(0);
    expect(JSON.parse(firstResult.stdout)).toMatchObject({ entered: 4000, synced: 4000 });
    const rerun = await runInProcess(args, { home, env: sandboxEnv(t.sandbox), timeoutMs: 30_000 });
    expect(rerun.code, rerun.stderr).toBe(0);
    expect(sameSet(listRecords(t.sandbox, 'Overlap push'), hashesOf(0, 4000))).toBe(true);
  }, 60_000);

  it('a sync of another file into the same audience waits its turn (exit 2), then mirrors exactly', async () => {
    const home = makeHome();
    const env = sandboxEnv(t.sandbox);
    // The cron job's command carries --create: whichever run comes first creates the audience.
    const base = ['--audience', 'Overlap mirror', '--ad-account', US, '--create', '--json'];
    const first = await startSlowRun(home, ['sync', writeUsers(home, 'a.csv', 0, 4000), ...base, '--batch-size', '200', '--rate', '8']);

    const other = writeUsers(home, 'b.csv', 500, 4300);
    const second = await runInProcess(['sync', other, ...base], { home, env, timeoutMs: 30_000 });
    expect(second.code, second.stderr).toBe(2);
    expect(second.stderr).toMatch(/is already syncing a file into audience "Overlap mirror"/);

    expect((await first.result).code).toBe(0);
    const after = await runInProcess(['sync', other, ...base], { home, env, timeoutMs: 30_000 });
    expect(after.code, after.stderr).toBe(0);
    expect(sameSet(listRecords(t.sandbox, 'Overlap mirror'), hashesOf(500, 4300))).toBe(true);
  }, 60_000);
});
