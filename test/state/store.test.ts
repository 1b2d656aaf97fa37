import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ExitCode } from '../../src/errors.js';
import { MIGRATIONS } from '../../src/state/migrations.js';
import { openStateStore } from '../../src/state/store.js';
import { makeHome } from '../support/home.js';

describe('state store', () => {
  it('creates a WAL database at the latest schema version and reopens it', async () => {
    const file = path.join(makeHome('pinsync-state-'), 'nested', 'state.db');
    const store = await openStateStore(file);
    expect(store.db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(store.db.pragma('user_version', { simple: true })).toBe(MIGRATIONS.length);
    store.runs.create({ runKey: 'k', profile: 'default', command: 'push', operation: 'ADD', resumable: true }, 1);
    store.close();
    const again = await openStateStore(file);
    expect(again.runs.list()).toHaveLength(1);
    again.close();
  });

  it('lets several processes open a fresh state file at the same moment (overlapping cron jobs)', async () => {
    const home = makeHome('pinsync-state-');
    // 20 rounds, each on a fresh file that six processes open at one agreed instant: switching a new
    // file to WAL raced (SQLITE_BUSY without waiting) in about 1 open of 30.
    const rounds = 20;
    const files = Array.from({ length: rounds }, (_, round) => path.join(home, `state-${round}.db`));
    const startAt = Date.now() + 1500;
    const opener = `const { openStateStore } = await import(${JSON.stringify(path.resolve('dist/state/store.js'))});
      const files = ${JSON.stringify(files)};
      for (let round = 0; round < files.length; round++) {
        while (Date.now() < ${startAt} + round * 150);
        (await openStateStore(files[round])).close();
      }`;
    const children = Array.from({ length: 6 }, () => spawn(process.execPath, ['--input-type=module', '-e', opener], { stdio: ['ignore', 'ignore', 'pipe'] }));
    const results = await Promise.all(
      children.map(
        (child) =>
          new Promise<{ code: number | null; stderr: string }>((resolve) => {
            let stderr = '';
            child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
            child.on('close', (code) => resolve({ code, stderr }));
          }),
      ),
    );
    expect(results).toEqual(results.map(() => ({ code: 0, stderr: '' })));
    for (const file of files) {
      const store = await openStateStore(file);
      expect(store.db.pragma('user_version', { simple: true })).toBe(MIGRATIONS.length);
      store.close();
    }
  });

  it('keeps the state file and its WAL readable by the owner only', async () => {
    const file = path.join(makeHome('pinsync-state-'), 'state.db');
    const store = await openStateStore(file);
    store.runs.create({ runKey: 'k', profile: 'default', command: 'push', operation: 'ADD', resumable: true }, 1);
    for (const name of [file, `${file}-wal`]) expect(fs.statSync(name).mode & 0o777).toBe(0o600);
    store.close();
  });

  it('says in one sentence that a corrupt file is corrupt (exit 2), without crashing', async () => {
    const file = path.join(makeHome('pinsync-state-'), 'state.db');
    fs.writeFileSync(file, 'this is not a database, just some text that is long enough '.repeat(100));
    const error = await openStateStore(file).catch((e: unknown) => e);
    expect(error).toMatchObject({ exitCode: ExitCode.usage });
    expect((error as Error).message).toMatch(/state file .* is corrupt or not a database: move it aside/);
  });

  it('refuses a SQLite database that belongs to another program', async () => {
    const file = path.join(makeHome('pinsync-state-'), 'state.db');
    const { default: Sqlite } = await import('better-sqlite3');
    const foreign = new Sqlite(file);
    foreign.exec('CREATE TABLE photos (id INTEGER PRIMARY KEY, title TEXT)');
    foreign.close();
    const error = await openStateStore(file).catch((e: unknown) => e);
    expect(error).toMatchObject({ exitCode: ExitCode.usage });
    expect((error as Error).message).toMatch(/belongs to another program/);
  });

  it('refuses a state file written by a newer pinsync', async () => {
    const file = path.join(makeHome('pinsync-state-'), 'state.db');
    (await openStateStore(file)).close();
    const { default: Sqlite } = await import('better-sqlite3');
    const db = new Sqlite(file);
    db.pragma(`user_version = ${MIGRATIONS.length + 5}`);
    db.close();
    await expect(openStateStore(file)).rejects.toThrow(/newer pinsync/);
  });

  it('keeps every committed acknowledgement when the writer is killed mid-write (WAL)', async () => {
    const file = path.join(makeHome('pinsync-state-'), 'state.db');
    (await openStateStore(file)).close();
    // A child process commits acknowledgements in a loop and is SIGKILLed in the middle.
    const script = `
      const Sqlite = require('better-sqlite3');
      const db = new Sqlite(${JSON.stringify(file)});
      db.pragma('journal_mode = WAL'); db.pragma('synchronous = FULL');
      db.prepare("INSERT INTO runs (id, run_key, profile, command, operation, resumable, status, started_at, updated_at) VALUES (1, 'k', 'p', 'push', 'ADD', 1, 'running', 0, 0)").run();
      const ack = db.prepare("INSERT INTO batches (run_id, first_line, last_line, records, state, first_attempt_at, last_attempt_at) VALUES (1, ?, ?, 1, 'acknowledged', 0, 0)");
      for (let i = 0; ; i++) { ack.run(i * 10 + 2, i * 10 + 11); if (i === 200) process.stdout.write('ready\\n'); }
    `;
    const child = spawnSync(process.execPath, ['-e', script], { cwd: process.cwd(), timeout: 1500, killSignal: 'SIGKILL' });
    expect(child.signal).toBe('SIGKILL');
    const store = await openStateStore(file);
    const batches = store.runs.batches(1, 'acknowledged');
    expect(batches.length).toBeGreaterThan(200);
    // Contiguous: every acknowledgement up to the last committed one is there, none half-written.
    batches.forEach((batch, i) => expect(batch.firstLine).toBe(i * 10 + 2));
    expect(store.db.pragma('integrity_check', { simple: true })).toBe('ok');
    store.close();
  });
});
