// Durable runs killed hard: a push killed with kill -9 at any point is finished by rerunning the same
// command, sending again at most the batches that were in flight, and its --retry-for window holds
// across the restart. A process is the point: each first attempt is a CLI killed with SIGKILL.
import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { seededRandom } from '../../src/sandbox/faults.js';
import { parseJsonOutput, spawnCli } from '../support/cli.js';
import { makeHome } from '../support/home.js';
import { runInProcess } from '../support/in-process.js';
import { afterMoreWrites, waitWhileRunning } from '../support/interrupt.js';
import { journalBatches, recordsInState } from '../support/journal.js';
import type { Counts } from '../support/reports.js';
import { arrangeAudience, sandboxEnv, sandboxPerFile, US } from '../support/sandbox.js';
import { listRecords, recordsWritten, sameSet } from '../support/sandbox-records.js';
import { hashesOf, usersFilePerFile, writeUsers } from '../support/users.js';

const USERS = 60_000;

const t = sandboxPerFile({ writeRate: 100 });
const users = usersFilePerFile(USERS);

type Report = Counts & { records: number };

const pushArgs = (audience: string) => ['push', users.file, '--audience', audience, '--ad-account', US, '--create', '--rate', '25', '--json'];

/** Starts a push in its own process and SIGKILLs it `jitterMs` after the sandbox has taken `writes` more successful writes. */
async function pushAndKill(home: string, audience: string, writes: number, jitterMs: number): Promise<void> {
  const cli = spawnCli(pushArgs(audience), { home, env: sandboxEnv(t.sandbox) });
  await waitWhileRunning(cli, afterMoreWrites(t.sandbox, writes), `the sandbox took ${writes} more writes`);
  setTimeout(() => cli.kill('SIGKILL'), jitterMs);
  const { code, signal } = await cli.result;
  if (signal !== 'SIGKILL') throw new Error(`the push ended by itself (exit ${code}) before it could be killed`);
}

describe('resuming a push killed hard', () => {
  it('survives kill -9 at five random points: the audience ends exact, only in-flight batches are sent twice', async () => {
    const random = seededRandom(20_260_229);
    const expected = hashesOf(0, USERS);
    for (let round = 1; round <= 5; round++) {
      const home = makeHome();
      const audience = `Kill test ${round}`;
      const writes = 3 + Math.floor(random() * 25); // list + audience creation are the first two writes
      const writtenBefore = recordsWritten(t.sandbox);
      await pushAndKill(home, audience, writes, Math.floor(random() * 30));
      const inFlight = await recordsInState(home, 'sent');

      const rerun = await runInProcess([...pushArgs(audience), '--rate', '100'], { home, env: sandboxEnv(t.sandbox), timeoutMs: 60_000 });
      expect(rerun.code, rerun.stderr).toBe(0);
      expect(rerun.stderr).toMatch(/Resuming run \d+ \(attempt 2\)/);
      const report = parseJsonOutput<Report>(rerun);
      expect(report).toMatchObject({ entered: USERS, synced: USERS, errored: 0, pending: 0 });
      expect(sameSet(listRecords(t.sandbox, audience), expected)).toBe(true);
      const resent = recordsWritten(t.sandbox) - writtenBefore - USERS;
      expect(resent, `round ${round}: killed after ${writes} writes`).toBeLessThanOrEqual(inFlight);
    }
  }, 180_000);

  it('keeps the --retry-for window across a restart, lists the errored lines, and a rerun retries only them', async () => {
    // Long enough that no window runs out between the first tries and the kill (a few ms apart).
    const RETRY_WINDOW_MS = 3000;
    const home = makeHome();
    const file = writeUsers(home, 'small.csv', 0, 3000);
    const rejects = `${home}/rejects.csv`;
    const args = ['push', file, '--audience', 'Outage', '--ad-account', US, '--create', '--rate', '100', '--batch-size', '1000', '--retry-for', `${RETRY_WINDOW_MS}ms`, '--json', '--rejects', rejects];
    // The audience exists first (Pinterest accepted it on a ready list), so only the PATCHes meet the outage.
    arrangeAudience(t.sandbox, 'Outage', [...hashesOf(0, 1)]);
    t.sandbox.setFaults({ serverErrorRate: 1 });
    try {
      // First attempt: killed as soon as the journal shows every batch tried, so none has run out yet.
      const first = spawnCli(args, { home, env: sandboxEnv(t.sandbox), stdio: ['ignore', 'ignore', 'pipe'] });
      await waitWhileRunning(first, async () => (await journalBatches(home)).length >= 3, 'the journal shows every batch tried');
      first.kill('SIGKILL');
      await first.result;
      const firstAttempts = await journalBatches(home);
      // A batch whose window had already run out would be errored, and a rerun gives errored batches a
      // fresh window (that is how a rerun retries them); the window is long enough that none has.
      expect(firstAttempts.map((batch) => batch.state)).toEqual(['sent', 'sent', 'sent']);
      // Wait out the windows the journal recorded, however the machine's load spread the first attempts.
      const windowsCloseAt = Math.max(...firstAttempts.map((batch) => batch.firstAttemptAt)) + RETRY_WINDOW_MS;
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, windowsCloseAt + 300 - Date.now())));
      // The windows opened by the first attempt have closed: the rerun gives up at once instead of retrying for a new window.
      const requestsBefore = t.sandbox.state.stats.writes;
      const expired = await runInProcess(args, { home, env: sandboxEnv(t.sandbox), timeoutMs: 30_000 });
      expect(expired.code, expired.stderr).toBe(3);
      const report = parseJsonOutput<Report & { retries: number }>(expired);
      expect(report).toMatchObject({ entered: 3000, errored: 3000, synced: 0, retries: 0 });
      expect(t.sandbox.state.stats.writes - requestsBefore).toBe(3); // one try per batch, no new window
      const lines = fs.readFileSync(rejects, 'utf8').trim().split('\n');
      expect(lines[0]).toBe('line,reason');
      // Rows are listed as their batches give up, in whatever order the answers come back.
      const listed = lines.slice(1).map((line) => line.split(','));
      expect(listed.map(([line]) => Number(line)).sort((a, b) => a - b)).toEqual(Array.from({ length: 3000 }, (_, i) => i + 2));
      expect(new Set(listed.map(([, reason]) => reason))).toEqual(new Set(['retries_exhausted']));
    } finally {
      t.sandbox.setFaults({});
    }
    const healed = await runInProcess(args, { home, env: sandboxEnv(t.sandbox), timeoutMs: 30_000 });
    expect(healed.code, healed.stderr).toBe(0);
    expect(healed.stderr).toMatch(/Resuming run \d+ \(attempt 3\)/);
    expect(parseJsonOutput<Report>(healed)).toMatchObject({ synced: 3000, errored: 0, records: 3000 });
    expect(sameSet(listRecords(t.sandbox, 'Outage'), hashesOf(0, 3000))).toBe(true);
  }, 60_000);
});
