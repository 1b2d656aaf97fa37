// A state file another process holds: a push waits for a write transaction that another process keeps
// open on PINSYNC_HOME/state.db (SQLite's busy wait, 5 s), then stops in one sentence, and a rerun
// finishes. Processes are the point: the push runs in its own, the test's connection is the other.
import path from 'node:path';
import Sqlite from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { spawnCli } from '../support/cli.js';
import { makeHome } from '../support/home.js';
import { runInProcess } from '../support/in-process.js';
import { afterMoreWrites, waitWhileRunning } from '../support/interrupt.js';
import { expectOneSentence } from '../support/messages.js';
import { sandboxEnv, sandboxPerFile, US } from '../support/sandbox.js';
import { listRecords, sameSet } from '../support/sandbox-records.js';
import { hashesOf, writeUsers } from '../support/users.js';

const t = sandboxPerFile({ writeRate: 1000 });

/** A push of 30 batches of 100 users. */
const pushArgs = (file: string) => ['push', file, '--audience', 'Busy state', '--create', '--ad-account', US, '--batch-size', '100'];

describe('a busy PINSYNC_HOME', () => {
  it('waits for another process holding a write transaction on state.db, then stops in one sentence (exit 2); a rerun finishes', async () => {
    const home = makeHome();
    const uploading = afterMoreWrites(t.sandbox, 3);
    const file = writeUsers(home, 'users.csv', 0, 3000);
    const push = spawnCli([...pushArgs(file), '--rate', '20'], { home, env: sandboxEnv(t.sandbox) });
    await waitWhileRunning(push, uploading, 'the push is uploading');
    const holder = new Sqlite(path.join(home, 'state.db'));
    holder.exec('BEGIN IMMEDIATE');
    holder.prepare('UPDATE runs SET updated_at = updated_at').run();
    const { code, stderr } = await push.result;
    holder.exec('ROLLBACK');
    holder.close();
    expect(code, stderr).toBe(2);
    expectOneSentence(stderr, /stayed locked by another process for 5 seconds: wait for it to finish \(or stop it\), then run this again/);
    expect(stderr).toMatch(/Pushed to audience "Busy state"[\s\S]*Synced +[\d,]+/);

    const rerun = await runInProcess([...pushArgs(file), '--rate', '1000'], { home, env: sandboxEnv(t.sandbox) });
    expect(rerun.code, rerun.stderr).toBe(0);
    expect(sameSet(listRecords(t.sandbox, 'Busy state'), hashesOf(0, 3000))).toBe(true);
  }, 60_000);
});
