// SIGTERM and SIGINT stop a run within 5 seconds even while every write fails and is being retried:
// backoff waits are cut, unacknowledged rows stay pending, the summary and report are written, exit 130.
import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunReport } from '../../src/report/run-report.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/server.js';
import { cliEntry, cliEnv, makeHome, repoRoot, runCli } from '../support/cli.js';
import { writeUsers } from '../state/e2e-helpers.js';
import { US, sandboxEnv } from '../support/sandbox.js';
import { waitUntil } from '../support/wait.js';

let sandbox: Sandbox;
beforeAll(async () => {
  sandbox = await startSandbox({ port: 0, writeRate: 100 });
});
afterAll(async () => {
  await sandbox.stop();
});

interface Stopped {
  code: number | null;
  stdout: string;
  stderr: string;
  /** From the signal to the process's exit. */
  exitMs: number;
}

function failedWrites(): number {
  return sandbox.state.requests.filter((r) => r.method !== 'GET' && r.status >= 500).length;
}

/** Starts the CLI, waits until `ready()`, sends `signals` (the second after `secondAfterMs`), and measures the exit. */
async function stopMidRun(args: string[], home: string, ready: () => boolean, signals: NodeJS.Signals[], secondAfterMs = 0): Promise<Stopped> {
  const child = spawn(process.execPath, [cliEntry, ...args], { cwd: repoRoot, env: cliEnv(home, sandboxEnv(sandbox)) });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  await waitUntil(ready, 'the run is retrying failed writes', 20_000);
  const signalledAt = Date.now();
  child.kill(signals[0]);
  if (signals[1]) setTimeout(() => child.kill(signals[1]), secondAfterMs);
  const code = await Promise.race([exited, new Promise<null>((resolve) => setTimeout(() => resolve(null), 20_000))]);
  const exitMs = Date.now() - signalledAt;
  if (code === null) child.kill('SIGKILL');
  return { code, stdout, stderr, exitMs };
}

function expectCountsAddUp(report: Pick<RunReport, "entered" | "synced" | "duplicates" | "notSynced" | "errored" | "pending">): void {
  expect(report.entered).toBe(report.synced + report.duplicates + report.notSynced + report.errored + report.pending);
}

const pushArgs = (file: string, audience: string) => ['push', file, '--audience', audience, '--ad-account', US, '--batch-size', '500', '--rate', '50', '--json'];
const syncArgs = (file: string, audience: string) => ['sync', file, '--audience', audience, '--ad-account', US, '--batch-size', '500', '--rate', '50', '--json'];

describe('stopping a run during an outage', () => {
  for (const command of ['push', 'sync'] as const) {
    for (const signal of ['SIGTERM', 'SIGINT'] as const) {
      it(`${command}: ${signal} mid-retry exits 130 within 5 s with the summary, unacknowledged rows pending`, async () => {
        const home = makeHome();
        const audience = `Outage ${command} ${signal}`;
        const args = command === 'push' ? pushArgs : syncArgs;
        sandbox.setFaults({});
        const first = await runCli([...args(writeUsers(home, 'first.csv', 0, 100), audience), '--create'], { home, env: sandboxEnv(sandbox) });
        expect(first.code, first.stderr).toBe(0);

        sandbox.setFaults({ serverErrorRate: 1 });
        const failedBefore = failedWrites();
        const file = writeUsers(home, 'users.csv', 0, 3000);
        const stopped = await stopMidRun(args(file, audience), home, () => failedWrites() >= failedBefore + 8, [signal]);
        sandbox.setFaults({});

        if (process.env.PINSYNC_TEST_TIMES) console.info(`${command} ${signal}: exit ${stopped.exitMs} ms after the signal`);
        expect(stopped.code, stopped.stderr).toBe(130);
        expect(stopped.exitMs, stopped.stderr).toBeLessThan(5000);
        expect(stopped.stderr).toMatch(/Entered/i);
        const report = JSON.parse(stopped.stdout) as RunReport;
        expect(report.stoppedBy).toBe('interrupted');
        expect(report.pending).toBeGreaterThan(0);
        expect(report.errored).toBe(0);
        expectCountsAddUp(report);
        if (command === 'sync') {
          // Nothing was acknowledged: the report says so, and keeps the plan apart.
          expect(report).toMatchObject({ added: 0, removed: 0, toAdd: 2900 });
        }
      }, 60_000);
    }
  }

  it('a write hanging on the wire gets at most a short grace; a second signal quits at once', async () => {
    const home = makeHome();
    sandbox.setFaults({});
    expect((await runCli([...pushArgs(writeUsers(home, 'first.csv', 0, 100), 'Hanging'), '--create'], { home, env: sandboxEnv(sandbox) })).code).toBe(0);
    sandbox.setFaults({ latencyMs: 60_000 }); // writes only: the audience lookup answers at once
    const lookedUp = () => {
      const before = sandbox.state.requests.length;
      return () => sandbox.state.requests.slice(before).some((r) => r.method === 'GET' && r.path.includes('/audiences'));
    };
    const file = writeUsers(home, 'users.csv', 0, 3000);
    const once = await stopMidRun(pushArgs(file, 'Hanging'), home, afterWritesStart(lookedUp()), ['SIGTERM']);
    expect(once.code, once.stderr).toBe(130);
    expect(once.exitMs).toBeGreaterThanOrEqual(1500); // the grace for acknowledgements …
    expect(once.exitMs).toBeLessThan(5000); // … and no more
    expect(JSON.parse(once.stdout)).toMatchObject({ stoppedBy: 'interrupted', synced: 0, pending: 3000 });

    const twice = await stopMidRun(pushArgs(file, 'Hanging'), home, afterWritesStart(lookedUp()), ['SIGTERM', 'SIGTERM'], 200);
    sandbox.setFaults({});
    expect(twice.code).toBe(130);
    expect(twice.exitMs).toBeLessThan(1200);
    expect(twice.stderr).toMatch(/SIGTERM again: quitting now/);
  }, 60_000);
});

/** Once the lookup is answered the first writes leave within a few milliseconds; give them a little more. */
function afterWritesStart(lookedUp: () => boolean): () => boolean {
  let seenAt: number | undefined;
  return () => {
    if (seenAt === undefined && lookedUp()) seenAt = Date.now();
    return seenAt !== undefined && Date.now() - seenAt > 500;
  };
}
