// No single flag lifts both of sync's guards: --force lifts only --max-remove, and a file where most
// rows have no valid identifier needs --allow-missing-identifiers.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseJsonOutput } from '../support/cli.js';
import { makeHome } from '../support/home.js';
import { runInProcess } from '../support/in-process.js';
import { sandboxEnv, sandboxPerFile, US } from '../support/sandbox.js';
import { listRecords } from '../support/sandbox-records.js';
import { writeUsers } from '../support/users.js';

const t = sandboxPerFile({ writeRate: 100 });

const sync = (home: string, file: string, ...extra: string[]) =>
  runInProcess(['sync', file, '--audience', 'Guarded', '--ad-account', US, '--rate', '100', '--json', ...extra], { home, env: sandboxEnv(t.sandbox) });

describe('sync guards', () => {
  it('--force does not let a file of blank emails empty the audience; --allow-missing-identifiers names that case alone', async () => {
    const home = makeHome();
    expect((await sync(home, writeUsers(home, 'users.csv', 0, 2000), '--create')).code).toBe(0);
    const blank = path.join(home, 'blank.csv');
    fs.writeFileSync(blank, 'email,name\n' + ',someone\n'.repeat(2000));

    const forced = await sync(home, blank, '--force');
    expect(forced.code).toBe(2);
    expect(forced.stderr).toMatch(/2000 of the 2000 rows have no valid identifier in "email".*--allow-missing-identifiers/);
    expect(listRecords(t.sandbox, 'Guarded').size).toBe(2000);

    const allowed = await sync(home, blank, '--allow-missing-identifiers');
    expect(allowed.code).toBe(2);
    expect(allowed.stderr).toMatch(/more than --max-remove 20%/);
    expect(listRecords(t.sandbox, 'Guarded').size).toBe(2000);

    const both = await sync(home, blank, '--allow-missing-identifiers', '--force');
    expect(both.code, both.stderr).toBe(0);
    expect(parseJsonOutput(both)).toMatchObject({ removed: 2000, toRemove: 2000, stoppedBy: 'end' });
    expect(listRecords(t.sandbox, 'Guarded').size).toBe(0);
  }, 60_000);

  it('judges the whole file, not only its first rows', async () => {
    const home = makeHome();
    const file = path.join(home, 'tail-blank.csv');
    const good = fs.readFileSync(writeUsers(home, 'good.csv', 0, 1000), 'utf8').replace(/\n/g, ',x\n'); // email,x
    fs.writeFileSync(file, good + ',x\n'.repeat(3000)); // a first window of good rows, then 3,000 blank emails
    const r = await sync(home, file, '--create');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/3000 of the 4000 rows have no valid identifier/);
  }, 60_000);
});
