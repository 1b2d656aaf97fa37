// The journal's writes while another process holds the state file: they wait in memory, in order, and
// the batch waiting for its "sent" entry is not sent meanwhile; a state busy past the wait stops the
// run in one sentence; Ctrl-C drops the batches not yet recorded and gives the rest a short grace.
import { getEventListeners } from 'node:events';
import path from 'node:path';
import Sqlite from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { InterruptedError } from '../../src/errors.js';
import { openDatabase, type Database } from '../../src/state/database.js';
import { JournalWrites } from '../../src/state/journal-writes.js';
import { makeHome } from '../support/home.js';


const opened: Array<{ close(): void }> = [];
afterEach(() => {
  for (const db of opened.splice(0)) db.close();
});

async function stateWithHolder(): Promise<{ db: Database; file: string; hold(): void; release(): void }> {
  const file = path.join(makeHome(), 'state.db');
  const db = await openDatabase(file);
  db.exec('CREATE TABLE IF NOT EXISTS entries (n INTEGER)');
  const holder = new Sqlite(file);
  opened.push(db, holder);
  return { db, file, hold: () => holder.exec('BEGIN EXCLUSIVE'), release: () => holder.exec('COMMIT') };
}

const settled = (promise: Promise<unknown>) => promise.then(() => 'written', (error: Error) => error);
const rows = (db: Database) => (db.prepare('SELECT n FROM entries ORDER BY rowid').all() as { n: number }[]).map((r) => r.n);

describe('journal writes against a busy state file', () => {
  it('keep entries in memory, in order, and let a batch go only once its entry is written', async () => {
    const { db, file, hold, release } = await stateWithHolder();
    const writes = new JournalWrites(db, file);
    const insert = (n: number) => () => db.prepare('INSERT INTO entries (n) VALUES (?)').run(n);
    hold();
    const started = Date.now();
    const ack = writes.add(insert(1));
    let gateOpen = false;
    const gate = writes.add(insert(2), true).then(() => (gateOpen = true));
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(gateOpen).toBe(false);
    expect(Date.now() - started).toBeLessThan(1000); // the event loop was never blocked for the busy timeout
    release();
    await Promise.all([ack, gate, writes.flush()]);
    expect(rows(db)).toEqual([1, 2]);
  });

  it('stop the run with one sentence when the state stays busy past the wait; no later batch is sent', async () => {
    const { db, file, hold } = await stateWithHolder();
    const writes = new JournalWrites(db, file, { waitMs: 500 });
    hold();
    const gate = settled(writes.add(() => db.prepare('INSERT INTO entries (n) VALUES (1)').run(), true));
    expect(String(await gate)).toMatch(/stayed locked by another process for 1 second: wait for it to finish/);
    await expect(writes.flush()).rejects.toThrow(/stayed locked/);
    await expect(writes.add(() => {}, true)).rejects.toThrow(/stayed locked/);
  });

  it('on Ctrl-C do not send the batches still waiting, and give the acknowledgements a short grace', async () => {
    const { db, file, hold } = await stateWithHolder();
    const stop = new AbortController();
    const writes = new JournalWrites(db, file, { signal: stop.signal });
    hold();
    void writes.add(() => db.prepare('INSERT INTO entries (n) VALUES (1)').run());
    const gate = settled(writes.add(() => {}, true));
    stop.abort();
    expect(await gate).toBeInstanceOf(InterruptedError);
    const started = Date.now();
    await writes.flush();
    expect(Date.now() - started).toBeLessThan(3_000);
  });
});

describe('journal writes and the run stop signal', () => {
  it('let go of the stop signal when the journal closes: a 1,000-audience fan-out keeps no listener per journal', async () => {
    const { db, file } = await stateWithHolder();
    const stop = new AbortController();
    for (let i = 0; i < 1000; i++) {
      const writes = new JournalWrites(db, file, { signal: stop.signal });
      await writes.add(() => db.prepare('INSERT INTO entries (n) VALUES (?)').run(i));
      writes.abandon(); // what Journal.close does
    }
    expect(getEventListeners(stop.signal, 'abort')).toHaveLength(0);
    expect(rows(db)).toHaveLength(1000);
  });
});
