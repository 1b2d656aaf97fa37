// The mirror snapshot stays true (issue 19): an audience an earlier sync of the same column filled and
// that no row names today is mirrored to empty, behind --max-remove (finding 4); a removal updates the
// snapshot, so the next sync adds the removed users back when the file still holds them (finding 5).
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunReport } from '../../src/report/run-report.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/server.js';
import { parseJsonOutput } from '../support/cli.js';
import { runInProcess } from '../support/in-process.js';
import { US, sandboxEnv } from '../support/sandbox.js';
import { makeHome } from '../support/home.js';
import { listRecords, sameSet } from '../support/sandbox-records.js';
import { email, hashesOf, writeUsers } from '../support/users.js';


let sandbox: Sandbox;
beforeAll(async () => {
  sandbox = await startSandbox({ port: 0, writeRate: 1000 });
});
afterAll(async () => {
  await sandbox.stop();
});

type FanOut = RunReport & { audiences: Array<RunReport & { added: number; removed: number }> };

const run = (home: string, args: string[]) => runInProcess(args, { home, env: sandboxEnv(sandbox) });
const writes = (since: number) => sandbox.state.requests.slice(since).filter((r) => r.method !== 'GET');

/** A CSV `email,segment` of users from..to-1, each in segmentOf(i). */
function writeSegments(dir: string, name: string, users: number[], segmentOf: (i: number) => string): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, ['email,segment', ...users.map((i) => `${email(i)},${segmentOf(i)}`)].join('\n') + '\n');
  return file;
}
const range = (from: number, to: number) => Array.from({ length: to - from }, (_, k) => from + k);

describe('a segment that vanishes from the file', () => {
  it('is mirrored to empty: refused by --max-remove (exit 2, naming it, nothing sent), done with --force', async () => {
    const home = makeHome();
    const dir = makeHome('pinsync-mirror-');
    const sync = (file: string, ...extra: string[]) => run(home, ['sync', file, '--audience-column', 'segment', '--ad-account', US, '--json', ...extra]);
    const monday = writeSegments(dir, 'monday.csv', range(0, 200), (i) => (i < 100 ? 'Vanish VIP' : 'Vanish Lapsed'));
    expect((await sync(monday, '--create')).code).toBe(0);

    const tuesday = writeSegments(dir, 'tuesday.csv', range(0, 100), () => 'Vanish VIP');
    const since = sandbox.state.requests.length;
    const refused = await sync(tuesday);
    expect(refused.code, refused.stderr).toBe(2);
    expect(refused.stderr).toMatch(/No row names audience "Vanish Lapsed" today/);
    expect(refused.stderr).toMatch(/remove 100 of the 100 identifiers last synced to audience "Vanish Lapsed".*--max-remove 20%/);
    expect(writes(since)).toEqual([]);
    expect(listRecords(sandbox, 'Vanish Lapsed').size).toBe(100);

    const dry = await sync(tuesday, '--force', '--dry-run');
    expect(dry.code, dry.stderr).toBe(0);
    expect(parseJsonOutput<FanOut>(dry).audiences.find((a) => a.audienceName === 'Vanish Lapsed')).toMatchObject({ entered: 0, toRemove: 100 });

    const forced = await sync(tuesday, '--force');
    expect(forced.code, forced.stderr).toBe(0);
    const report = parseJsonOutput<FanOut>(forced);
    expect(report.audiences.find((a) => a.audienceName === 'Vanish Lapsed')).toMatchObject({ entered: 0, removed: 100 });
    expect(report).toMatchObject({ removed: 100, added: 0 });
    expect(listRecords(sandbox, 'Vanish Lapsed').size).toBe(0);
    expect(sameSet(listRecords(sandbox, 'Vanish VIP'), hashesOf(0, 100))).toBe(true);

    // Emptied, it is no longer this column's: the next sync leaves it alone.
    const wednesday = await sync(tuesday);
    expect(wednesday.code, wednesday.stderr).toBe(0);
    expect(parseJsonOutput<FanOut>(wednesday).audiences.map((a) => a.audienceName)).toEqual(['Vanish VIP']);
  });

  it('another job syncing another file by a column of the same name leaves those audiences alone', async () => {
    const home = makeHome();
    const dir = makeHome('pinsync-mirror-');
    writeSegments(dir, 'crm.csv', range(0, 40), (i) => (i % 2 ? 'Jobs CRM A' : 'Jobs CRM B'));
    writeSegments(dir, 'app.csv', range(100, 140), (i) => (i % 2 ? 'Jobs App A' : 'Jobs App B'));
    const jobs = path.join(dir, 'jobs.yaml');
    fs.writeFileSync(
      jobs,
      `ad_account: "${US}"\njobs:\n` +
        `  - { name: crm, mode: sync, file: crm.csv, audience_column: segment, create: true }\n` +
        `  - { name: app, mode: sync, file: app.csv, audience_column: segment, create: true }\n`,
    );
    expect((await run(home, ['run', jobs])).code).toBe(0);
    const again = await run(home, ['run', jobs, 'crm', '--json']);
    expect(again.code, again.stderr).toBe(0);
    expect(listRecords(sandbox, 'Jobs App A').size).toBe(20);
  });
});

describe('a removal updates the mirror snapshot', () => {
  it('after a sync job and a remove job, the next sync adds the removed users back', async () => {
    const home = makeHome();
    const dir = makeHome('pinsync-mirror-');
    writeUsers(dir, 'all.csv', 0, 100);
    writeUsers(dir, 'gone.csv', 0, 10);
    const jobs = path.join(dir, 'jobs.yaml');
    fs.writeFileSync(
      jobs,
      `ad_account: "${US}"\njobs:\n` +
        `  - { name: mirror, mode: sync, file: all.csv, audience: Snapshot job, create: true }\n` +
        `  - { name: unsubscribe, mode: remove, file: gone.csv, audience: Snapshot job }\n`,
    );
    expect((await run(home, ['run', jobs, 'mirror'])).code).toBe(0);
    expect((await run(home, ['run', jobs, 'unsubscribe'])).code).toBe(0);
    expect(sameSet(listRecords(sandbox, 'Snapshot job'), hashesOf(10, 100))).toBe(true);
    const next = await run(home, ['run', jobs, 'mirror', '--json']);
    expect(next.code, next.stderr).toBe(0);
    expect(parseJsonOutput<{ jobs: Array<{ report: RunReport }> }>(next).jobs[0]!.report).toMatchObject({ added: 10, removed: 0 });
    expect(sameSet(listRecords(sandbox, 'Snapshot job'), hashesOf(0, 100))).toBe(true);
  });

  it('push --remove between two syncs: the second sync adds them back', async () => {
    const home = makeHome();
    const dir = makeHome('pinsync-mirror-');
    const all = writeUsers(dir, 'all.csv', 0, 50);
    const gone = writeUsers(dir, 'gone.csv', 40, 50);
    const args = ['--audience', 'Snapshot push', '--ad-account', US, '--json'];
    expect((await run(home, ['sync', all, ...args, '--create'])).code).toBe(0);
    expect((await run(home, ['push', gone, ...args, '--remove'])).code).toBe(0);
    const next = await run(home, ['sync', all, ...args]);
    expect(next.code, next.stderr).toBe(0);
    expect(parseJsonOutput<RunReport>(next)).toMatchObject({ added: 10, removed: 0 });
    expect(sameSet(listRecords(sandbox, 'Snapshot push'), hashesOf(0, 50))).toBe(true);
  });
});
