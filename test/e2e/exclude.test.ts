// `--exclude FILE`: opted-out users never reach Pinterest. What a user checks: the exit code, the
// report's `excluded` count, the rejects file, what the sandbox's list holds and how many records
// the sandbox received; and that a sync removes excluded users an earlier sync added.
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { describe, expect, it } from 'vitest';
import type { RunReport as Report } from '../../src/report/run-report.js';
import { parseJsonOutput, runCli } from '../support/cli.js';
import { makeHome } from '../support/home.js';
import { runInProcess } from '../support/in-process.js';
import { sandboxEnv, sandboxPerFile, US } from '../support/sandbox.js';
import { writeFile } from '../support/files.js';
import { expectCountsAddUp } from '../support/reports.js';
import { listRecords, recordsWritten, sameSet } from '../support/sandbox-records.js';
import { email, hashesOf, sha256, writeUsers } from '../support/users.js';

const t = sandboxPerFile({ writeRate: 100 });

const maid = (i: number) => `6f9619ff-8b86-d011-b42d-${String(i).padStart(12, '0')}`;

/**
 * A sync that stops on its exclusion list keeps its audience's mirror lock until its process exits
 * (runs/sync.ts takes the lock before the lists are ready, and its `finally` releases only a lock
 * already assigned), so in one process the next sync of that audience would be refused. Until that
 * is fixed, those syncs run the CLI in a process of their own.
 */
const runnerOf = (command: string) => (command === 'sync' ? runCli : runInProcess);

/** `worker`: PINSYNC_HASH_WORKER; `loader`: PINSYNC_EXCLUSION_WORKER (the lists load on their own thread). */
const run = (home: string, args: string[], worker = '0', loader = '0', runner: typeof runCli = runInProcess) =>
  runner([...args, '--ad-account', US, '--rate', '100', '--json'], {
    home,
    env: { ...sandboxEnv(t.sandbox), PINSYNC_HASH_WORKER: worker, PINSYNC_EXCLUSION_WORKER: loader },
  });

describe('push --exclude', () => {
  it.each([
    ['0', '0'],
    ['1', '0'],
    ['0', '1'],
    ['1', '1'],
  ])('leaves every identifier of an excluded row unsent, plain and hashed files (PINSYNC_HASH_WORKER=%s, PINSYNC_EXCLUSION_WORKER=%s)', async (worker, loader) => {
    const home = makeHome();
    // 100 users with an email and a device id. Excluded: users 0-59 by plain email (CSV), 60-69 by
    // SHA-256 email (NDJSON.gz), 70-74 by device id only. Row 100 repeats user 72's email without
    // its device id: that row is not excluded, so that email must go out then.
    const rows = ['email,maid'];
    for (let i = 0; i < 100; i++) rows.push(`${i % 3 === 0 ? email(i).toUpperCase() : email(i)},${maid(i)}`);
    rows.push(`${email(72)},`);
    const input = writeFile(home, 'users.csv', rows.join('\n') + '\n');
    const plain = writeFile(home, 'optouts.csv', ['Email Address,name', ...Array.from({ length: 60 }, (_, i) => ` ${email(i)},x`)].join('\n') + '\n');
    const hashed = writeFile(
      home,
      'suppressed.ndjson.gz',
      Array.from({ length: 10 }, (_, k) => JSON.stringify({ email_sha256: sha256(email(60 + k)).toUpperCase() })).join('\n') + '\n',
    );
    const devices = writeFile(home, 'devices.csv', ['gaid', ...Array.from({ length: 5 }, (_, k) => maid(70 + k).replace(/-/g, ''))].join('\n') + '\n');
    const rejects = path.join(home, 'rejects.csv');
    const audience = `Excluded push ${worker}${loader}`;
    const writtenBefore = recordsWritten(t.sandbox);

    const r = await run(
      home,
      ['push', input, '--audience', audience, '--create', '--rejects', rejects, '--exclude', plain, '--exclude', hashed, '--exclude', devices],
      worker,
      loader,
    );

    // 75 of the first 101 rows are excluded: the wrong-mapping guard does not take them for a bad column.
    expect(r.code, r.stderr).toBe(0);
    const report = parseJsonOutput<Report>(r);
    expect(report).toMatchObject({ entered: 101, synced: 26, notSynced: 75, notSyncedReasons: { excluded: 75 }, errored: 0, pending: 0 });
    expectCountsAddUp(report);
    const expected = new Set([...hashesOf(75, 100), ...Array.from({ length: 25 }, (_, k) => sha256(maid(75 + k))), sha256(email(72))]);
    expect(sameSet(listRecords(t.sandbox, audience), expected)).toBe(true);
    expect(recordsWritten(t.sandbox) - writtenBefore).toBe(expected.size);
    const rejected = fs.readFileSync(rejects, 'utf8').trim().split('\n');
    expect(rejected[0]).toBe('line,reason');
    expect(rejected.slice(1)).toEqual(Array.from({ length: 75 }, (_, i) => `${i + 2},excluded`));
    expect(r.stderr).toContain('Excluding 75 identifiers listed in optouts.csv, suppressed.ndjson.gz, devices.csv.');
    expect(r.stderr).not.toContain('@example.com');
  });

  it('an unreadable exclusion file stops the run (exit 2, naming it) before anything is sent', async () => {
    const home = makeHome();
    const input = writeUsers(home, 'users.csv', 0, 10);
    const noColumn = writeFile(home, 'names.csv', 'first,last\nAnn,Lee\n');
    const requestsBefore = t.sandbox.state.requests.length;

    const missing = await run(home, ['push', input, '--audience', 'Excluded none', '--create', '--exclude', path.join(home, 'optouts.csv')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/^pinsync: Cannot read the exclusion file \S*optouts\.csv: no such file\.$/m);
    const wrong = await run(home, ['sync', input, '--audience', 'Excluded none', '--create', '--exclude', noColumn], '0', '0', runnerOf('sync'));
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toContain('In the exclusion file names.csv: No identifier column found');

    for (const text of [missing.stderr, wrong.stderr]) expect(text).not.toMatch(/\n\s+at /); // no stack trace
    const writes = t.sandbox.state.requests.slice(requestsBefore).filter((request) => request.method !== 'GET');
    expect(writes).toEqual([]);
  });

  it.each(['push', 'sync'])('%s: a list loading on its own thread that fails, early or half-way, stops the run (exit 2, naming it) before anything is sent', async (command) => {
    const home = makeHome();
    const input = writeUsers(home, 'users.csv', 0, 10);
    const noColumn = writeFile(home, 'names.csv', 'first,last\nAnn,Lee\n');
    // A gzip list cut short: its header and first rows read fine, the break comes after the run began reading its input.
    const whole = zlib.gzipSync(['email', ...Array.from({ length: 200_000 }, (_, i) => email(i))].join('\n') + '\n');
    const cut = path.join(home, 'cut.csv.gz');
    fs.writeFileSync(cut, whole.subarray(0, Math.floor(whole.length / 2)));
    const requestsBefore = t.sandbox.state.requests.length;
    const runner = runnerOf(command);

    const missing = await run(home, [command, input, '--audience', 'Excluded none', '--create', '--exclude', path.join(home, 'optouts.csv')], '1', '1', runner);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/^pinsync: Cannot read the exclusion file \S*optouts\.csv: no such file\.$/m);
    const wrong = await run(home, [command, input, '--audience', 'Excluded none', '--create', '--exclude', noColumn], '1', '1', runner);
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toContain('In the exclusion file names.csv: No identifier column found');
    const broken = await run(home, [command, input, '--audience', 'Excluded none', '--create', '--exclude', cut], '1', '1', runner);
    expect(broken.code, broken.stderr).toBe(2);
    expect(broken.stderr).toMatch(/^pinsync: In the exclusion file cut\.csv\.gz: cut\.csv\.gz is not valid gzip data/m);

    for (const text of [missing.stderr, wrong.stderr, broken.stderr]) expect(text).not.toMatch(/\n\s+at /); // no stack trace
    const writes = t.sandbox.state.requests.slice(requestsBefore).filter((request) => request.method !== 'GET');
    expect(writes).toEqual([]);
  });
});

describe('--exclude with --audience-column', () => {
  it.each(['push', 'sync'])('%s: excluded rows reach none of the audiences', async (command) => {
    const home = makeHome();
    const rows = ['email,segment', ...Array.from({ length: 40 }, (_, i) => `${email(i)},${i % 2 === 0 ? 'even' : 'odd'} ${command}`)];
    const input = writeFile(home, 'segments.csv', rows.join('\n') + '\n');
    const optouts = writeFile(home, 'optouts.csv', ['email', ...Array.from({ length: 10 }, (_, k) => email(k))].join('\n') + '\n');

    const r = await run(home, [command, input, '--audience-column', 'segment', '--create', '--exclude', optouts]);

    expect(r.code, r.stderr).toBe(0);
    expect(parseJsonOutput<Report>(r)).toMatchObject({ entered: 40, synced: 30, notSynced: 10, notSyncedReasons: { excluded: 10 } });
    const ofParity = (parity: number) => new Set([...hashesOf(10, 40)].filter((_, k) => (k + 10) % 2 === parity));
    expect(sameSet(listRecords(t.sandbox, `even ${command}`), ofParity(0))).toBe(true);
    expect(sameSet(listRecords(t.sandbox, `odd ${command}`), ofParity(1))).toBe(true);
  });
});

describe('sync --exclude', () => {
  it('removes excluded users an earlier sync added, and the snapshot no longer holds them', async () => {
    const home = makeHome();
    const users = writeUsers(home, 'users.csv', 0, 100);
    const optouts = writeFile(home, 'optouts.csv', ['email', ...Array.from({ length: 10 }, (_, k) => email(40 + k))].join('\n') + '\n');
    const audience = 'Excluded mirror';

    const first = await run(home, ['sync', users, '--audience', audience, '--create']);
    expect(first.code, first.stderr).toBe(0);
    expect(sameSet(listRecords(t.sandbox, audience), hashesOf(0, 100))).toBe(true);

    const writtenBefore = recordsWritten(t.sandbox);
    const second = await run(home, ['sync', users, '--audience', audience, '--exclude', optouts]);
    expect(second.code, second.stderr).toBe(0);
    const report = parseJsonOutput<Report>(second);
    expect(report).toMatchObject({ entered: 100, synced: 90, notSynced: 10, notSyncedReasons: { excluded: 10 }, added: 0, removed: 10 });
    expectCountsAddUp(report);
    expect(sameSet(listRecords(t.sandbox, audience), new Set([...hashesOf(0, 40), ...hashesOf(50, 100)]))).toBe(true);
    expect(recordsWritten(t.sandbox) - writtenBefore).toBe(10); // the REMOVE, nothing added

    // The same exclusions again: nothing to do. Without them: the ten come back, as the snapshot lacks them.
    const again = await run(home, ['sync', users, '--audience', audience, '--exclude', optouts]);
    expect(parseJsonOutput<Report>(again)).toMatchObject({ added: 0, removed: 0 });
    const without = await run(home, ['sync', users, '--audience', audience]);
    expect(parseJsonOutput<Report>(without)).toMatchObject({ added: 10, removed: 0 });
    expect(sameSet(listRecords(t.sandbox, audience), hashesOf(0, 100))).toBe(true);
  });
});
