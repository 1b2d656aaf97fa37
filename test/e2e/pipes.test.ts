// What a push writes to its output streams: a closed or full stdout/stderr (`--json | head -c 10`,
// `> /dev/full`, a log reader that goes away) never stops an upload, and no control character from a
// name reaches the terminal.
import { spawn, type StdioOptions } from 'node:child_process';
import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox, type Sandbox } from '../../src/sandbox/server.js';
import { cliEntry, cliEnv, makeHome, repoRoot, runCli } from '../support/cli.js';
import { US as AD_ACCOUNT, sandboxEnv } from '../support/sandbox.js';
import { hashesOf, listRecords, recordsWritten, sameSet, writeUsers } from '../state/e2e-helpers.js';
import { arrangeAudience } from './push-helpers.js';

const USERS = 3000;

let sandbox: Sandbox;
beforeAll(async () => {
  sandbox = await startSandbox({ port: 0, writeRate: 1000 });
});
afterAll(async () => {
  await sandbox.stop();
});

interface Spawned {
  code: Promise<number | null>;
  stdout: () => string;
  stderr: () => string;
  closeStdoutReader(): void;
  closeStderrReader(): void;
  stderrData: Promise<void>;
}

/** The CLI with its stdout/stderr as given; the test can walk away from either pipe. */
function spawnPush(audience: string, stdio: StdioOptions, extraEnv: Record<string, string> = {}): Spawned {
  const home = makeHome();
  const file = writeUsers(home, 'users.csv', 0, USERS);
  const args = ['push', file, '--audience', audience, '--create', '--ad-account', AD_ACCOUNT, '--batch-size', '100', '--rate', '1000', '--json'];
  const child = spawn(process.execPath, [cliEntry, ...args], { cwd: repoRoot, env: cliEnv(home, { ...sandboxEnv(sandbox), ...extraEnv }), stdio });
  let stdout = '';
  let stderr = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  return {
    code: new Promise((resolve) => child.on('close', (code) => resolve(code))),
    stdout: () => stdout,
    stderr: () => stderr,
    closeStdoutReader: () => child.stdout?.destroy(),
    closeStderrReader: () => child.stderr?.destroy(),
    stderrData: new Promise((resolve) => child.stderr?.once('data', () => resolve())),
  };
}

function expectEveryUserUploaded(audience: string): void {
  expect(sameSet(listRecords(sandbox, audience), hashesOf(0, USERS))).toBe(true);
}

describe('a closed or full output stream', () => {
  it('finishes the upload and exits 0 when the stdout reader has gone (`--json | head -c 10`)', async () => {
    const run = spawnPush('Pipes stdout closed', ['ignore', 'pipe', 'pipe']);
    run.closeStdoutReader();
    const code = await run.code;
    expect(run.stderr()).not.toMatch(/EPIPE|at .*\.js:\d+/);
    expect(code, run.stderr()).toBe(0);
    expectEveryUserUploaded('Pipes stdout closed');
  });

  it('finishes the upload, prints the summary and exits 0 when stdout is a full disk (`> /dev/full`)', async () => {
    const full = fs.openSync('/dev/full', 'w');
    const run = spawnPush('Pipes stdout full', ['ignore', full, 'pipe']);
    fs.closeSync(full);
    const code = await run.code;
    expect(run.stderr()).not.toMatch(/ENOSPC|at .*\.js:\d+/);
    expect(run.stderr()).toMatch(/Synced +3,000/);
    expect(code, run.stderr()).toBe(0);
    expectEveryUserUploaded('Pipes stdout full');
  });

  it('finishes the upload when the stderr reader goes away mid-run, and still prints the report on stdout', async () => {
    const before = recordsWritten(sandbox);
    const run = spawnPush('Pipes stderr closed', ['ignore', 'pipe', 'pipe'], { PINSYNC_PROGRESS_INTERVAL: '0.05' });
    await run.stderrData;
    run.closeStderrReader();
    const code = await run.code;
    expect(code).toBe(0);
    expect(JSON.parse(run.stdout())).toMatchObject({ entered: USERS, synced: USERS, pending: 0, errored: 0 });
    expectEveryUserUploaded('Pipes stderr closed');
    expect(recordsWritten(sandbox) - before).toBe(USERS);
  });
});

describe('the push summary', () => {
  it('strips control characters (ESC) from the audience and file names, as `audiences list` does', async () => {
    const home = makeHome();
    const file = writeUsers(home, 'users\u001b[2J.csv', 0, 10);
    // An audience made elsewhere may carry one; pinsync never names a new one so (--create refuses it).
    const evil = 'Evil\u001b[31mRed\u0007';
    const refused = await runCli(['push', file, '--audience', evil, '--create', '--ad-account', AD_ACCOUNT], { home, env: sandboxEnv(sandbox) });
    expect(refused.code, refused.stderr).toBe(2);
    expect(refused.stderr).toMatch(/--audience holds control characters/);
    const { audience } = arrangeAudience(sandbox, evil);
    const r = await runCli(['push', file, '--audience', evil, '--ad-account', AD_ACCOUNT], { home, env: sandboxEnv(sandbox) });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(`Pushed to audience "Evil [31mRed " (${audience.id}, customer list `);
    expect(r.stderr).toMatch(/from users \[2J\.csv:/);
    for (const said of [r.stderr, refused.stderr]) expect(said).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f]/);
  });
});
