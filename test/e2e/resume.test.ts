// Durable runs: a push stopped part-way (revoked token, deleted audience, Ctrl-C) or slowed by a flaky
// network is finished by rerunning the same command, without sending again what Pinterest
// acknowledged. A push killed with kill -9 has its own file (resume-killed.test.ts).
import { describe, expect, it } from 'vitest';
import { parseJsonOutput } from '../support/cli.js';
import { makeHome } from '../support/home.js';
import { runInProcess, startInProcess } from '../support/in-process.js';
import { afterMoreWrites, stopWhen } from '../support/interrupt.js';
import { recordsInState } from '../support/journal.js';
import { countsAddUp, type Counts } from '../support/reports.js';
import { sandboxEnv, sandboxPerFile, US } from '../support/sandbox.js';
import { listRecords, recordsWritten, sameSet } from '../support/sandbox-records.js';
import { hashesOf, usersFilePerFile, writeUsers } from '../support/users.js';

const USERS = 60_000;

const t = sandboxPerFile({ writeRate: 100 });
const users = usersFilePerFile(USERS);

type Report = Counts & { records: number };

const pushArgs = (audience: string, ...extra: string[]) => [
  'push', users.file, '--audience', audience, '--ad-account', US, '--create', '--rate', '25', '--json', ...extra,
];

describe('resuming a push', () => {
  it('after a revoked token (exit 4) a rerun with a fresh token sends only what was not acknowledged', async () => {
    const home = makeHome();
    const audience = 'Revoked token';
    const token = t.sandbox.state.issueTokens().accessToken;
    t.sandbox.setFaults({ revokeTokenAfterWrites: 8 });
    const first = await runInProcess(pushArgs(audience), { home, env: sandboxEnv(t.sandbox, token), timeoutMs: 60_000 });
    t.sandbox.setFaults({});
    expect(first.code, first.stderr).toBe(4);
    expect(first.stderr).toMatch(/resume/i);
    const stopped = parseJsonOutput<Report>(first);
    expect(countsAddUp(stopped)).toBe(true);
    expect(stopped.synced).toBeGreaterThan(0);
    expect(stopped.synced).toBeLessThan(USERS);

    const fresh = t.sandbox.state.issueTokens().accessToken;
    const rerun = await runInProcess(pushArgs(audience), { home, env: sandboxEnv(t.sandbox, fresh), timeoutMs: 60_000 });
    expect(rerun.code, rerun.stderr).toBe(0);
    const finished = parseJsonOutput<Report>(rerun);
    expect(finished).toMatchObject({ entered: USERS, synced: USERS, pending: 0, errored: 0 });
    expect(finished.records).toBe(USERS - stopped.synced); // nothing acknowledged is sent again
    expect(sameSet(listRecords(t.sandbox, audience), hashesOf(0, USERS))).toBe(true);
  }, 120_000);

  it('stops with exit 5 and a clear sentence when the audience is deleted mid-run', async () => {
    const home = makeHome();
    t.sandbox.setFaults({ deleteListAfterWrites: 6 });
    const result = await runInProcess(pushArgs('Deleted midway'), { home, env: sandboxEnv(t.sandbox), timeoutMs: 60_000 });
    t.sandbox.setFaults({});
    expect(result.code, result.stderr).toBe(5);
    expect(result.stderr).toMatch(/not found|no longer exists|deleted/i);
    expect(countsAddUp(parseJsonOutput<Report>(result))).toBe(true);
  }, 60_000);

  it('finishes exact through 5% 503s, 2% connection resets and bursts of 429s', async () => {
    const home = makeHome();
    const small = writeUsers(home, 'users.csv', 0, 10_000);
    t.sandbox.setFaults({ serverErrorRate: 0.05, resetRate: 0.02, burst429: { every: 15, length: 3 } });
    const result = await runInProcess(
      ['push', small, '--audience', 'Flaky network', '--ad-account', US, '--create', '--rate', '50', '--batch-size', '250', '--json'],
      { home, env: sandboxEnv(t.sandbox), timeoutMs: 90_000 },
    );
    t.sandbox.setFaults({});
    expect(result.code, result.stderr).toBe(0);
    const report = parseJsonOutput<Report & { retries: number; rateLimited: number }>(result);
    expect(report).toMatchObject({ entered: 10_000, synced: 10_000, errored: 0, pending: 0 });
    expect(report.retries).toBeGreaterThan(0); // the faults did hit
    expect(sameSet(listRecords(t.sandbox, 'Flaky network'), hashesOf(0, 10_000))).toBe(true);
  }, 120_000);

  it('on Ctrl-C records what was done, exits 130 saying how to resume, and the rerun completes', async () => {
    const home = makeHome();
    const audience = 'Interrupted';
    // A lower rate keeps most batches queued (not in flight) when Ctrl-C arrives.
    const slow = ['--rate', '10', '--batch-size', '500'];
    const run = startInProcess([...pushArgs(audience), ...slow], { home, env: sandboxEnv(t.sandbox) });
    const { code, stderr } = await stopWhen(run, afterMoreWrites(t.sandbox, 8), 'the sandbox took 8 more writes');
    expect(code, stderr).toBe(130);
    expect(stderr).toMatch(/Run the same command again to resume run \d+/);
    // Batches still queued when Ctrl-C came stay unsent (recorded in flight, sent by the rerun); every
    // write Pinterest acknowledged is recorded as such.
    const acknowledged = listRecords(t.sandbox, audience).size;
    expect(await recordsInState(home, 'acknowledged')).toBe(acknowledged);
    const writtenBefore = recordsWritten(t.sandbox);
    const rerun = await runInProcess([...pushArgs(audience), ...slow, '--rate', '100'], { home, env: sandboxEnv(t.sandbox), timeoutMs: 60_000 });
    expect(rerun.code, rerun.stderr).toBe(0);
    expect(parseJsonOutput<Report>(rerun)).toMatchObject({ synced: USERS, pending: 0 });
    expect(recordsWritten(t.sandbox) - writtenBefore).toBe(USERS - acknowledged);
    expect(sameSet(listRecords(t.sandbox, audience), hashesOf(0, USERS))).toBe(true);
  }, 120_000);

});
