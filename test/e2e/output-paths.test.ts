// No output of a run is the same file as any of its inputs (issue 19, finding 1): the input, an
// exclusion list, the jobs file, another job's input. Each is refused with exit 2 before anything is
// sent, in a dry run too, and the file stays as it was; `run --report` is checked before the first job
// (finding 13).
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox, type Sandbox } from '../../src/sandbox/server.js';

import { runInProcess } from '../support/in-process.js';
import { US, sandboxEnv } from '../support/sandbox.js';
import { makeHome } from '../support/home.js';
import { writeUsers } from '../support/users.js';


let sandbox: Sandbox;
beforeAll(async () => {
  sandbox = await startSandbox({ port: 0, writeRate: 1000 });
});
afterAll(async () => {
  await sandbox.stop();
});

const run = (home: string, args: string[]) => runInProcess(args, { home, env: sandboxEnv(sandbox) });
const requestsSince = (before: number) => sandbox.state.requests.slice(before);

/** Runs `args`, expects exit 2 naming `flag`, and `file` exactly as it was, with no request sent. */
async function expectRefused(home: string, args: string[], flag: RegExp, file: string): Promise<string> {
  const before = fs.readFileSync(file);
  const sent = sandbox.state.requests.length;
  const result = await run(home, args);
  expect(result.code, result.stderr).toBe(2);
  expect(result.stderr).toMatch(flag);
  expect(fs.readFileSync(file).equals(before)).toBe(true);
  expect(requestsSince(sent)).toEqual([]);
  return result.stderr;
}

describe('outputs never overwrite inputs', () => {
  it('push: --rejects or --report naming an --exclude list is refused, in a dry run too', async () => {
    const home = makeHome();
    const input = writeUsers(home, 'users.csv', 0, 20);
    const optouts = writeUsers(home, 'optouts.csv', 0, 3);
    for (const flag of ['--rejects', '--report']) {
      for (const dry of [[], ['--dry-run']]) {
        const stderr = await expectRefused(
          home,
          ['push', input, '--audience', 'Paths', '--ad-account', US, '--create', '--exclude', optouts, flag, optouts, ...dry],
          new RegExp(`${flag} .*optouts\\.csv is the exclusion file`),
          optouts,
        );
        expect(stderr).not.toMatch(/user\d+@example\.com/);
      }
    }
  });

  it('sync: --report naming an --exclude list is refused', async () => {
    const home = makeHome();
    const input = writeUsers(home, 'users.csv', 0, 20);
    const optouts = writeUsers(home, 'optouts.csv', 0, 3);
    await expectRefused(home, ['sync', input, '--audience', 'Paths sync', '--ad-account', US, '--create', '--exclude', optouts, '--report', optouts], /--report .* is the exclusion file/, optouts);
  });

  it('a job whose report: is another job\'s input, a rejects: that is the jobs file, and run --report on a job\'s input or an exclusion list are refused before any job', async () => {
    const dir = makeHome('pinsync-paths-');
    writeUsers(dir, 'a.csv', 0, 20);
    writeUsers(dir, 'b.csv', 100, 120);
    writeUsers(dir, 'optouts.csv', 0, 2);
    const jobsFile = (extra: { a?: string; b?: string }) => {
      const file = path.join(dir, 'jobs.yaml');
      fs.writeFileSync(
        file,
        `ad_account: "${US}"\nexclude: optouts.csv\njobs:\n` +
          `  - { name: a, file: a.csv, audience: Paths A, create: true${extra.a ?? ''} }\n` +
          `  - { name: b, file: b.csv, audience: Paths B, create: true${extra.b ?? ''} }\n`,
      );
      return file;
    };
    const home = makeHome();
    await expectRefused(home, ['run', jobsFile({ a: ', report: b.csv' })], /report: .*b\.csv is the input of job "b"/, path.join(dir, 'b.csv'));
    const jobs = jobsFile({ b: ', rejects: jobs.yaml' });
    await expectRefused(home, ['run', jobs], /rejects: .*jobs\.yaml is the jobs file/, jobs);
    const plain = jobsFile({});
    await expectRefused(home, ['run', plain, '--report', path.join(dir, 'a.csv')], /--report .*a\.csv is the input of job "a"/, path.join(dir, 'a.csv'));
    await expectRefused(home, ['run', plain, '--report', path.join(dir, 'optouts.csv')], /--report .*optouts\.csv is the exclusion file/, path.join(dir, 'optouts.csv'));
    await expectRefused(home, ['run', plain, '--dry-run', '--report', plain], /--report .*jobs\.yaml is the jobs file/, plain);
  });

  it('run --report on an unwritable device is refused before the first job (exit 2, nothing sent)', async () => {
    const dir = makeHome('pinsync-paths-');
    writeUsers(dir, 'a.csv', 0, 20);
    const jobs = path.join(dir, 'jobs.yaml');
    fs.writeFileSync(jobs, `ad_account: "${US}"\njobs:\n  - { name: a, file: a.csv, audience: Paths full, create: true }\n`);
    const sent = sandbox.state.requests.length;
    const result = await run(makeHome(), ['run', jobs, '--report', '/dev/full', '--json']);
    expect(result.code, result.stderr).toBe(2);
    expect(result.stderr).toMatch(/--report \/dev\/full \(no space left\)/);
    expect(result.stderr).not.toMatch(/Jobs of jobs\.yaml/); // no job ran
    expect(requestsSince(sent)).toEqual([]);
  });
});

/** This process's open file descriptors on `file` (in-process runs share them). */
function openDescriptors(file: string): number {
  return fs.readdirSync('/proc/self/fd').filter((fd) => {
    try {
      return fs.readlinkSync(`/proc/self/fd/${fd}`) === file;
    } catch {
      return false; // closed meanwhile (the readdir's own)
    }
  }).length;
}

describe('an output that fails to open', () => {
  it.skipIf(!fs.existsSync('/proc/self/fd'))('a --rejects file that cannot be opened leaves the input closed and loads no exclusions (exit 2)', async () => {
    const home = makeHome();
    const users = writeUsers(home, 'users.csv', 0, 100);
    const optouts = writeUsers(home, 'optouts.csv', 0, 10);
    // The rejects file is written to a temporary beside it: a folder there cannot be replaced, so opening fails after the checks passed.
    fs.mkdirSync(path.join(home, `.rejects.csv.${process.pid}.tmp`));
    fs.writeFileSync(path.join(home, `.rejects.csv.${process.pid}.tmp`, 'keep'), '');
    const result = await runInProcess(['push', users, '--audience', 'Leaks', '--create', '--ad-account', US, '--exclude', optouts, '--rejects', path.join(home, 'rejects.csv')], {
      home,
      env: { ...sandboxEnv(sandbox), PINSYNC_EXCLUSION_WORKER: '1' },
    });
    expect(result.code, result.stderr).toBe(2);
    expect(result.stderr).toMatch(/--rejects/);
    await new Promise((resolve) => setTimeout(resolve, 200)); // a stream opens its file asynchronously
    expect(openDescriptors(users)).toBe(0);
    expect(openDescriptors(optouts)).toBe(0);
  });
});
