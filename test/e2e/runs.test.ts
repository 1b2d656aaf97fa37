// `pinsync runs`: past runs per audience with their metrics, and one run in full; a broken state
// file is one clear sentence.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseJsonOutput } from '../support/cli.js';
import { makeHome } from '../support/home.js';
import { runInProcess } from '../support/in-process.js';
import { sandboxEnv, sandboxPerFile, US } from '../support/sandbox.js';
import { writeUsers } from '../support/users.js';

const t = sandboxPerFile({ writeRate: 100 });

interface RunRow {
  id: number;
  command: string;
  operation: string;
  audienceName: string;
  entered: number;
  synced: number;
  notSynced: number;
  pending: number;
  errored: number;
  durationMs: number;
  exitCode: number;
}

describe('pinsync runs', () => {
  it('lists push and sync runs per audience and shows one in full', async () => {
    const home = makeHome();
    const env = sandboxEnv(t.sandbox);
    const file = writeUsers(home, 'users.csv', 0, 50);
    fs.appendFileSync(file, 'not-an-email\n');
    const common = ['--ad-account', US, '--create', '--rate', '100'];
    expect((await runInProcess(['push', file, '--audience', 'Runs A', ...common], { home, env })).code).toBe(0);
    expect((await runInProcess(['sync', file, '--audience', 'Runs B', ...common], { home, env })).code).toBe(0);

    const listed = await runInProcess(['runs', '--json'], { home, env });
    expect(listed.code, listed.stderr).toBe(0);
    const rows = parseJsonOutput<RunRow[]>(listed);
    expect(rows.map((r) => [r.audienceName, r.operation, r.exitCode])).toEqual([
      ['Runs A', 'ADD', 0],
      ['Runs B', 'MIRROR', 0],
    ]);
    expect(rows[0]).toMatchObject({ entered: 51, synced: 50, notSynced: 1, pending: 0, errored: 0 });
    expect(rows[0]!.durationMs).toBeGreaterThanOrEqual(0);

    const table = await runInProcess(['runs'], { home, env });
    expect(table.stdout).toMatch(/AUDIENCE +RUN +OPERATION .*ENTERED +SYNCED +NOT SYNCED +PENDING +ERRORED +MATCH +DURATION +EXIT/);
    expect(table.stdout).toMatch(/Runs A +\d+ +ADD .* 51 +50 +1 +0 +0 +- +\d+s +0/);

    const shown = await runInProcess(['runs', 'show', String(rows[1]!.id), '--json'], { home, env });
    expect(parseJsonOutput(shown)).toMatchObject({ operation: 'MIRROR', added: 50, removed: 0, runId: rows[1]!.id, status: 'finished' });
    // The store holds hashes only: no raw identifier and no token, in the database or its WAL.
    const stored = ['state.db', 'state.db-wal']
      .filter((name) => fs.existsSync(path.join(home, name)))
      .map((name) => fs.readFileSync(path.join(home, name)).toString('latin1'))
      .join('');
    expect(stored.length).toBeGreaterThan(0);
    expect(stored).not.toContain('user1@example.com');
    expect(stored).not.toContain(t.sandbox.token);

    const missing = await runInProcess(['runs', 'show', '999'], { home, env });
    expect(missing.code).toBe(5);
    expect(missing.stderr).toMatch(/No run 999 is recorded/);
  });

  it('says in one sentence that the state file is corrupt or foreign (exit 2), without a stack trace', async () => {
    const home = makeHome();
    fs.writeFileSync(path.join(home, 'state.db'), Buffer.alloc(8192, 7));
    const corrupt = await runInProcess(['runs'], { home });
    expect(corrupt.code).toBe(2);
    expect(corrupt.stderr.trim().split('\n')).toHaveLength(1);
    expect(corrupt.stderr).toMatch(/state file .* is corrupt or not a database: move it aside/);

    const foreignHome = makeHome();
    const { default: Sqlite } = await import('better-sqlite3');
    const db = new Sqlite(path.join(foreignHome, 'state.db'));
    db.exec('CREATE TABLE notes (body TEXT)');
    db.close();
    const foreign = await runInProcess(['runs'], { home: foreignHome });
    expect(foreign.code).toBe(2);
    expect(foreign.stderr).toMatch(/belongs to another program, not pinsync/);
  });

  it('says so when nothing has run yet', async () => {
    const result = await runInProcess(['runs']);
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(/No runs recorded yet/);
  });
});
