// `pinsync doctor` preflights what issue 19 hardened (finding 18): a segment column (its audiences, new
// ones against --max-new-audiences, an identifier column refused), exclusion lists (readable, of the
// input's kinds) and a whole jobs file (valid, outputs apart from inputs, each job's audience and file).
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox, type Sandbox } from '../../src/sandbox/server.js';

import { runInProcess } from '../support/in-process.js';
import { US, arrangeAudience, sandboxEnv } from '../support/sandbox.js';
import { makeHome } from '../support/home.js';
import { email, writeUsers } from '../support/users.js';



let sandbox: Sandbox;
beforeAll(async () => {
  sandbox = await startSandbox({ port: 0 });
});
afterAll(async () => {
  await sandbox.stop();
});

const doctor = (args: string[]) => runInProcess(['doctor', ...args], { env: sandboxEnv(sandbox) });

function writeSegments(dir: string, name: string, segments: string[]): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, ['email,segment', ...segments.map((segment, i) => `${email(i)},${segment}`)].join('\n') + '\n');
  return file;
}

describe('doctor --audience-column', () => {
  it('looks up every audience the column names: missing ones fail (exit 5) unless --create, then they count against --max-new-audiences', async () => {
    const dir = makeHome('pinsync-doctor-');
    arrangeAudience(sandbox, 'Doctor VIP');
    const file = writeSegments(dir, 'seg.csv', ['Doctor VIP', 'Doctor new', 'Doctor VIP', 'Doctor other']);
    const missing = await doctor([file, '--audience-column', 'segment', '--ad-account', US]);
    expect(missing.code, missing.stdout).toBe(5);
    expect(missing.stdout).toMatch(/^FAIL column segment: 2 of its 3 audiences do not exist \("Doctor new", "Doctor other"\)/m);
    const created = await doctor([file, '--audience-column', 'segment', '--ad-account', US, '--create']);
    expect(created.code, created.stdout).toBe(0);
    expect(created.stdout).toMatch(/^ok +column segment names 3 audiences: 1 exists, 2 will be created \(--create\)$/m);
    const limited = await doctor([file, '--audience-column', 'segment', '--ad-account', US, '--create', '--max-new-audiences', '1']);
    expect(limited.code, limited.stdout).toBe(2);
    expect(limited.stdout).toMatch(/^FAIL .*2 new audiences.*more than --max-new-audiences 1/m);
  });

  it('refuses an identifier column (exit 2)', async () => {
    const dir = makeHome('pinsync-doctor-');
    const file = writeSegments(dir, 'seg.csv', ['A']);
    const result = await doctor([file, '--audience-column', 'email']);
    expect(result.code).toBe(2);
    expect(result.stdout).toMatch(/^FAIL .*--audience-column email is an identifier column/m);
  });
});

describe('doctor --exclude', () => {
  it('reads each list: rows and kinds, a warning for kinds the input lacks, exit 2 for one that cannot be read', async () => {
    const dir = makeHome('pinsync-doctor-');
    const file = writeUsers(dir, 'users.csv', 0, 10);
    const emails = writeUsers(dir, 'optouts.csv', 0, 3);
    const maids = path.join(dir, 'devices.csv');
    fs.writeFileSync(maids, 'maid\n6f9619ff-8b86-d011-b42d-00c04fc964ff\n');
    const good = await doctor([file, '--exclude', emails, '--exclude', maids]);
    expect(good.stdout).toMatch(/^ok +exclusion file optouts\.csv: 3 rows, 3 identifiers \(email\)/m);
    expect(good.stdout).toMatch(/^warn .*devices\.csv lists maid identifiers and the input has email ones/m);
    const bad = await doctor([file, '--exclude', path.join(dir, 'nope.csv')]);
    expect(bad.code).toBe(2);
    expect(bad.stdout).toMatch(/^FAIL .*exclusion file .*nope\.csv/m);
  });
});

describe('doctor jobs.yaml', () => {
  it('checks the jobs file, its outputs and each job\'s audience, file and exclusions', async () => {
    const dir = makeHome('pinsync-doctor-');
    arrangeAudience(sandbox, 'Doctor jobs');
    writeUsers(dir, 'a.csv', 0, 10);
    writeUsers(dir, 'optouts.csv', 0, 2);
    const jobs = path.join(dir, 'jobs.yaml');
    const write = (extra = '') =>
      fs.writeFileSync(
        jobs,
        `ad_account: "${US}"\nexclude: optouts.csv\njobs:\n` +
          `  - { name: ok, file: a.csv, audience: Doctor jobs${extra} }\n` +
          `  - { name: missing, file: a.csv, audience: Doctor nowhere }\n` +
          `  - { name: exported, command: "cat a.csv", audience: Doctor jobs }\n`,
      );
    write();
    const adAccountLookUps = () => sandbox.state.requests.filter((r) => r.method === 'GET' && r.path === `/v5/ad_accounts/${US}`).length;
    const lookedUp = adAccountLookUps();
    const result = await doctor([jobs]);
    expect(result.code, result.stdout).toBe(5);
    expect(result.stdout.match(/^ok +\[\w+\] ad account \d+ .*is reachable$/gm)).toHaveLength(3); // each job says it
    expect(adAccountLookUps() - lookedUp).toBe(1); // the three jobs' account, looked up once
    expect(result.stdout).toMatch(/^ok +jobs file .*jobs\.yaml: 3 jobs/m);
    expect(result.stdout).toMatch(/^ok +\[ok\] audience "Doctor jobs" \(\d+\) exists/m);
    expect(result.stdout).toMatch(/^ok +\[ok\] .*a\.csv: identifier columns "email"/m);
    expect(result.stdout).toMatch(/^ok +\[ok\] exclusion file optouts\.csv/m);
    expect(result.stdout).toMatch(/^FAIL \[missing\] audience: No audience named "Doctor nowhere"/m);
    expect(result.stdout).toMatch(/^ok +\[exported\] command: `cat a\.csv` is run by the job, not by doctor/m);
    write(', report: a.csv');
    const clash = await doctor([jobs]);
    expect(clash.code).toBe(2);
    expect(clash.stdout).toMatch(/^FAIL .*report: .*a\.csv is the input of job "ok"/m);
  });

  it('checks a job with its own options as its run takes them (phone_column) and the file\'s metrics_file: with the outputs', async () => {
    const dir = makeHome('pinsync-doctor-');
    arrangeAudience(sandbox, 'Doctor phones');
    fs.writeFileSync(path.join(dir, 'phones.csv'), 'whatsapp\n+14155550100\n+14155550101\n'); // a header pinsync does not take for a phone column by itself
    const jobs = path.join(dir, 'jobs.yaml');
    const write = (top = '') => fs.writeFileSync(jobs, `ad_account: "${US}"\n${top}jobs:\n  - { name: phones, file: phones.csv, audience: Doctor phones, phone_column: whatsapp }\n`);
    write();
    const result = await doctor([jobs]);
    expect(result.code, result.stdout).toBe(0);
    expect(result.stdout).toMatch(/^ok +\[phones\] .*phones\.csv: identifier columns "whatsapp"/m);
    write('metrics_file: phones.csv\n');
    const clash = await doctor([jobs]);
    expect(clash.code, clash.stdout).toBe(2);
    expect(clash.stdout).toMatch(/^FAIL .*--metrics-file .*phones\.csv is the input of job "phones"/m);
  });
});
