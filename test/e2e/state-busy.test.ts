// A state file another process holds: a push whose journal cannot write (another process keeps a write
// transaction open on PINSYNC_HOME/state.db) holds its acknowledgements in memory and stops sending
// until the journal takes them, so no acknowledgement is lost and at most one batch goes twice.
// Processes are the point: the push runs in its own, the test's connection is the other.
import path from 'node:path';
import Sqlite from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { spawnCli } from '../support/cli.js';
import { makeHome } from '../support/home.js';
import { runInProcess } from '../support/in-process.js';
import { afterMoreWrites, waitWhileRunning } from '../support/interrupt.js';
import { sandboxEnv, sandboxPerFile, US } from '../support/sandbox.js';
import { listRecords, recordsWritten, sameSet } from '../support/sandbox-records.js';
import { hashesOf, writeUsers } from '../support/users.js';

const t = sandboxPerFile();

describe('a busy PINSYNC_HOME', () => {
  it('another process holding BEGIN EXCLUSIVE on state.db for 8 s mid-run: sending pauses, no acknowledgement is lost, at most one batch goes twice', async () => {
    const home = makeHome();
    const file = writeUsers(home, 'users.csv', 0, 40_000);
    const args = ['push', file, '--audience', 'Busy state', '--create', '--ad-account', US, '--rate', '7'];
    const before = recordsWritten(t.sandbox);
    const uploading = afterMoreWrites(t.sandbox, 3);
    const push = spawnCli(args, { home, env: sandboxEnv(t.sandbox), timeoutMs: 90_000 });
    await waitWhileRunning(push, uploading, 'the push is uploading');
    const holder = new Sqlite(path.join(home, 'state.db'));
    holder.exec('BEGIN EXCLUSIVE');
    holder.prepare('UPDATE runs SET updated_at = updated_at').run();
    const heldWrites = t.sandbox.state.stats.successfulWrites;
    await new Promise((resolve) => setTimeout(resolve, 8_000));
    const writesWhileHeld = t.sandbox.state.stats.successfulWrites - heldWrites;
    holder.exec('COMMIT');
    holder.close();
    const { code, stderr } = await push.result;
    if (code !== 0) {
      const rerun = await runInProcess(args, { home, env: sandboxEnv(t.sandbox) });
      expect(rerun.code, rerun.stderr).toBe(0);
    }
    expect(sameSet(listRecords(t.sandbox, 'Busy state'), hashesOf(0, 40_000))).toBe(true);
    expect(recordsWritten(t.sandbox) - before).toBeLessThanOrEqual(40_000 + 1_900);
    expect(code, stderr).toBe(0);
    expect(writesWhileHeld).toBeLessThanOrEqual(30); // the batches already on their way, not the rest of the file
    expect(stderr).not.toMatch(/SqliteError|unexpected error|\n\s+at /);
  }, 90_000);
});
