// `pinsync run jobs.yaml`: a push, a command-fed sync and a remove run side by side to exact lists;
// a failing command removes nobody; a bad jobs file stops before any request; and pinsync processes
// on one PINSYNC_HOME and one token share one write budget (no 429 from a sandbox at 7/s).
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { startSandbox } from '../../src/sandbox/server.js';
import { parseJsonOutput, runCli } from '../support/cli.js';
import { makeHome } from '../support/home.js';
import { runInProcess } from '../support/in-process.js';
import { countsAddUp } from '../support/reports.js';
import { arrangeAudience, sandboxEnv, sandboxPerTest, US } from '../support/sandbox.js';
import { listRecords, sameSet } from '../support/sandbox-records.js';
import { email, hashesOf, sha256, writeUsers } from '../support/users.js';

interface JobsOutput {
  exitCode: number;
  jobs: Array<{ name: string; exitCode: number; report: Record<string, any> | null; message?: string }>;
}

const t = sandboxPerTest({ writeRate: 1000 });

function writeJobs(yaml: string): string {
  const file = path.join(t.dir, 'jobs.yaml');
  fs.writeFileSync(file, yaml);
  return file;
}

const run = (home: string, ...args: string[]) => runInProcess(['run', ...args], { home, env: sandboxEnv(t.sandbox), timeoutMs: 60_000 });
const listWrites = () => t.sandbox.state.requests.filter((r) => r.method === 'PATCH' && r.path.includes('/customer_lists/'));

describe('pinsync run', () => {
  it('runs a push, a command-fed sync, a remove and a fan-out to exit 0 with exact lists and one report each', async () => {
    const home = makeHome();
    writeUsers(t.dir, 'newsletter.csv', 0, 300);
    writeUsers(t.dir, 'optouts.csv', 0, 1); // user0 opted out: never sent, by any job
    writeUsers(t.dir, 'crm.csv', 1000, 1400);
    writeUsers(t.dir, 'churned.csv', 2000, 2100);
    arrangeAudience(t.sandbox, 'Churned', [...hashesOf(2000, 2250)]);
    const segmentRows = Array.from({ length: 60 }, (_, i) => `${email(3000 + i)},${i % 2 === 0 ? 'VIP' : 'Lapsed'}`);
    fs.writeFileSync(path.join(t.dir, 'segments.csv'), ['email,segment', ...segmentRows].join('\n') + '\n');
    const jobs = writeJobs(`ad_account: "${US}"
rate: 100
exclude: optouts.csv
jobs:
  - name: newsletter
    file: newsletter.csv
    audience: Newsletter
    create: true
  - name: crm
    mode: sync
    command: cat crm.csv
    audience: CRM mirror
    create: true
    max_remove: 30
  - name: churned
    mode: remove
    file: churned.csv
    audience: Churned
  - name: segments
    file: segments.csv
    audience_column: segment
    create: true
`);
    const result = await run(home, jobs, '--json');
    expect(result.code, result.stderr).toBe(0);
    const output = parseJsonOutput<JobsOutput>(result);
    expect(output.exitCode).toBe(0);
    expect(output.jobs.map((job) => [job.name, job.exitCode])).toEqual([
      ['newsletter', 0],
      ['crm', 0],
      ['churned', 0],
      ['segments', 0],
    ]);
    const [newsletter, crm, churned, segments] = output.jobs.map((job) => job.report!);
    expect(newsletter).toMatchObject({ command: 'push', operation: 'ADD', entered: 300, synced: 299, notSyncedReasons: { excluded: 1 } });
    expect(crm).toMatchObject({ command: 'sync', operation: 'MIRROR', entered: 400, synced: 400, added: 400, removed: 0 });
    expect(churned).toMatchObject({ operation: 'REMOVE', entered: 100, synced: 100 });
    expect(segments).toMatchObject({ entered: 60, synced: 60 });
    for (const report of [newsletter, crm, churned, segments]) expect(countsAddUp(report!)).toBe(true);
    const even = (from: number) => new Set(Array.from({ length: 30 }, (_, i) => sha256(email(from + 2 * i))));
    expect(sameSet(listRecords(t.sandbox, 'VIP'), even(3000))).toBe(true);
    expect(sameSet(listRecords(t.sandbox, 'Lapsed'), even(3001))).toBe(true);
    expect(sameSet(listRecords(t.sandbox, 'Newsletter'), hashesOf(1, 300))).toBe(true);
    expect(sameSet(listRecords(t.sandbox, 'CRM mirror'), hashesOf(1000, 1400))).toBe(true);
    expect(sameSet(listRecords(t.sandbox, 'Churned'), hashesOf(2100, 2250))).toBe(true);
    // Each job talks on stderr under its name; the run ends with a line per job and a total.
    expect(result.stderr).toMatch(/^\[crm\] First sync of audience "CRM mirror"/m);
    expect(result.stderr).toMatch(/^ {2}churned +remove +exit 0 +100 entered/m);
    expect(result.stderr).toMatch(/^Total: 4 jobs, 0 failed \(exit 0\); 860 entered, 859 synced/m);

    // The sync job alone, with users gone and new: it mirrors like `pinsync sync`, from its snapshot.
    writeUsers(t.dir, 'crm.csv', 1100, 1450);
    const again = await run(home, jobs, 'crm', '--json');
    expect(again.code, again.stderr).toBe(0);
    const [second] = parseJsonOutput<JobsOutput>(again).jobs;
    expect(second).toMatchObject({ name: 'crm', exitCode: 0, report: { added: 50, removed: 100 } });
    expect(sameSet(listRecords(t.sandbox, 'CRM mirror'), hashesOf(1100, 1450))).toBe(true);
  });

  it('a sync whose command fails removes nobody, keeps its snapshot and fails with exit 2', async () => {
    const home = makeHome();
    writeUsers(t.dir, 'all.csv', 0, 200);
    writeUsers(t.dir, 'half.csv', 100, 200);
    const jobs = (command: string) =>
      writeJobs(`ad_account: "${US}"
rate: 100
jobs:
  - { name: mirror, mode: sync, command: "${command}", audience: Mirrored, create: true, max_remove: 60 }
`);
    const first = await run(home, jobs('cat all.csv'), '--json');
    expect(first.code, first.stderr).toBe(0);

    const writesBefore = listWrites().length;
    const truncated = await run(home, jobs('cat half.csv; exit 3'), '--json', '--report', path.join(t.dir, 'run.json'));
    expect(truncated.code, truncated.stderr).toBe(2);
    const output = parseJsonOutput<JobsOutput>(truncated);
    expect(output.exitCode).toBe(2);
    expect(output.jobs[0]).toMatchObject({ name: 'mirror', exitCode: 2 });
    expect(output.jobs[0]!.message).toMatch(/exited with code 3: its output may be incomplete, so nothing was removed/);
    expect(countsAddUp(output.jobs[0]!.report!)).toBe(true);
    expect(JSON.parse(fs.readFileSync(path.join(t.dir, 'run.json'), 'utf8'))).toEqual(output);
    expect(listWrites().length).toBe(writesBefore);
    expect(sameSet(listRecords(t.sandbox, 'Mirrored'), hashesOf(0, 200))).toBe(true);

    // The snapshot is still the whole export's: the next whole run removes the 100 gone users.
    const whole = await run(home, jobs('cat half.csv'), '--json');
    expect(whole.code, whole.stderr).toBe(0);
    expect(parseJsonOutput<JobsOutput>(whole).jobs[0]!.report).toMatchObject({ added: 0, removed: 100 });
    expect(sameSet(listRecords(t.sandbox, 'Mirrored'), hashesOf(100, 200))).toBe(true);
  });

  it('a job whose report: file fails after its rows were sent keeps its counts in run --json and the metrics file (exit 2, the sentence)', async () => {
    const home = makeHome();
    writeUsers(t.dir, 'users.csv', 0, 50);
    fs.mkdirSync(path.join(t.dir, 'out'));
    const metrics = path.join(t.dir, 'pinsync.prom');
    // The folder is there when the outputs are checked (before any job, and again as the job opens its
    // input); the job's own command takes it away after printing its rows, a second after the job began.
    const jobs = writeJobs(`ad_account: "${US}"
jobs:
  - name: newsletter
    command: cat users.csv && sleep 1 && rm -r out
    audience: Newsletter
    create: true
    report: out/report.json
`);
    const result = await run(home, jobs, '--json', '--metrics-file', metrics);
    expect(result.code, result.stderr).toBe(2);
    const [job] = parseJsonOutput<JobsOutput>(result).jobs;
    expect(job).toMatchObject({ name: 'newsletter', exitCode: 2, report: { entered: 50, synced: 50 } });
    expect(job!.message).toMatch(/Cannot write .*report\.json.*The run itself has ended as the summary says/);
    expect(sameSet(listRecords(t.sandbox, 'Newsletter'), hashesOf(0, 50))).toBe(true);
    expect(fs.readFileSync(metrics, 'utf8')).toContain('pinsync_rows_total{pinsync_job="newsletter",audience="Newsletter",outcome="synced"} 50');
  });

  it('a bad jobs file stops before any request (exit 2, file:line and key named)', async () => {
    writeUsers(t.dir, 'a.csv', 0, 10);
    const jobs = writeJobs(`jobs:
  - name: a
    file: a.csv
    audience: A
    emial_column: Email
`);
    const result = await run(makeHome(), jobs);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^pinsync: jobs\.yaml:5: unknown key jobs\[0\]\.emial_column/m);
    expect(t.sandbox.state.requests).toEqual([]);
  });

  it('two pinsync processes on one PINSYNC_HOME and one token share the write budget: no 429 at 7/s', async () => {
    // Processes are the point: each has its own limiter, and only the budget file in the home joins them.
    const limited = await startSandbox({ port: 0, writeRate: 7 });
    try {
      const home = makeHome();
      arrangeAudience(limited, 'Left');
      arrangeAudience(limited, 'Right');
      // 20 writes of 3 records each per process: together 40 writes, about 6 s at 7/s.
      const left = writeUsers(t.dir, 'left.csv', 0, 60);
      const right = writeUsers(t.dir, 'right.csv', 100, 160);
      const push = (file: string, audience: string) =>
        runCli(['push', file, '--audience', audience, '--ad-account', US, '--batch-size', '3', '--json'], {
          home,
          env: sandboxEnv(limited),
          timeoutMs: 60_000,
        });
      const [a, b] = await Promise.all([push(left, 'Left'), push(right, 'Right')]);
      expect(a.code, a.stderr).toBe(0);
      expect(b.code, b.stderr).toBe(0);
      const writes = limited.state.requests.filter((r) => r.method === 'PATCH');
      expect(writes.filter((r) => r.status === 429)).toEqual([]);
      expect(writes.length).toBe(40);
      expect(listRecords(limited, 'Left').has(sha256(email(59)))).toBe(true);
      expect(listRecords(limited, 'Right').size).toBe(60);
    } finally {
      await limited.stop();
    }
  });
});
