// --audience-column: one file whose segment column names each row's audience fans out into one
// audience per segment (push and sync), with per-audience and overall counts that add up.
import { describe, expect, it } from 'vitest';
import type { RunReport } from '../../src/report/run-report.js';
import { parseJsonOutput } from '../support/cli.js';
import { writeFile } from '../support/files.js';
import { makeHome } from '../support/home.js';
import { runInProcess, startInProcess } from '../support/in-process.js';
import { afterMoreWrites, stopWhen } from '../support/interrupt.js';
import { sandboxEnv, sandboxPerFile, US } from '../support/sandbox.js';
import { expectCountsAddUp } from '../support/reports.js';
import { listRecords, recordsWritten, sameSet } from '../support/sandbox-records.js';
import { email, sha256 } from '../support/users.js';

const t = sandboxPerFile({ writeRate: 100 });

type CountKey = 'entered' | 'synced' | 'duplicates' | 'notSynced' | 'errored' | 'pending' | 'records';
type Counts = Pick<RunReport, CountKey | 'notSyncedReasons' | 'audienceName'> & { added?: number; removed?: number };
interface FanOutReport extends Counts {
  audienceColumn: string;
  audiences: Counts[];
}

const run = (command: 'push' | 'sync', home: string, file: string, ...extra: string[]) =>
  runInProcess([command, file, '--audience-column', 'segment', '--ad-account', US, '--rate', '100', '--json', ...extra], {
    home,
    env: sandboxEnv(t.sandbox),
  });

/** A CSV `email,segment`: user i goes to segmentOf(i) ('' for none). */
function writeSegments(dir: string, name: string, users: number[], segmentOf: (i: number) => string): string {
  return writeFile(dir, name, ['email,segment', ...users.map((i) => `${email(i)},${segmentOf(i)}`)].join('\n') + '\n');
}

const range = (from: number, to: number) => Array.from({ length: to - from }, (_, k) => from + k);
const hashes = (users: number[]) => new Set(users.map((i) => sha256(email(i))));

function expectFanOutAddsUp(report: FanOutReport): void {
  expectCountsAddUp(report);
  for (const audience of report.audiences) expectCountsAddUp(audience);
  const sum = (key: CountKey) => report.audiences.reduce((total, a) => total + a[key], 0);
  const missing = report.notSyncedReasons.missing_audience ?? 0;
  expect(report.entered).toBe(sum('entered') + missing);
  expect(report.notSynced).toBe(sum('notSynced') + missing);
  for (const key of ['synced', 'duplicates', 'errored', 'pending', 'records'] as const) expect(report[key]).toBe(sum(key));
}

describe('--audience-column', () => {
  it('push fans a four-segment file out into four exact audiences; rows with no segment are missing_audience', async () => {
    const home = makeHome();
    const segments = ['FO vip', 'FO lapsed', 'FO newsletter', 'FO winback'];
    // 0..3999 spread over four segments; 4000..4049 name none; 0..99 appear twice in "FO vip" (duplicates).
    const users = range(0, 4050);
    const segmentOf = (i: number) => (i >= 4000 ? '' : segments[i % 4]!);
    const lines = ['email,segment', ...users.map((i) => `${email(i)},${segmentOf(i)}`), ...range(0, 100).filter((i) => i % 4 === 0).map((i) => `${email(i)},FO vip`)];
    const file = writeFile(home, 'segments.csv', lines.join('\n') + '\n');

    const result = await run('push', home, file, '--create');
    expect(result.code, result.stderr).toBe(0);
    const report = parseJsonOutput<FanOutReport>(result);
    expect(report).toMatchObject({ entered: 4075, synced: 4000, duplicates: 25, notSynced: 50, errored: 0, pending: 0, records: 4000, audienceColumn: 'segment' });
    expect(report.notSyncedReasons).toEqual({ missing_audience: 50 });
    expect(report.audiences.map((a) => a.audienceName).sort()).toEqual([...segments].sort());
    expectFanOutAddsUp(report);
    const vip = report.audiences.find((a) => a.audienceName === 'FO vip')!;
    expect(vip).toMatchObject({ entered: 1025, synced: 1000, duplicates: 25 });
    segments.forEach((segment, s) => {
      expect(sameSet(listRecords(t.sandbox, segment), hashes(range(0, 4000).filter((i) => i % 4 === s))), segment).toBe(true);
    });
    expect(result.stderr).toMatch(/4 audiences/);
  });

  it('on Ctrl-C a fan-out exits 130 with every audience recorded, and the rerun sends each only what it lacks', async () => {
    const home = makeHome();
    const segments = ['FO stop even', 'FO stop odd'];
    const users = range(10_000, 22_000);
    const file = writeSegments(home, 'stop.csv', users, (i) => segments[i % 2]!);
    // A low rate keeps most batches queued (not in flight) when Ctrl-C arrives.
    const args = ['push', file, '--audience-column', 'segment', '--ad-account', US, '--create', '--batch-size', '500', '--json'];
    const run = startInProcess([...args, '--rate', '10'], { home, env: sandboxEnv(t.sandbox) });
    const { code, stderr } = await stopWhen(run, afterMoreWrites(t.sandbox, 6), 'the sandbox took 6 more writes');
    expect(code, stderr).toBe(130);
    expect(stderr).toMatch(/Run the same command again to resume runs \d+, \d+/); // (it once matched "Interrupted" only in an audience's refusal note)
    expect(stderr).toMatch(/2 audiences/);
    // An audience whose list the first batch was to create may not exist yet.
    const held = (segment: string) => ([...t.sandbox.state.customerLists.values()].some((l) => l.name === segment) ? listRecords(t.sandbox, segment).size : 0);
    const acknowledged = segments.reduce((sum, segment) => sum + held(segment), 0);
    expect(acknowledged).toBeGreaterThan(0);
    expect(acknowledged).toBeLessThan(users.length);

    const writtenBefore = recordsWritten(t.sandbox);
    const rerun = await runInProcess([...args, '--rate', '100'], { home, env: sandboxEnv(t.sandbox), timeoutMs: 60_000 });
    expect(rerun.code, rerun.stderr).toBe(0);
    const report = parseJsonOutput<FanOutReport>(rerun);
    expect(report).toMatchObject({ entered: users.length, errored: 0, pending: 0 });
    expectFanOutAddsUp(report);
    expect(recordsWritten(t.sandbox) - writtenBefore).toBe(users.length - acknowledged);
    segments.forEach((segment, s) => {
      expect(sameSet(listRecords(t.sandbox, segment), hashes(users.filter((i) => i % 2 === s))), segment).toBe(true);
    });
  }, 120_000);

  it('a user listed in two audiences goes to both and counts in each', async () => {
    const home = makeHome();
    const file = writeFile(home, 'both.csv', `email,segment\n${email(1)},FO both A\n${email(1)},FO both B\n${email(2)},FO both A\n`);
    const result = await run('push', home, file, '--create');
    expect(result.code, result.stderr).toBe(0);
    const report = parseJsonOutput<FanOutReport>(result);
    expect(report).toMatchObject({ entered: 3, synced: 3, duplicates: 0, records: 3 });
    expectFanOutAddsUp(report);
    expect(listRecords(t.sandbox, 'FO both B').has(sha256(email(1)))).toBe(true);
    expect(listRecords(t.sandbox, 'FO both A').size).toBe(2);
  });

  it('without --create an audience the file names that does not exist stops with exit 5, naming it', async () => {
    const home = makeHome();
    const file = writeSegments(home, 'unknown.csv', range(0, 10), () => 'FO nowhere');
    const result = await run('push', home, file);
    expect(result.code).toBe(5);
    expect(result.stderr).toMatch(/No audience named "FO nowhere"/);
  });

  it('--audience together with --audience-column is a usage error (exit 2) and sends nothing', async () => {
    const home = makeHome();
    const file = writeSegments(home, 'both-flags.csv', range(0, 10), () => 'FO x');
    const before = t.sandbox.state.requests.length;
    const result = await run('push', home, file, '--audience', 'FO x');
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/--audience and --audience-column do not go together/);
    expect(t.sandbox.state.requests.length).toBe(before);
  });

  it('a missing audience column is named (exit 2)', async () => {
    const home = makeHome();
    const file = writeSegments(home, 'nocol.csv', range(0, 10), () => 'FO x');
    const result = await runInProcess(['push', file, '--audience-column', 'tier', '--ad-account', US, '--json'], { home, env: sandboxEnv(t.sandbox) });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/No column "tier" in the input for --audience-column/);
  });

  it('reads the audience from a dotted NDJSON path', async () => {
    const home = makeHome();
    const objects = range(0, 20).map((i) => JSON.stringify({ traits: { email: email(i), tier: i % 2 ? 'FO odd' : 'FO even' } }));
    const file = writeFile(home, 'events.ndjson', objects.join('\n') + '\n');
    const result = await runInProcess(
      ['push', file, '--audience-column', 'traits.tier', '--email-column', 'traits.email', '--ad-account', US, '--create', '--json'],
      { home, env: sandboxEnv(t.sandbox) },
    );
    expect(result.code, result.stderr).toBe(0);
    expect(parseJsonOutput<FanOutReport>(result)).toMatchObject({ entered: 20, synced: 20 });
    expect(sameSet(listRecords(t.sandbox, 'FO odd'), hashes(range(0, 20).filter((i) => i % 2)))).toBe(true);
  });

  it('sync mirrors four segments, then a second sync moves users between them exactly', async () => {
    const home = makeHome();
    const segments = ['FS vip', 'FS lapsed', 'FS newsletter', 'FS winback'];
    const users = range(0, 2000);
    const first = writeSegments(home, 'day1.csv', users, (i) => segments[i % 4]!);
    const day1 = await run('sync', home, first, '--create');
    expect(day1.code, day1.stderr).toBe(0);
    const report1 = parseJsonOutput<FanOutReport>(day1);
    expect(report1).toMatchObject({ operation: 'MIRROR', entered: 2000, synced: 2000, added: 2000, removed: 0 });
    expectFanOutAddsUp(report1);
    segments.forEach((segment, s) => expect(sameSet(listRecords(t.sandbox, segment), hashes(users.filter((i) => i % 4 === s)))).toBe(true));

    // Day 2: users 0..99 move one segment on (vip → lapsed …), 1900..1999 leave, 10 rows name no segment.
    const moved = (i: number) => (i < 100 ? (i + 1) % 4 : i % 4);
    const day2Users = range(0, 1900);
    const second = writeSegments(home, 'day2.csv', [...day2Users, ...range(5000, 5010)], (i) => (i >= 5000 ? '' : segments[moved(i)]!));
    const day2 = await run('sync', home, second);
    expect(day2.code, day2.stderr).toBe(0);
    const report2 = parseJsonOutput<FanOutReport>(day2);
    expect(report2).toMatchObject({ entered: 1910, synced: 1900, notSynced: 10, added: 100, removed: 200, errored: 0, pending: 0 });
    expect(report2.notSyncedReasons).toEqual({ missing_audience: 10 });
    expectFanOutAddsUp(report2);
    for (const audience of report2.audiences) expect(audience).toMatchObject({ added: 25, removed: 50 });
    segments.forEach((segment, s) => {
      expect(sameSet(listRecords(t.sandbox, segment), hashes(day2Users.filter((i) => moved(i) === s))), segment).toBe(true);
    });
  });

  it('sync applies --max-remove per audience and, when one audience would exceed it, sends nothing to any (exit 2)', async () => {
    const home = makeHome();
    const first = writeSegments(home, 'day1.csv', range(0, 400), (i) => (i < 200 ? 'FM small' : 'FM big'));
    expect((await run('sync', home, first, '--create')).code).toBe(0);
    // "FM big" loses 30 of 200 (15%, allowed); "FM small" loses 60 of 200 (30%, more than 20%).
    const second = writeSegments(home, 'day2.csv', [...range(60, 200), ...range(200, 370)], (i) => (i < 200 ? 'FM small' : 'FM big'));
    const before = t.sandbox.state.requests.length;
    const refused = await run('sync', home, second);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/audience "FM small".*more than --max-remove 20%/);
    expect(t.sandbox.state.requests.slice(before).filter((r) => r.method !== 'GET')).toEqual([]);
    const allowed = await run('sync', home, second, '--max-remove', '40');
    expect(allowed.code, allowed.stderr).toBe(0);
    expect(sameSet(listRecords(t.sandbox, 'FM small'), hashes(range(60, 200)))).toBe(true);
    expect(sameSet(listRecords(t.sandbox, 'FM big'), hashes(range(200, 370)))).toBe(true);
  });
});
