// PINSYNC_HOME under stress: runs killed hard, a state file another process holds, a full disk, a home
// that cannot be written. Each ends in one sentence (never a stack trace), and the journal stays true.
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import Sqlite from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox, type Sandbox } from '../../src/sandbox/server.js';
import { cliEntry, cliEnv, makeHome, parseJsonOutput, repoRoot, runCli } from '../support/cli.js';
import { US as AD_ACCOUNT, sandboxEnv } from '../support/sandbox.js';
import { hashesOf, listRecords, recordsWritten, sameSet, writeUsers } from '../state/e2e-helpers.js';

let sandbox: Sandbox;
beforeAll(async () => {
  sandbox = await startSandbox({ port: 0, writeRate: 1000 });
});
afterAll(async () => {
  await sandbox.stop();
});

async function until(condition: () => boolean | Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** A slow push (a few batches a second) that the test can kill at any point. */
function startSlowPush(home: string, audience: string, users = 3000) {
  const file = writeUsers(home, 'users.csv', 0, users);
  const args = ['push', file, '--audience', audience, '--create', '--ad-account', AD_ACCOUNT, '--batch-size', '100', '--rate', '5'];
  const child = spawn(process.execPath, [cliEntry, ...args], { cwd: repoRoot, env: cliEnv(home, sandboxEnv(sandbox)) });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const exit = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  return { child, exit, stderr: () => stderr };
}

async function runStatuses(home: string): Promise<string[]> {
  const listed = await runCli(['runs', '--json'], { home });
  expect(listed.code, listed.stderr).toBe(0);
  return parseJsonOutput<{ status: string }[]>(listed).map((run) => run.status);
}

describe('pinsync runs after a run killed hard', () => {
  it('shows a live run as running and, once it is killed with SIGKILL, as interrupted', async () => {
    const home = makeHome();
    const writes = sandbox.state.stats.successfulWrites;
    const push = startSlowPush(home, 'Killed hard');
    await until(() => sandbox.state.stats.successfulWrites >= writes + 3);
    expect(await runStatuses(home)).toEqual(['running']);
    push.child.kill('SIGKILL');
    await push.exit;
    expect(await runStatuses(home)).toEqual(['interrupted']);
    const table = await runCli(['runs'], { home });
    expect(table.stdout).toMatch(/Killed hard .* interrupted/);
  });
});

function expectOneSentence(stderr: string, sentence: RegExp): void {
  expect(stderr).toMatch(sentence);
  expect(stderr).not.toMatch(/SqliteError|unexpected error|\n\s+at /);
}

describe('a busy or full PINSYNC_HOME', () => {
  it('another process holding BEGIN EXCLUSIVE on state.db for 8 s mid-run: sending pauses, no acknowledgement is lost, at most one batch goes twice', async () => {
    const home = makeHome();
    const file = writeUsers(home, 'users.csv', 0, 40_000);
    const args = ['push', file, '--audience', 'Busy state', '--create', '--ad-account', AD_ACCOUNT, '--rate', '7'];
    const before = recordsWritten(sandbox);
    const writes = sandbox.state.stats.successfulWrites;
    const child = spawn(process.execPath, [cliEntry, ...args], { cwd: repoRoot, env: cliEnv(home, sandboxEnv(sandbox)) });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const exit = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    await until(() => sandbox.state.stats.successfulWrites >= writes + 3);
    const holder = new Sqlite(path.join(home, 'state.db'));
    holder.exec('BEGIN EXCLUSIVE');
    holder.prepare('UPDATE runs SET updated_at = updated_at').run();
    const heldWrites = sandbox.state.stats.successfulWrites;
    await new Promise((resolve) => setTimeout(resolve, 8_000));
    const writesWhileHeld = sandbox.state.stats.successfulWrites - heldWrites;
    holder.exec('COMMIT');
    holder.close();
    const code = await exit;
    if (code !== 0) {
      const rerun = await runCli(args, { home, env: sandboxEnv(sandbox) });
      expect(rerun.code, rerun.stderr).toBe(0);
    }
    expect(sameSet(listRecords(sandbox, 'Busy state'), hashesOf(0, 40_000))).toBe(true);
    expect(recordsWritten(sandbox) - before).toBeLessThanOrEqual(40_000 + 1_900);
    expect(code, stderr).toBe(0);
    expect(writesWhileHeld).toBeLessThanOrEqual(30); // the batches already on their way, not the rest of the file
    expect(stderr).not.toMatch(/SqliteError|unexpected error|\n\s+at /);
  }, 90_000);

  const tmpfs = path.join(makeHome('pinsync-tmpfs-'), 'home');
  const mounted = mountSmallDisk(tmpfs, '4m');
  afterAll(() => {
    if (mounted) execFileSync('umount', [tmpfs]);
  });

  it.skipIf(!mounted)('stops in one sentence when the disk fills mid-run (exit 2), and a rerun sends no batch twice', async () => {
    const file = writeUsers(makeHome(), 'users.csv', 0, 3000);
    const args = ['push', file, '--audience', 'Full disk', '--create', '--ad-account', AD_ACCOUNT, '--batch-size', '100', '--rate', '5'];
    const env = cliEnv(tmpfs, sandboxEnv(sandbox));
    const before = recordsWritten(sandbox);
    const writes = sandbox.state.stats.successfulWrites;
    const child = spawn(process.execPath, [cliEntry, ...args], { cwd: repoRoot, env });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const exit = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    await until(() => sandbox.state.stats.successfulWrites >= writes + 3);
    const filler = path.join(tmpfs, 'filler');
    fillDisk(filler);
    const code = await exit;
    expect(code, stderr).toBe(2);
    expectOneSentence(stderr, /The disk holding PINSYNC_HOME \(.*\) is full: free some space, then run this again/);

    fs.rmSync(filler);
    const rerun = await runCli(args, { home: tmpfs, env: sandboxEnv(sandbox) });
    expect(rerun.code, rerun.stderr).toBe(0);
    expect(rerun.stderr).toMatch(/Resuming run/);
    expect(sameSet(listRecords(sandbox, 'Full disk'), hashesOf(0, 3000))).toBe(true);
    expect(recordsWritten(sandbox) - before).toBe(3000);
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
    const args = ['push', file, '--audience', 'Report disk full', '--create', '--ad-account', AD_ACCOUNT, '--batch-size', '100', '--rate', '10', '--json', '--report', report];
    const writes = sandbox.state.stats.successfulWrites;
    const child = spawn(process.execPath, [cliEntry, ...args], { cwd: repoRoot, env: cliEnv(home, sandboxEnv(sandbox)) });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const exit = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    await until(() => sandbox.state.stats.successfulWrites >= writes + 3);
    fillDisk(path.join(disk, 'filler'));
    expect(await exit, stderr).toBe(2);
    const printed = JSON.parse(stdout) as { synced: number; runId: number };
    expect(printed.synced).toBe(2000);
    expect(sameSet(listRecords(sandbox, 'Report disk full'), hashesOf(0, 2000))).toBe(true);
    expect(stderr).toMatch(/Synced +2,000/);
    expect(stderr).toMatch(
      new RegExp(`Cannot write --report .*report\\.json \\(no space left\\)\\. The run itself has ended as the summary says; \`pinsync runs show ${printed.runId} --json\` prints its report\\.`),
    );
    expect(stderr).not.toMatch(/at .*\.js:\d+/);
    expect(fs.readdirSync(disk).filter((name) => name !== 'filler')).toEqual([]); // no half-written report

    const shown = await runCli(['runs', 'show', String(printed.runId), '--json'], { home, env: sandboxEnv(sandbox) });
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
    const writes = sandbox.state.stats.successfulWrites;
    const r = await runCli([command, file, '--audience', `Home is a file ${command}`, '--create', '--ad-account', AD_ACCOUNT], { home, env: sandboxEnv(sandbox) });
    expect(r.code, r.stderr).toBe(2);
    expectOneSentence(r.stderr, /PINSYNC_HOME \(.*not-a-folder\) cannot hold pinsync's state \(a file is in the way of the folder\): fix it or set PINSYNC_HOME to a writable folder/);
    expect(sandbox.state.stats.successfulWrites).toBe(writes);
  });
});
