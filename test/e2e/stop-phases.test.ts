// SIGTERM ends every phase of a run alike: looking the audience up while Pinterest answers 503 to
// every call, creating the customer list, waiting for Pinterest to accept a new audience, sending.
// Each ends within 5 s with the summary on stderr, the --json report (stoppedBy "interrupted") and exit 130.
import { spawn } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import type { RunReport } from '../../src/report/run-report.js';
import { startSandbox, type Sandbox, type SandboxOptions } from '../../src/sandbox/server.js';
import { cliEntry, cliEnv, repoRoot, runCli } from '../support/cli.js';
import { US, sandboxEnv } from '../support/sandbox.js';
import { waitUntil } from '../support/wait.js';
import { makeHome } from '../support/home.js';
import { writeUsers } from '../support/users.js';


let sandbox: Sandbox | undefined;
afterEach(async () => {
  await sandbox?.stop();
  sandbox = undefined;
});

async function box(options: SandboxOptions = {}): Promise<Sandbox> {
  sandbox = await startSandbox({ port: 0, writeRate: 100, ...options });
  return sandbox;
}

interface Stopped {
  code: number | null;
  report: RunReport;
  stderr: string;
  exitMs: number;
}

/** Runs the CLI, sends SIGTERM once `ready()` holds, and collects how it ended. */
async function sigtermWhen(sandboxAt: Sandbox, args: string[], ready: () => boolean, home = makeHome()): Promise<Stopped> {
  const child = spawn(process.execPath, [cliEntry, ...args], { cwd: repoRoot, env: cliEnv(home, sandboxEnv(sandboxAt)) });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  await waitUntil(ready, 'the phase to stop in', 20_000);
  const signalledAt = Date.now();
  child.kill('SIGTERM');
  const code = await Promise.race([exited, new Promise<null>((resolve) => setTimeout(() => resolve(null), 15_000))]);
  const exitMs = Date.now() - signalledAt;
  if (code === null) child.kill('SIGKILL');
  let report: RunReport;
  try {
    report = JSON.parse(stdout) as RunReport;
  } catch {
    throw new Error(`no --json report on stdout (exit ${code}); stderr:\n${stderr}`);
  }
  return { code, report, stderr, exitMs };
}

function expectInterrupted(stopped: Stopped): void {
  expect(stopped.code, stopped.stderr).toBe(130);
  expect(stopped.exitMs).toBeLessThan(5000);
  expect(stopped.stderr).toMatch(/Entered +[\d,]+/);
  expect(stopped.stderr).not.toMatch(/\n\s+at /);
  expect(stopped.report.stoppedBy).toBe('interrupted');
  const { entered, synced, duplicates, notSynced, errored, pending } = stopped.report;
  expect(entered).toBe(synced + duplicates + notSynced + errored + pending);
}

const failedReads = (at: Sandbox) => at.state.requests.filter((r) => r.method === 'GET' && r.status === 503).length;

describe('SIGTERM in the look-up phase (Pinterest answers 503 to every call before the first write)', () => {
  for (const [shape, extra] of [
    ['push', ['push', '--audience', 'Looked up']],
    ['sync', ['sync', '--audience', 'Looked up']],
    ['push --audience-column', ['push', '--audience-column', 'segment']],
  ] as const) {
    it(`${shape}: exits 130 at once with the summary and the --json report`, async () => {
      const at = await box({ faults: { serverErrorRate: 1, applyTo: 'all' } });
      const home = makeHome();
      const file = writeUsers(home, 'users.csv', 0, 500);
      if (shape.includes('column')) {
        const fs = await import('node:fs');
        fs.writeFileSync(file, 'email,segment\n' + Array.from({ length: 500 }, (_, i) => `user${i}@example.com,vip`).join('\n') + '\n');
      }
      const [command, ...rest] = extra;
      const stopped = await sigtermWhen(at, [command, file, ...rest, '--create', '--ad-account', US, '--json'], () => failedReads(at) >= 3, home);
      expectInterrupted(stopped);
      expect(at.state.requests.filter((r) => r.method !== 'GET')).toEqual([]);
      expect(stopped.report.audienceName ?? stopped.report.audienceColumn).toBeTruthy();
    });
  }
});

describe('SIGTERM in the other phases', () => {
  it('while creating the customer list (its POST keeps failing): exit 130, summary, report, rows pending', async () => {
    const at = await box({ faults: { serverErrorRate: 1 } });
    const home = makeHome();
    const file = writeUsers(home, 'users.csv', 0, 500);
    const failedWrites = () => at.state.requests.filter((r) => r.method === 'POST' && r.status === 503).length;
    const stopped = await sigtermWhen(at, ['push', file, '--audience', 'New one', '--create', '--ad-account', US, '--json'], () => failedWrites() >= 3, home);
    expectInterrupted(stopped);
    expect(stopped.report.pending).toBe(500);
  });

  it('while waiting for Pinterest to accept the new audience on its list: exit 130, summary, report', async () => {
    const at = await box({ listRules: { audiencesNeedReadyList: true, processingMs: 3_600_000 } });
    const home = makeHome();
    const file = writeUsers(home, 'users.csv', 0, 500);
    // The end of the run polls the list while Pinterest says it is processing (no create is sent then).
    const listPolls = () => at.state.requests.filter((r) => r.method === 'GET' && /\/customer_lists\/\d+$/.test(r.path)).length;
    const stopped = await sigtermWhen(
      at,
      ['push', file, '--audience', 'Waiting', '--create', '--ad-account', US, '--audience-wait', '10m', '--json'],
      () => listPolls() >= 3 && at.state.requests.some((r) => r.method === 'PATCH' || r.path.endsWith('/customer_lists')),
      home,
    );
    expect(stopped.stderr).toMatch(/Waiting up to 600 s for Pinterest to accept audience "Waiting"/);
    expectInterrupted(stopped);
    expect(stopped.report.synced).toBe(500);
    const rerun = await runCli(['push', file, '--audience', 'Waiting', '--create', '--ad-account', US, '--audience-wait', '1s', '--json'], { home, env: sandboxEnv(at) });
    expect(rerun.stderr).toMatch(/Resuming run/);
  });
});
