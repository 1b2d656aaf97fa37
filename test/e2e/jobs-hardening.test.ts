// `pinsync run` under attack (issue 19): a truncated command export removes nobody and is recorded as it
// ended (10); a dry run says what it would do (14); a jobs file from standard input (15); a second
// SIGTERM leaves no command running (16); messages that read right (17).
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunReport } from '../../src/report/run-report.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/server.js';
import { cliEntry, cliEnv, parseJsonOutput, runCli } from '../support/cli.js';
import { runInProcess } from '../support/in-process.js';
import { readOnly } from '../support/read-only.js';
import { US, arrangeAudience, sandboxEnv } from '../support/sandbox.js';
import { waitUntil } from '../support/wait.js';
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

interface JobsOutput {
  exitCode: number;
  jobs: Array<{ name: string; exitCode: number; report: (RunReport & Record<string, any>) | null; message?: string }>;
}

const run = (home: string, args: string[], extra: { input?: string; cwd?: string } = {}) => runInProcess(args, { home, env: sandboxEnv(sandbox), ...extra });
const writes = (since: number) => sandbox.state.requests.slice(since).filter((r) => r.method !== 'GET');

function writeJobs(dir: string, yaml: string, name = 'jobs.yaml'): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, yaml);
  return file;
}

describe('a truncated command export', () => {
  it('a mode: remove job whose command fails removes nobody (exit 2, "nothing was removed" is true)', async () => {
    const dir = makeHome('pinsync-jobs-');
    arrangeAudience(sandbox, 'Truncated remove', [...hashesOf(0, 200)]);
    writeUsers(dir, 'gone.csv', 0, 150);
    const jobs = writeJobs(dir, `ad_account: "${US}"\njobs:\n  - { name: unsubscribed, mode: remove, command: "head -n 100 gone.csv; exit 3", audience: Truncated remove }\n`);
    const since = sandbox.state.requests.length;
    const result = await run(makeHome(), ['run', jobs, '--json']);
    expect(result.code, result.stderr).toBe(2);
    const [job] = parseJsonOutput<JobsOutput>(result).jobs;
    expect(job).toMatchObject({ name: 'unsubscribed', exitCode: 2 });
    expect(job!.message).toMatch(/exited with code 3: its output may be incomplete, so nothing was removed/);
    expect(writes(since)).toEqual([]);
    expect(listRecords(sandbox, 'Truncated remove').size).toBe(200);
  });

  it('a push job whose command fails adds what it printed, says so, and `pinsync runs` records exit 2', async () => {
    const dir = makeHome('pinsync-jobs-');
    arrangeAudience(sandbox, 'Truncated push');
    writeUsers(dir, 'all.csv', 0, 150);
    const jobs = writeJobs(dir, `ad_account: "${US}"\njobs:\n  - { name: signups, command: "head -n 51 all.csv; exit 3", audience: Truncated push }\n`);
    const home = makeHome();
    const result = await run(home, ['run', jobs, '--json']);
    expect(result.code, result.stderr).toBe(2);
    const [job] = parseJsonOutput<JobsOutput>(result).jobs;
    expect(job!.message).toMatch(/exited with code 3: its output may be incomplete; the 50 users it printed were added/);
    expect(job!.message).not.toMatch(/nothing was removed/);
    expect(job!.report).toMatchObject({ stoppedBy: 'input' });
    expect(listRecords(sandbox, 'Truncated push').size).toBe(50);
    const runs = parseJsonOutput<Array<{ audienceName: string; exitCode: number }>>(await run(home, ['runs', '--json']));
    expect(runs.find((r) => r.audienceName === 'Truncated push')).toMatchObject({ exitCode: 2 });
  });
});

describe('a dry run says what it would do', () => {
  it('jobs totals, fan-out lines and a sync report speak of what would happen, and count nothing as sent', async () => {
    const dir = makeHome('pinsync-jobs-');
    writeUsers(dir, 'a.csv', 0, 30);
    fs.writeFileSync(path.join(dir, 'seg.csv'), ['email,segment', ...Array.from({ length: 20 }, (_, i) => `${email(i)},${i % 2 ? 'Dry A' : 'Dry B'}`)].join('\n') + '\n');
    const jobs = writeJobs(
      dir,
      `ad_account: "${US}"\njobs:\n` +
        `  - { name: plain, file: a.csv, audience: Dry plain, create: true }\n` +
        `  - { name: mirror, mode: sync, file: a.csv, audience: Dry mirror, create: true }\n` +
        `  - { name: segments, file: seg.csv, audience_column: segment, create: true }\n`,
    );
    const since = sandbox.state.requests.length;
    const result = await run(makeHome(), ['run', jobs, '--dry-run', '--json']);
    expect(result.code, result.stderr).toBe(0);
    expect(writes(since)).toEqual([]);
    expect(result.stderr).toMatch(/^Total: 3 jobs, 0 failed \(exit 0\); dry run: 80 entered, 80 would sync.*nothing was sent/m);
    expect(result.stderr).not.toMatch(/records sent|\d synced/);
    expect(result.stderr).toMatch(/· "Dry A": 10 rows, 10 would sync/);
    expect(result.stderr).toMatch(/Mirror \(dry run\): would add 30, would remove 0/);
    const [plain, mirror] = parseJsonOutput<JobsOutput>(result).jobs.map((job) => job.report!);
    expect(plain).toMatchObject({ dryRun: true, records: 0, wouldSend: { records: 30 } });
    expect(mirror).toMatchObject({ dryRun: true, added: 0, removed: 0, toAdd: 30, records: 0 });
  });
});

describe('a jobs file from standard input', () => {
  it('`pinsync run -` reads it from standard input; paths are relative to the current folder', async () => {
    const dir = makeHome('pinsync-jobs-');
    arrangeAudience(sandbox, 'Stdin jobs');
    writeUsers(dir, 'a.csv', 0, 20);
    const yaml = `ad_account: "${US}"\njobs:\n  - { name: a, file: a.csv, audience: Stdin jobs, report: a-report.json }\n`;
    const result = await run(makeHome(), ['run', '-'], { input: yaml, cwd: dir });
    expect(result.code, result.stderr).toBe(0);
    expect(fs.existsSync(path.join(dir, 'a-report.json'))).toBe(true);
    expect(sameSet(listRecords(sandbox, 'Stdin jobs'), hashesOf(0, 20))).toBe(true);
  });

  it('`pinsync run /dev/stdin`: files, commands and reports are relative to the current folder, never /dev', async () => {
    const dir = makeHome('pinsync-jobs-');
    arrangeAudience(sandbox, 'Dev stdin jobs');
    writeUsers(dir, 'b.csv', 0, 20);
    const yaml = `ad_account: "${US}"\njobs:\n  - { name: b, command: "cat b.csv", audience: Dev stdin jobs, report: b-report.json }\n`;
    const result = await runCli(['run', '/dev/stdin'], { env: sandboxEnv(sandbox), input: yaml, cwd: dir });
    expect(result.code, result.stderr).toBe(0);
    expect(fs.existsSync(path.join(dir, 'b-report.json'))).toBe(true);
    expect(sameSet(listRecords(sandbox, 'Dev stdin jobs'), hashesOf(0, 20))).toBe(true);
  });
});

describe('stopping a jobs run', () => {
  /** Starts `pinsync run` on a command that ignores SIGTERM, sends the signals, and returns the command's process group. */
  async function stopWithStubbornCommand(signals: NodeJS.Signals[]): Promise<{ code: number | string | null; group: number; exitMs: number; stderr: string }> {
    const dir = makeHome('pinsync-jobs-');
    arrangeAudience(sandbox, 'Stubborn');
    const pidFile = path.join(dir, 'command.pid');
    const jobs = writeJobs(dir, `ad_account: "${US}"\njobs:\n  - { name: stubborn, command: "trap '' TERM; echo $$ > command.pid; echo email; sleep 120", audience: Stubborn }\n`);
    const child = spawn(process.execPath, [cliEntry, 'run', jobs], { env: cliEnv(makeHome(), sandboxEnv(sandbox)), stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<number | string | null>((resolve) => child.on('exit', (code, signal) => resolve(code ?? signal)));
    await waitUntil(() => fs.existsSync(pidFile) && fs.readFileSync(pidFile, 'utf8').trim().length > 0, 'the command started', 20_000);
    const group = Number(fs.readFileSync(pidFile, 'utf8').trim());
    const signalledAt = Date.now();
    for (const signal of signals) {
      child.kill(signal);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    const code = await Promise.race([exited, new Promise<string>((resolve) => setTimeout(() => resolve('still running after 15 s'), 15_000))]);
    if (code !== 130) child.kill('SIGKILL');
    return { code, group, exitMs: Date.now() - signalledAt, stderr };
  }

  const groupAlive = (group: number) => {
    try {
      process.kill(-group, 0);
      return true;
    } catch {
      return false;
    }
  };

  for (const signals of [['SIGTERM', 'SIGTERM'], ['SIGTERM']] as NodeJS.Signals[][]) {
    it(`${signals.join(' then ')}: a command that ignores SIGTERM is not left running`, async () => {
      const { code, group, exitMs, stderr } = await stopWithStubbornCommand(signals);
      try {
        expect(code, stderr).toBe(130);
        expect(exitMs).toBeLessThan(5_000);
        await waitUntil(() => !groupAlive(group), 'the command group is gone', 3_000);
      } finally {
        if (groupAlive(group)) process.kill(-group, 'SIGKILL');
      }
    });
  }
});

describe('messages that read right', () => {
  it('YAML problems are said in our words: several documents, an unclosed quote', async () => {
    const dir = makeHome('pinsync-jobs-');
    const multi = writeJobs(dir, `jobs:\n  - { name: a, file: a.csv, audience: A }\n---\njobs: []\n`, 'multi.yaml');
    const quote = writeJobs(dir, `jobs:\n  - name: "a\n    file: a.csv\n`, 'quote.yaml');
    const first = await run(makeHome(), ['run', multi]);
    expect(first.code).toBe(2);
    expect(first.stderr).toMatch(/multi\.yaml:3: the file holds more than one YAML document/);
    expect(first.stderr).not.toMatch(/parseAllDocuments/);
    const second = await run(makeHome(), ['run', quote]);
    expect(second.code).toBe(2);
    expect(second.stderr).toMatch(/quote\.yaml:2: a value opened with " is never closed/);
  });

  it('a command\'s own stderr lines carry its job\'s name; a one-audience fan-out says "1 audience"', async () => {
    const dir = makeHome('pinsync-jobs-');
    fs.writeFileSync(path.join(dir, 'seg.csv'), `email,segment\n${email(1)},Prefix one\n`);
    const jobs = writeJobs(dir, `ad_account: "${US}"\njobs:\n  - { name: talker, command: "echo exporting now >&2; cat seg.csv", audience_column: segment, create: true }\n`);
    const result = await run(makeHome(), ['run', jobs]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toMatch(/^\[talker\] exporting now$/m);
    expect(result.stderr).not.toMatch(/^exporting now$/m);
    expect(result.stderr).toMatch(/1 audience named in column segment/);
  });

  it('`pinsync runs` lists past runs from a read-only PINSYNC_HOME (exit 0)', async () => {
    const home = makeHome();
    const dir = makeHome('pinsync-jobs-');
    arrangeAudience(sandbox, 'Read-only runs');
    const file = writeUsers(dir, 'a.csv', 0, 5);
    expect((await run(home, ['push', file, '--audience', 'Read-only runs', '--ad-account', US])).code).toBe(0);
    const writable = readOnly(home);
    try {
      const runs = await run(home, ['runs', '--json']);
      expect(runs.code, runs.stderr).toBe(0);
      expect(parseJsonOutput<Array<{ audienceName: string }>>(runs).map((r) => r.audienceName)).toContain('Read-only runs');
      const table = await run(home, ['runs']);
      expect(table.code, table.stderr).toBe(0);
      expect(table.stdout).toMatch(/Read-only runs/);
    } finally {
      writable();
    }
  });
});
