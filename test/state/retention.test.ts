// State stays bounded: history older than the retention or behind its newest runs is pruned (a run a
// rerun would resume is kept), completed runs lose their journal rows, state.db is compacted only when
// most of it is free, and a daily job's `pinsync runs` keeps what the retention says.
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase, type Database } from '../../src/state/database.js';
import { compactIfItPays, pruneHistory } from '../../src/state/retention.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/server.js';
import { parseJsonOutput } from '../support/cli.js';
import { runInProcess } from '../support/in-process.js';
import { US, sandboxEnv } from '../support/sandbox.js';
import { writeUsers } from '../support/users.js';
import { makeHome } from '../support/home.js';

const DAY = 24 * 3600_000;
const opened: Database[] = [];
let sandbox: Sandbox | undefined;
afterEach(async () => {
  for (const db of opened.splice(0)) db.close();
  await sandbox?.stop();
  sandbox = undefined;
});

async function stateDb(): Promise<Database> {
  const db = await openDatabase(path.join(makeHome(), 'state.db'));
  opened.push(db);
  return db;
}

function addRun(db: Database, run: { startedAt: number; updatedAt?: number; status: string; exitCode: number | null; resumable?: boolean }): number {
  const { lastInsertRowid } = db
    .prepare(`INSERT INTO runs (run_key, profile, command, operation, resumable, status, started_at, updated_at, exit_code) VALUES ('k', 'default', 'push', 'ADD', ?, ?, ?, ?, ?)`)
    .run(run.resumable === false ? 0 : 1, run.status, run.startedAt, run.updatedAt ?? run.startedAt, run.exitCode);
  const id = Number(lastInsertRowid);
  db.prepare(`INSERT INTO batches (run_id, first_line, last_line, records, state, first_attempt_at, last_attempt_at) VALUES (?, 2, 10, 9, 'acknowledged', 0, 0)`).run(id);
  return id;
}

const ids = (db: Database) => (db.prepare('SELECT id FROM runs ORDER BY id').all() as { id: number }[]).map((r) => r.id);
const batchesOf = (db: Database) => (db.prepare('SELECT DISTINCT run_id AS id FROM batches ORDER BY run_id').all() as { id: number }[]).map((r) => r.id);

describe('pruning the run history', () => {
  it('keeps the newest runs and the last days, and every run a rerun would resume within them', async () => {
    const db = await stateDb();
    const now = 1000 * DAY;
    const tooOld = addRun(db, { startedAt: now - 100 * DAY, status: 'interrupted', exitCode: 130 });
    const interrupted = addRun(db, { startedAt: now - 9 * DAY, status: 'interrupted', exitCode: 130 });
    const partial = addRun(db, { startedAt: now - 8 * DAY, status: 'finished', exitCode: 3 });
    const failed = addRun(db, { startedAt: now - 7 * DAY, status: 'failed', exitCode: 4, resumable: false });
    const completed = Array.from({ length: 4 }, (_, i) => addRun(db, { startedAt: now - (6 - i) * DAY, status: 'finished', exitCode: 0 }));
    const pruned = pruneHistory(db, now, { days: 90, runs: 3 });
    expect(ids(db)).toEqual([interrupted, partial, ...completed.slice(1)]);
    expect(pruned.runs).toBe(3);
    expect(ids(db)).not.toContain(tooOld);
    expect(ids(db)).not.toContain(failed);
    expect(batchesOf(db)).toEqual([interrupted, partial]); // completed runs keep no journal rows
  });

  it('ages runs by their last touch: a run still going or resumed within the retention stays, however long ago it started', async () => {
    const db = await stateDb();
    const now = 1000 * DAY;
    const longSync = addRun(db, { startedAt: now - 3 * DAY, updatedAt: now - 60_000, status: 'running', exitCode: null });
    const resumedYesterday = addRun(db, { startedAt: now - 5 * DAY, updatedAt: now - DAY, status: 'interrupted', exitCode: 130 });
    const leftInterrupted = addRun(db, { startedAt: now - 5 * DAY, status: 'interrupted', exitCode: 130 });
    const oldDone = addRun(db, { startedAt: now - 5 * DAY, status: 'finished', exitCode: 0 });
    const oldFailed = addRun(db, { startedAt: now - 5 * DAY, status: 'failed', exitCode: 4, resumable: false });
    const pruned = pruneHistory(db, now, { days: 2, runs: 500 }); // PINSYNC_KEEP_DAYS=2
    expect(ids(db)).toEqual([longSync, resumedYesterday]);
    expect(ids(db)).not.toContain(leftInterrupted); // untouched for longer than the retention: a rerun starts over
    expect(ids(db)).not.toContain(oldDone);
    expect(ids(db)).not.toContain(oldFailed);
    expect(pruned.runs).toBe(3);
  });
});

describe('compacting state.db', () => {
  it('runs only when most of the file is free pages, and shrinks it', async () => {
    const db = await stateDb();
    db.exec('CREATE TABLE filler (blob BLOB)');
    const insert = db.prepare('INSERT INTO filler VALUES (randomblob(4096))');
    db.transaction(() => {
      for (let i = 0; i < 2000; i++) insert.run();
    })();
    expect(compactIfItPays(db, 1024)).toBe(false); // nothing free
    db.exec('DELETE FROM filler');
    db.pragma('wal_checkpoint(TRUNCATE)');
    const before = fs.statSync(db.name).size;
    expect(compactIfItPays(db, 1024 * 1024)).toBe(true);
    db.pragma('wal_checkpoint(TRUNCATE)');
    expect(fs.statSync(db.name).size).toBeLessThan(before / 4);
  });
});

describe('a daily job', () => {
  it('keeps PINSYNC_KEEP_RUNS runs in `pinsync runs`, pruned day after day on the run clock', async () => {
    const box = (sandbox = await startSandbox({ port: 0, writeRate: 1000, listRules: { audiencesNeedReadyList: false } }));
    const home = makeHome();
    const env = { ...sandboxEnv(box), PINSYNC_KEEP_RUNS: '3', PINSYNC_KEEP_DAYS: '30' };
    for (let day = 0; day < 6; day++) {
      box.clock.advanceDays(1);
      const file = writeUsers(home, 'users.csv', day, day + 120);
      const run = await runInProcess(['sync', file, '--audience', 'Kept', '--create', '--ad-account', US, '--rate', '100'], { home, env, now: box.clock.now });
      expect(run.code, run.stderr).toBe(0);
    }
    const runs = await runInProcess(['runs', '--json'], { home, env, now: box.clock.now });
    expect(parseJsonOutput<unknown[]>(runs)).toHaveLength(3);
  });
});
