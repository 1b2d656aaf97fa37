// The home's write-budget file found stale (its slots an hour ahead: a clock set back) or damaged
// (garbage bytes): a push says so once, repairs it and sends at full speed, the processes of the home
// share the repaired file again (no 429), and `pinsync doctor` reports it instead of "Ready.".
import fs from 'node:fs';
import Database from 'better-sqlite3';
import { beforeEach, describe, expect, it } from 'vitest';
import { budgetFiles, recordedGrants } from '../support/budget-file.js';
import { parseJsonOutput } from '../support/cli.js';
import { makeHome } from '../support/home.js';
import { runInProcess } from '../support/in-process.js';
import { US, arrangeAudience, sandboxEnv, sandboxPerTest } from '../support/sandbox.js';
import { writeUsers } from '../support/users.js';

const HOUR_MS = 3_600_000;
const STALE = /warning: the write budget that this home's pinsync processes share \(.+\.db\) held times 60 min ahead of this machine's clock/g;
const DAMAGED = /warning: the write budget that this home's pinsync processes share \(.+\.db\) was damaged \(file is not a database\): replaced it with a new one\./g;

const box = sandboxPerTest({ writeRate: 7 });
let home: string;
beforeEach(() => {
  home = makeHome();
});

/** `users` rows pushed to `audience` in writes of 3 records (a write request per 3 rows). */
function push(file: string, audience = 'Newsletter') {
  return runInProcess(['push', file, '--audience', audience, '--ad-account', US, '--batch-size', '3', '--json'], {
    env: sandboxEnv(box.sandbox),
    home,
    timeoutMs: 60_000,
  });
}

/** The home's budget file for the sandbox's token, as a first push left it. */
async function budgetFileAfterAPush(): Promise<string> {
  arrangeAudience(box.sandbox);
  expect((await push(writeUsers(box.dir, 'first.csv', 0, 3))).code).toBe(0);
  const files = budgetFiles(home);
  expect(files).toHaveLength(1);
  return files[0]!;
}

/** Times the sandbox received requests from index `from` on. */
function requestTimes(from: number): number[] {
  return box.sandbox.state.requests.slice(from).map((request) => request.time);
}

describe('a stale or damaged write-budget file', () => {
  it('slots an hour ahead (a clock set back): the push says so once, resets them and sends its writes without a pause', async () => {
    const file = await budgetFileAfterAPush();
    const db = new Database(file);
    db.prepare('UPDATE budget SET next_slot = ?').run(Date.now() + HOUR_MS);
    db.close();
    const before = box.sandbox.state.requests.length;
    const result = await push(writeUsers(box.dir, 'users.csv', 100, 130));
    expect(result.code, result.stderr).toBe(0);
    expect(parseJsonOutput<{ synced: number }>(result).synced).toBe(30);
    expect(result.stderr.match(STALE)).toHaveLength(1);
    // Ten writes at 7/s, a request every 143 ms: an hour-long slot would leave a gap of an hour.
    const times = requestTimes(before);
    const gaps = times.slice(1).map((time, i) => time - times[i]!);
    expect(Math.max(...gaps)).toBeLessThan(5_000);
  });

  it('garbage bytes: replaced and said once, and two pushes on one home and one token share the new file again (no 429)', async () => {
    const file = await budgetFileAfterAPush();
    fs.writeFileSync(file, Buffer.alloc(16_384, 0xa5));
    arrangeAudience(box.sandbox, 'Left');
    arrangeAudience(box.sandbox, 'Right');
    const before = box.sandbox.state.requests.length;
    // 20 writes each: together 40, about 6 s at 7/s; each alone at 7/s would meet 429s.
    const [left, right] = await Promise.all([push(writeUsers(box.dir, 'left.csv', 0, 60), 'Left'), push(writeUsers(box.dir, 'right.csv', 100, 160), 'Right')]);
    expect(left.code, left.stderr).toBe(0);
    expect(right.code, right.stderr).toBe(0);
    const writes = box.sandbox.state.requests.slice(before).filter((request) => request.method === 'PATCH');
    expect(writes.filter((request) => request.status === 429)).toEqual([]);
    expect(writes).toHaveLength(40);
    expect((left.stderr + right.stderr).match(DAMAGED)).toHaveLength(1);
    expect(recordedGrants(file).length).toBeGreaterThan(0); // a budget file again
  });

  it('pinsync doctor reports a stale file and a damaged one as warnings with what it did, then "in order"', async () => {
    const file = await budgetFileAfterAPush();
    const doctor = () => runInProcess(['doctor', '--ad-account', US], { env: sandboxEnv(box.sandbox), home });
    const db = new Database(file);
    db.prepare('UPDATE budget SET next_slot = ?, last_grant = ?').run(Date.now() + 2 * HOUR_MS, Date.now() + 2 * HOUR_MS);
    db.close();
    const stale = await doctor();
    expect(stale.code, stale.stdout).toBe(0);
    expect(stale.stdout).toMatch(/^warn the write budget that this home's pinsync processes share \(.+\.db\) held times 120 min ahead of this machine's clock \(a clock set back, or a file from another machine\): reset it to now\.$/m);
    expect(stale.stderr).toMatch(/Ready, with warnings\./);

    fs.writeFileSync(file, 'garbage '.repeat(1000));
    const damaged = await doctor();
    expect(damaged.stdout).toMatch(/^warn the write budget that this home's pinsync processes share \(.+\.db\) was damaged \(file is not a database\): replaced it with a new one\.$/m);
    expect(damaged.stderr).toMatch(/Ready, with warnings\./);

    const repaired = await doctor();
    expect(repaired.stdout).toMatch(/^ok +write budget shared by this home's pinsync processes is in order \(one token\)$/m);
    expect(repaired.stdout).not.toMatch(/^warn/m);
  });
});
