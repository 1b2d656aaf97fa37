// PINSYNC_HOME under stress: runs killed hard, a state file another process holds, a full disk, a home
// that cannot be written. Each ends in one sentence (never a stack trace), and the journal stays true.
import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox, type Sandbox } from '../../src/sandbox/server.js';
import { cliEntry, cliEnv, makeHome, parseJsonOutput, repoRoot, runCli } from '../support/cli.js';
import { AD_ACCOUNT, sandboxEnv, writeUsers } from '../state/e2e-helpers.js';

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
