// A run stopped during an outage (every write fails and is being retried): backoff waits are cut,
// unacknowledged rows stay pending, the summary and report are written, exit 130. In-process, stop()
// is what the first SIGINT or SIGTERM does; one SIGTERM and one SIGINT go to a real process, whose
// exit is measured against a generous bound, and so does the second signal that quits at once.
import { describe, expect, it } from 'vitest';
import type { RunReport } from '../../src/report/run-report.js';
import { spawnCli, type CliResult } from '../support/cli.js';
import { makeHome } from '../support/home.js';
import { runInProcess, startInProcess } from '../support/in-process.js';
import { waitWhileRunning } from '../support/interrupt.js';
import { expectCountsAddUp } from '../support/reports.js';
import { sandboxEnv, sandboxPerFile, sandboxPerTest, US } from '../support/sandbox.js';
import { listWrites } from '../support/sandbox-records.js';
import { writeUsers } from '../support/users.js';

const t = sandboxPerFile({ writeRate: 100 });

const failedWrites = () => listWrites(t.sandbox).filter((r) => r.status >= 500).length;

const runArgs = (command: 'push' | 'sync', file: string, audience: string) => [
  command, file, '--audience', audience, '--ad-account', US, '--batch-size', '500', '--rate', '50', '--json',
];

/** An audience that a first run filled, then a file of 3,000 users for a run that meets an outage. */
async function arrangeOutage(command: 'push' | 'sync', audience: string) {
  const home = makeHome();
  t.sandbox.setFaults({});
  const first = await runInProcess([...runArgs(command, writeUsers(home, 'first.csv', 0, 100), audience), '--create'], { home, env: sandboxEnv(t.sandbox) });
  expect(first.code, first.stderr).toBe(0);
  t.sandbox.setFaults({ serverErrorRate: 1 });
  const retrying = failedWrites() + 8;
  return { home, args: runArgs(command, writeUsers(home, 'users.csv', 0, 3000), audience), retrying: () => failedWrites() >= retrying };
}

/** What a stopped run printed: the summary, and a report of an interrupted run whose unacknowledged rows are pending. */
function expectStoppedCleanly(command: 'push' | 'sync', stopped: CliResult): void {
  expect(stopped.code, stopped.stderr).toBe(130);
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
}

describe('stopping a run during an outage', () => {
  for (const command of ['push', 'sync'] as const) {
    it(`${command}: stopped mid-retry, it sends no retry after the stop and exits 130 with the summary, unacknowledged rows pending`, async () => {
      const { home, args, retrying } = await arrangeOutage(command, `Outage ${command} stop`);
      const run = startInProcess(args, { home, env: sandboxEnv(t.sandbox) });
      await waitWhileRunning(run, retrying, 'the run is retrying failed writes');
      const writesAtStop = listWrites(t.sandbox).length;
      const onTheWire = t.sandbox.requestsInProgress();
      run.stop();
      const stopped = await run.result;
      t.sandbox.setFaults({});
      expectStoppedCleanly(command, stopped);
      // Backoff waits were cut: only writes already on the wire when it stopped were answered after.
      expect(listWrites(t.sandbox).length - writesAtStop).toBeLessThanOrEqual(onTheWire);
    });
  }

  for (const [command, signal] of [['push', 'SIGTERM'], ['sync', 'SIGINT']] as const) {
    it(`${command}: a real ${signal} mid-retry exits 130 within 5 s with the summary, unacknowledged rows pending`, async () => {
      const { home, args, retrying } = await arrangeOutage(command, `Outage ${command} ${signal}`);
      const cli = spawnCli(args, { home, env: sandboxEnv(t.sandbox) });
      await waitWhileRunning(cli, retrying, 'the run is retrying failed writes');
      const signalledAt = Date.now();
      cli.kill(signal);
      const stopped = await cli.result;
      const exitMs = Date.now() - signalledAt;
      t.sandbox.setFaults({});
      if (process.env.PINSYNC_TEST_TIMES) console.info(`${command} ${signal}: exit ${exitMs} ms after the signal`);
      expectStoppedCleanly(command, stopped);
      expect(exitMs, stopped.stderr).toBeLessThan(5000); // a generous bound: backoff waits of up to a minute are cut
    });
  }
});

describe('a write hanging on the wire', () => {
  // A sandbox per test: the writes a test leaves hanging for a minute are not the next test's.
  const hang = sandboxPerTest({ writeRate: 100 });
  /** A first run creates the audience; then every write hangs for a minute (the audience lookup answers at once). */
  async function arrangeHangingWrites(audience: string) {
    const home = makeHome();
    hang.sandbox.setFaults({});
    const first = await runInProcess([...runArgs('push', writeUsers(home, 'first.csv', 0, 100), audience), '--create'], { home, env: sandboxEnv(hang.sandbox) });
    expect(first.code, first.stderr).toBe(0);
    hang.sandbox.setFaults({ latencyMs: 60_000 });
    return { home, args: runArgs('push', writeUsers(home, 'users.csv', 0, 3000), audience) };
  }
  const writeOnTheWire = () => hang.sandbox.requestsInProgress() > 0;

  it('gets a short grace for its acknowledgement, then the run ends without waiting for it', async () => {
    const { home, args } = await arrangeHangingWrites('Hanging');
    const run = startInProcess(args, { home, env: sandboxEnv(hang.sandbox) });
    await waitWhileRunning(run, writeOnTheWire, 'a write is on the wire');
    const stoppedAt = Date.now();
    run.stop();
    const once = await run.result;
    const endedAfterMs = Date.now() - stoppedAt;
    const stillHanging = hang.sandbox.requestsInProgress();
    hang.sandbox.setFaults({});
    expect(once.code, once.stderr).toBe(130);
    expect(endedAfterMs).toBeGreaterThanOrEqual(1500); // the grace for acknowledgements …
    expect(stillHanging).toBeGreaterThan(0); // … and no more: the write it gave up on was still hanging
    expect(JSON.parse(once.stdout)).toMatchObject({ stoppedBy: 'interrupted', synced: 0, pending: 3000 });
  });

  it('a second SIGTERM quits at once, before the grace ends and the summary is printed', async () => {
    const { home, args } = await arrangeHangingWrites('Hanging twice');
    const cli = spawnCli(args, { home, env: sandboxEnv(hang.sandbox) });
    await waitWhileRunning(cli, writeOnTheWire, 'a write is on the wire');
    const signalledAt = Date.now();
    cli.kill('SIGTERM');
    setTimeout(() => cli.kill('SIGTERM'), 200);
    const twice = await cli.result;
    const exitMs = Date.now() - signalledAt;
    hang.sandbox.setFaults({});
    expect(twice.code).toBe(130);
    expect(twice.stderr).toMatch(/SIGTERM again: quitting now/);
    expect(twice.stderr).not.toMatch(/Entered/); // it did not wait for the grace to print the summary
    expect(twice.stdout).toBe('');
    expect(exitMs).toBeLessThan(5000); // a generous bound for a real process
  });
});
