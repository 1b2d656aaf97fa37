// PINSYNC_HOME under stress: runs killed hard, a full disk, a home that cannot be written. Each ends in
// one sentence (never a stack trace), and the journal stays true. A state file another process holds
// has its own file (state-busy.test.ts).
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseJsonOutput, spawnCli, type SpawnedCli } from '../support/cli.js';
import { makeHome } from '../support/home.js';
import { expectOneSentence } from '../support/messages.js';
import { runInProcess, startInProcess } from '../support/in-process.js';
import { afterMoreWrites, waitWhileRunning } from '../support/interrupt.js';
import { sandboxEnv, sandboxPerFile, US } from '../support/sandbox.js';
import { listRecords, recordsWritten, sameSet } from '../support/sandbox-records.js';
import { hashesOf, writeUsers } from '../support/users.js';

const t = sandboxPerFile({ writeRate: 1000 });

/** A push of 30 batches, at `rate` of them a second. */
const slowPushArgs = (file: string, audience: string, rate = 5) => ['push', file, '--audience', audience, '--create', '--ad-account', US, '--batch-size', '100', '--rate', String(rate)];

/** A slow push in its own process, that the test can kill at any point. */
function startSlowPush(home: string, audience: string): SpawnedCli {
  return spawnCli(slowPushArgs(writeUsers(home, 'users.csv', 0, 3000), audience), { home, env: sandboxEnv(t.sandbox) });
}

async function runStatuses(home: string): Promise<string[]> {
  const listed = await runInProcess(['runs', '--json'], { home });
  expect(listed.code, listed.stderr).toBe(0);
  return parseJsonOutput<{ status: string }[]>(listed).map((run) => run.status);
}

describe('pinsync runs after a run killed hard', () => {
  it('shows a live run as running and, once it is killed with SIGKILL, as interrupted', async () => {
    const home = makeHome();
    const uploading = afterMoreWrites(t.sandbox, 3);
    const push = startSlowPush(home, 'Killed hard');
    await waitWhileRunning(push, uploading, 'the push is uploading');
    expect(await runStatuses(home)).toEqual(['running']);
    push.kill('SIGKILL');
    await push.result;
    expect(await runStatuses(home)).toEqual(['interrupted']);
    const table = await runInProcess(['runs'], { home });
    expect(table.stdout).toMatch(/Killed hard .* interrupted/);
  });
});

describe('a full PINSYNC_HOME', () => {
  const tmpfs = path.join(makeHome('pinsync-tmpfs-'), 'home');
  const mounted = mountSmallDisk(tmpfs, '4m');
  afterAll(() => {
    if (mounted) execFileSync('umount', [tmpfs]);
  });

  it.skipIf(!mounted)('stops in one sentence when the disk fills mid-run (exit 2), and a rerun sends no batch twice', async () => {
    const file = writeUsers(makeHome(), 'users.csv', 0, 3000);
    const args = slowPushArgs(file, 'Full disk', 20);
    const before = recordsWritten(t.sandbox);
    const uploading = afterMoreWrites(t.sandbox, 3);
    const run = startInProcess(args, { home: tmpfs, env: sandboxEnv(t.sandbox) });
    await waitWhileRunning(run, uploading, 'the push is uploading');
    const filler = path.join(tmpfs, 'filler');
    fillDisk(filler);
    const { code, stderr } = await run.result;
    expect(code, stderr).toBe(2);
    expectOneSentence(stderr, /The disk holding PINSYNC_HOME \(.*\) is full: free some space, then run this again/);

    fs.rmSync(filler);
    const rerun = await runInProcess([...args, '--rate', '1000'], { home: tmpfs, env: sandboxEnv(t.sandbox) });
    expect(rerun.code, rerun.stderr).toBe(0);
    expect(rerun.stderr).toMatch(/Resuming run/);
    expect(sameSet(listRecords(t.sandbox, 'Full disk'), hashesOf(0, 3000))).toBe(true);
    expect(recordsWritten(t.sandbox) - before).toBe(3000);
  }, 60_000);
});

describe('a --report disk that fills during the run', () => {
  const disk = path.join(makeHome('pinsync-tmpfs-'), 'reports');
  const mounted = mountSmallDisk(disk, '1m');
  afterAll(() => {
    if (mounted) execFileSync('umount', [disk]);
  });

  it.skipIf(!mounted)('the upload finishes, the summary and --json are out, and one sentence says where the report still is (exit 2)', async () => {
    const home = makeHome();
    const report = path.join(disk, 'report.json');
    const file = writeUsers(home, 'users.csv', 0, 2000);
    const args = ['push', file, '--audience', 'Report disk full', '--create', '--ad-account', US, '--batch-size', '100', '--rate', '10', '--json', '--report', report];
    const uploading = afterMoreWrites(t.sandbox, 3);
    const run = startInProcess(args, { home, env: sandboxEnv(t.sandbox) });
    await waitWhileRunning(run, uploading, 'the push is uploading');
    fillDisk(path.join(disk, 'filler'));
    const { code, stdout, stderr } = await run.result;
    expect(code, stderr).toBe(2);
    const printed = JSON.parse(stdout) as { synced: number; runId: number };
    expect(printed.synced).toBe(2000);
    expect(sameSet(listRecords(t.sandbox, 'Report disk full'), hashesOf(0, 2000))).toBe(true);
    expect(stderr).toMatch(/Synced +2,000/);
    expect(stderr).toMatch(
      new RegExp(`Cannot write --report .*report\\.json \\(no space left\\)\\. The run itself has ended as the summary says; \`pinsync runs show ${printed.runId} --json\` prints its report\\.`),
    );
    expect(stderr).not.toMatch(/at .*\.js:\d+/);
    expect(fs.readdirSync(disk).filter((name) => name !== 'filler')).toEqual([]); // no half-written report

    const shown = await runInProcess(['runs', 'show', String(printed.runId), '--json'], { home, env: sandboxEnv(t.sandbox) });
    expect(shown.code, shown.stderr).toBe(0);
    expect(JSON.parse(shown.stdout)).toMatchObject({ synced: 2000 });
  }, 60_000);
});

/** A tmpfs of `size` at `dir`, for a disk that fills up; false when not root here (the test is skipped). */
function mountSmallDisk(dir: string, size: string): boolean {
  try {
    fs.mkdirSync(dir);
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

function fillDisk(file: string): void {
  const fd = fs.openSync(file, 'w');
  const chunk = Buffer.alloc(64 * 1024, 1);
  try {
    for (;;) fs.writeSync(fd, chunk);
  } catch {
    // ENOSPC: the disk is full now
  } finally {
    fs.closeSync(fd);
  }
}

describe('a PINSYNC_HOME that cannot be written', () => {
  it.each([['sync'], ['push']])('%s stops before sending, in one sentence (exit 2), when PINSYNC_HOME is a file', async (command) => {
    const dir = makeHome();
    const home = path.join(dir, 'not-a-folder');
    fs.writeFileSync(home, '');
    const file = writeUsers(dir, 'users.csv', 0, 10);
    const writes = t.sandbox.state.stats.successfulWrites;
    const r = await runInProcess([command, file, '--audience', `Home is a file ${command}`, '--create', '--ad-account', US], { home, env: sandboxEnv(t.sandbox) });
    expect(r.code, r.stderr).toBe(2);
    expectOneSentence(r.stderr, /PINSYNC_HOME \(.*not-a-folder\) cannot hold pinsync's state \(a file is in the way of the folder\): fix it or set PINSYNC_HOME to a writable folder/);
    expect(t.sandbox.state.stats.successfulWrites).toBe(writes);
  });
});
