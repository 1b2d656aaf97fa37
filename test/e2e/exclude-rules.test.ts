// What an exclusion list does and does not do (issue 19): it holds back additions only, so a removal
// removes opted-out users too (finding 3); a list of the wrong kind is said, and a list with a blank
// email column and a filled hashed one excludes by the hashed one (finding 7).
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunReport } from '../../src/report/run-report.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/server.js';
import { parseJsonOutput } from '../support/cli.js';
import { runInProcess } from '../support/in-process.js';
import { US, arrangeAudience, sandboxEnv } from '../support/sandbox.js';
import { makeHome } from '../support/home.js';
import { listRecords, sameSet } from '../support/sandbox-records.js';
import { email, hashesOf, sha256, writeUsers } from '../support/users.js';



let sandbox: Sandbox;
beforeAll(async () => {
  sandbox = await startSandbox({ port: 0, writeRate: 1000 });
});
afterAll(async () => {
  await sandbox.stop();
});

const run = (args: string[], home = makeHome()) => runInProcess(args, { home, env: sandboxEnv(sandbox) });
const maid = (i: number) => `6f9619ff-8b86-d011-b42d-${String(i).padStart(12, '0')}`;

describe('exclusions hold back additions only', () => {
  it('push --remove --exclude removes the opted-out users like any other', async () => {
    const dir = makeHome('pinsync-excl-');
    arrangeAudience(sandbox, 'Excl remove', [...hashesOf(0, 100)]);
    const gone = writeUsers(dir, 'gone.csv', 0, 50);
    const optouts = writeUsers(dir, 'optouts.csv', 0, 10);
    const result = await run(['push', gone, '--audience', 'Excl remove', '--ad-account', US, '--remove', '--exclude', optouts, '--json']);
    expect(result.code, result.stderr).toBe(0);
    const report = parseJsonOutput<RunReport>(result);
    expect(report).toMatchObject({ operation: 'REMOVE', entered: 50, synced: 50, notSynced: 0 });
    expect(report.notSyncedReasons.excluded).toBeUndefined();
    expect(sameSet(listRecords(sandbox, 'Excl remove'), hashesOf(50, 100))).toBe(true);
  });

  it('a jobs file\'s top-level exclude: does not hold back a mode: remove job', async () => {
    const dir = makeHome('pinsync-excl-');
    arrangeAudience(sandbox, 'Excl job remove', [...hashesOf(0, 100)]);
    writeUsers(dir, 'gone.csv', 0, 50);
    writeUsers(dir, 'new.csv', 200, 220);
    writeUsers(dir, 'optouts.csv', 0, 10);
    writeUsers(dir, 'optouts-new.csv', 200, 205);
    const jobs = path.join(dir, 'jobs.yaml');
    fs.writeFileSync(
      jobs,
      `ad_account: "${US}"\nexclude: [optouts.csv, optouts-new.csv]\njobs:\n` +
        `  - { name: unsubscribed, mode: remove, file: gone.csv, audience: Excl job remove }\n` +
        `  - { name: signups, file: new.csv, audience: Excl job remove }\n`,
    );
    const result = await run(['run', jobs, '--json']);
    expect(result.code, result.stderr).toBe(0);
    const [removal, signups] = parseJsonOutput<{ jobs: Array<{ report: RunReport }> }>(result).jobs;
    expect(removal!.report).toMatchObject({ synced: 50, notSynced: 0 });
    expect(signups!.report).toMatchObject({ synced: 15, notSyncedReasons: { excluded: 5 } });
    expect(sameSet(listRecords(sandbox, 'Excl job remove'), new Set([...hashesOf(50, 100), ...hashesOf(205, 220)]))).toBe(true);
  });
});

describe('exclusion lists of the wrong shape', () => {
  it('a list whose identifier kinds share nothing with the input\'s is a warning naming both kinds', async () => {
    const dir = makeHome('pinsync-excl-');
    const input = writeUsers(dir, 'users.csv', 0, 20);
    const maids = path.join(dir, 'device-optouts.csv');
    fs.writeFileSync(maids, ['maid', ...Array.from({ length: 5 }, (_, i) => maid(i))].join('\n') + '\n');
    const result = await run(['push', input, '--audience', 'Excl kinds', '--ad-account', US, '--create', '--exclude', maids, '--dry-run']);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toMatch(/device-optouts\.csv lists maid identifiers and the input has email ones: it excludes nobody from this run/);
  });

  it('a list with a blank email column and a filled hashed_email column excludes by the hashed one', async () => {
    const dir = makeHome('pinsync-excl-');
    const input = writeUsers(dir, 'users.csv', 0, 20);
    const optouts = path.join(dir, 'optouts.csv');
    fs.writeFileSync(optouts, ['email,hashed_email', ...Array.from({ length: 5 }, (_, i) => `,${sha256(email(i))}`)].join('\n') + '\n');
    const result = await run(['push', input, '--audience', 'Excl hashed', '--ad-account', US, '--create', '--exclude', optouts, '--json']);
    expect(result.code, result.stderr).toBe(0);
    expect(parseJsonOutput<RunReport>(result)).toMatchObject({ synced: 15, notSyncedReasons: { excluded: 5 } });
    expect(sameSet(listRecords(sandbox, 'Excl hashed'), hashesOf(5, 20))).toBe(true);
  });
});
