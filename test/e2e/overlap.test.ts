// Overlapping cron jobs: a run that starts while the same push, or any sync into the same audience,
// is still going refuses at once (exit 2, naming the other process) instead of resuming the same
// journal twice or diffing against a snapshot that is being replaced. Once the first ends, it runs.
import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox, type Sandbox } from '../../src/sandbox/server.js';
import { cliEntry, cliEnv, makeHome, repoRoot, runCli } from '../support/cli.js';
import { hashesOf, listRecords, sameSet, writeUsers } from '../state/e2e-helpers.js';
import { US, sandboxEnv } from '../support/sandbox.js';

let sandbox: Sandbox;
beforeAll(async () => {
  sandbox = await startSandbox({ port: 0, writeRate: 1000 });
});
afterAll(async () => {
  await sandbox.stop();
});

/** Starts a CLI run in the background and resolves once it has made its first write. */
async function startSlowRun(home: string, args: string[]) {
  const writesBefore = sandbox.state.stats.writes;
  const child = spawn(process.execPath, [cliEntry, ...args], { cwd: repoRoot, env: cliEnv(home, sandboxEnv(sandbox)) });
  let stdout = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.resume();
  const exit = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  while (sandbox.state.stats.writes === writesBefore) {
    if (child.exitCode !== null) throw new Error(`the first run ended (exit ${child.exitCode}) before it wrote anything`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  return { exit, stdout: () => stdout };
}

describe('overlapping runs', () => {
  it('a second identical push exits 2 naming the running one; after it ends the rerun has nothing left to send', async () => {
    const home = makeHome();
    const file = writeUsers(home, 'users.csv', 0, 4000);
    const args = ['push', file, '--audience', 'Overlap push', '--ad-account', US, '--create', '--batch-size', '200', '--rate', '4', '--json'];
    const first = await startSlowRun(home, args);

    const second = await runCli(args, { home, env: sandboxEnv(sandbox), timeoutMs: 30_000 });
    expect(second.code, second.stderr).toBe(2);
    expect(second.stderr).toMatch(/^pinsync: Another pinsync run \(process \d+, started [^)]+\) is already pushing users\.csv into audience "Overlap push": wait for it/m);
    expect(second.stdout).toBe('');

    expect(await first.exit).toBe(0);
    expect(JSON.parse(first.stdout())).toMatchObject({ entered: 4000, synced: 4000 });
    const rerun = await runCli(args, { home, env: sandboxEnv(sandbox), timeoutMs: 30_000 });
    expect(rerun.code, rerun.stderr).toBe(0);
    expect(sameSet(listRecords(sandbox, 'Overlap push'), hashesOf(0, 4000))).toBe(true);
  }, 60_000);

  it('a sync of another file into the same audience waits its turn (exit 2), then mirrors exactly', async () => {
    const home = makeHome();
    const env = sandboxEnv(sandbox);
    // The cron job's command carries --create: whichever run comes first creates the audience.
    const base = ['--audience', 'Overlap mirror', '--ad-account', US, '--create', '--json'];
    const first = await startSlowRun(home, ['sync', writeUsers(home, 'a.csv', 0, 4000), ...base, '--batch-size', '200', '--rate', '4']);

    const other = writeUsers(home, 'b.csv', 500, 4300);
    const second = await runCli(['sync', other, ...base], { home, env, timeoutMs: 30_000 });
    expect(second.code, second.stderr).toBe(2);
    expect(second.stderr).toMatch(/is already syncing a file into audience "Overlap mirror"/);

    expect(await first.exit).toBe(0);
    const after = await runCli(['sync', other, ...base], { home, env, timeoutMs: 30_000 });
    expect(after.code, after.stderr).toBe(0);
    expect(sameSet(listRecords(sandbox, 'Overlap mirror'), hashesOf(500, 4300))).toBe(true);
  }, 60_000);
});
