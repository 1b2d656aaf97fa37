// Mirror sync: the audience ends up holding exactly the file's users, and only the difference from
// the last sync is sent.
import { describe, expect, it } from 'vitest';
import { parseJsonOutput } from '../support/cli.js';
import { makeHome } from '../support/home.js';
import { runInProcess } from '../support/in-process.js';
import { sandboxEnv, sandboxPerFile, US } from '../support/sandbox.js';
import { listRecords, recordsWritten, sameSet } from '../support/sandbox-records.js';
import { hashesOf, writeUsers } from '../support/users.js';

const t = sandboxPerFile({ writeRate: 100 });

const sync = (home: string, file: string, audience: string, ...extra: string[]) =>
  runInProcess(['sync', file, '--audience', audience, '--ad-account', US, '--rate', '100', '--json', ...extra], {
    home,
    env: sandboxEnv(t.sandbox),
  });

interface MirrorReport {
  operation: string;
  entered: number;
  synced: number;
  errored: number;
  pending: number;
  added: number;
  removed: number;
  records: number;
  firstSync: boolean;
}

describe('pinsync sync', () => {
  it('syncing A then B leaves exactly B, sending only the difference', async () => {
    const home = makeHome();
    const a = writeUsers(home, 'a.csv', 0, 3000);
    const first = await sync(home, a, 'Mirror AB', '--create');
    expect(first.code, first.stderr).toBe(0);
    const firstReport = parseJsonOutput<MirrorReport>(first);
    expect(firstReport).toMatchObject({ operation: 'MIRROR', entered: 3000, synced: 3000, added: 3000, removed: 0, firstSync: true });
    expect(first.stderr).toMatch(/First sync .*nothing is removed/);
    expect(sameSet(listRecords(t.sandbox, 'Mirror AB'), hashesOf(0, 3000))).toBe(true);

    const b = writeUsers(home, 'b.csv', 500, 3200); // 500 gone, 200 new
    const writtenBefore = recordsWritten(t.sandbox);
    const second = await sync(home, b, 'Mirror AB');
    expect(second.code, second.stderr).toBe(0);
    expect(parseJsonOutput<MirrorReport>(second)).toMatchObject({
      entered: 2700,
      synced: 2700,
      errored: 0,
      pending: 0,
      added: 200,
      removed: 500,
      records: 700,
      firstSync: false,
    });
    expect(recordsWritten(t.sandbox) - writtenBefore).toBe(700);
    expect(sameSet(listRecords(t.sandbox, 'Mirror AB'), hashesOf(500, 3200))).toBe(true);

    // Nothing changed: nothing is sent.
    const third = await sync(home, b, 'Mirror AB');
    expect(third.code, third.stderr).toBe(0);
    expect(parseJsonOutput<MirrorReport>(third)).toMatchObject({ added: 0, removed: 0, records: 0, synced: 2700 });
    expect(recordsWritten(t.sandbox) - writtenBefore).toBe(700);
  });

  it('stops before a mass removal off a terminal (exit 2) unless --force, and --dry-run only counts', async () => {
    const home = makeHome();
    const full = writeUsers(home, 'full.csv', 0, 1000);
    expect((await sync(home, full, 'Mirror guard', '--create')).code).toBe(0);
    const small = writeUsers(home, 'small.csv', 0, 500); // would remove 50%

    const dry = await sync(home, small, 'Mirror guard', '--dry-run');
    expect(dry.code, dry.stderr).toBe(0);
    expect(parseJsonOutput<MirrorReport>(dry)).toMatchObject({ added: 0, removed: 0, toRemove: 500, records: 0 });

    const refused = await sync(home, small, 'Mirror guard');
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/would remove 500 of the 1,000 .*more than --max-remove 20%: nothing was sent/);
    expect(listRecords(t.sandbox, 'Mirror guard').size).toBe(1000);

    const forced = await sync(home, small, 'Mirror guard', '--force');
    expect(forced.code, forced.stderr).toBe(0);
    expect(sameSet(listRecords(t.sandbox, 'Mirror guard'), hashesOf(0, 500))).toBe(true);
  });

  it('sends only the churn of a 100k-user audience (1M is in the benchmark)', async () => {
    const home = makeHome();
    const before = writeUsers(home, 'day1.csv', 0, 100_000);
    expect((await sync(home, before, 'Mirror churn', '--create')).code).toBe(0);
    const after = writeUsers(home, 'day2.csv', 1000, 101_000); // 1% churn
    const writtenBefore = recordsWritten(t.sandbox);
    const result = await sync(home, after, 'Mirror churn');
    expect(result.code, result.stderr).toBe(0);
    expect(parseJsonOutput<MirrorReport>(result)).toMatchObject({ added: 1000, removed: 1000, records: 2000 });
    expect(recordsWritten(t.sandbox) - writtenBefore).toBe(2000);
    expect(sameSet(listRecords(t.sandbox, 'Mirror churn'), hashesOf(1000, 101_000))).toBe(true);
  }, 120_000);

  it('reads standard input too (not resumable, but diffed against the snapshot like a file)', async () => {
    const home = makeHome();
    const users = ['email', 'a@example.com', 'b@example.com', 'A@Example.com ', 'not-an-email'].join('\n') + '\n';
    const args = ['sync', '-', '--audience', 'Mirror stdin', '--ad-account', US, '--create', '--rate', '100', '--json'];
    const first = await runInProcess(args, { home, env: sandboxEnv(t.sandbox), input: users });
    expect(first.code, first.stderr).toBe(0);
    // Two users cannot make a Pinterest audience: they wait in the customer list, and the audience with them.
    expect(parseJsonOutput(first)).toMatchObject({ entered: 4, synced: 2, duplicates: 1, notSynced: 1, added: 2, removed: 0, audiencePending: true });
    const second = await runInProcess([...args, '--max-remove', '50'], { home, env: sandboxEnv(t.sandbox), input: 'email\nb@example.com\nc@example.com\n' });
    expect(second.code, second.stderr).toBe(0);
    expect(parseJsonOutput(second)).toMatchObject({ entered: 2, synced: 2, added: 1, removed: 1, records: 2 });
    expect(listRecords(t.sandbox, 'Mirror stdin').size).toBe(2);
  });
});
