// What a push writes to its output streams: a closed or full stdout/stderr (`--json | head -c 10`,
// `> /dev/full`, a log reader that goes away) never stops an upload, and no control character from a
// name reaches the terminal.
import type { StdioOptions } from 'node:child_process';
import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { spawnCli, type SpawnedCli } from '../support/cli.js';
import { makeHome } from '../support/home.js';
import { runInProcess } from '../support/in-process.js';
import { arrangeAudience, sandboxEnv, sandboxPerFile, US } from '../support/sandbox.js';
import { listRecords, recordsWritten, sameSet } from '../support/sandbox-records.js';
import { hashesOf, writeUsers } from '../support/users.js';
import { waitUntil } from '../support/wait.js';

const USERS = 3000;

const t = sandboxPerFile({ writeRate: 1000 });

/** The CLI with its stdout/stderr as given; the test can walk away from either pipe. */
function spawnPush(audience: string, stdio: StdioOptions, extraEnv: Record<string, string> = {}): SpawnedCli {
  const home = makeHome();
  const file = writeUsers(home, 'users.csv', 0, USERS);
  const args = ['push', file, '--audience', audience, '--create', '--ad-account', US, '--batch-size', '100', '--rate', '1000', '--json'];
  return spawnCli(args, { home, env: { ...sandboxEnv(t.sandbox), ...extraEnv }, stdio });
}

function expectEveryUserUploaded(audience: string): void {
  expect(sameSet(listRecords(t.sandbox, audience), hashesOf(0, USERS))).toBe(true);
}

describe('a closed or full output stream', () => {
  it('finishes the upload and exits 0 when the stdout reader has gone (`--json | head -c 10`)', async () => {
    const run = spawnPush('Pipes stdout closed', ['ignore', 'pipe', 'pipe']);
    run.closeReader('stdout');
    const { code, stderr } = await run.result;
    expect(stderr).not.toMatch(/EPIPE|at .*\.js:\d+/);
    expect(code, stderr).toBe(0);
    expectEveryUserUploaded('Pipes stdout closed');
  });

  it('finishes the upload, prints the summary and exits 0 when stdout is a full disk (`> /dev/full`)', async () => {
    const full = fs.openSync('/dev/full', 'w');
    const run = spawnPush('Pipes stdout full', ['ignore', full, 'pipe']);
    fs.closeSync(full);
    const { code, stderr } = await run.result;
    expect(stderr).not.toMatch(/ENOSPC|at .*\.js:\d+/);
    expect(stderr).toMatch(/Synced +3,000/);
    expect(code, stderr).toBe(0);
    expectEveryUserUploaded('Pipes stdout full');
  });

  it('finishes the upload when the stderr reader goes away mid-run, and still prints the report on stdout', async () => {
    const before = recordsWritten(t.sandbox);
    const run = spawnPush('Pipes stderr closed', ['ignore', 'pipe', 'pipe'], { PINSYNC_PROGRESS_INTERVAL: '0.05' });
    await waitUntil(() => run.stderr() !== '', 'the run has written to stderr');
    run.closeReader('stderr');
    const { code, stdout } = await run.result;
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toMatchObject({ entered: USERS, synced: USERS, pending: 0, errored: 0 });
    expectEveryUserUploaded('Pipes stderr closed');
    expect(recordsWritten(t.sandbox) - before).toBe(USERS);
  });
});

describe('the push summary', () => {
  it('strips control characters (ESC) from the audience and file names, as `audiences list` does', async () => {
    const home = makeHome();
    const file = writeUsers(home, 'users\u001b[2J.csv', 0, 10);
    // An audience made elsewhere may carry one; pinsync never names a new one so (--create refuses it).
    const evil = 'Evil\u001b[31mRed\u0007';
    const refused = await runInProcess(['push', file, '--audience', evil, '--create', '--ad-account', US], { home, env: sandboxEnv(t.sandbox) });
    expect(refused.code, refused.stderr).toBe(2);
    expect(refused.stderr).toMatch(/--audience holds control characters/);
    const { audience } = arrangeAudience(t.sandbox, evil);
    const r = await runInProcess(['push', file, '--audience', evil, '--ad-account', US], { home, env: sandboxEnv(t.sandbox) });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(`Pushed to audience "Evil [31mRed " (${audience.id}, customer list `);
    expect(r.stderr).toMatch(/from users \[2J\.csv:/);
    for (const said of [r.stderr, refused.stderr]) expect(said).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f]/);
  });
});
