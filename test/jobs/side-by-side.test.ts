// Jobs run side by side; a command's output is a job's input, and a failing command is a truncated
// export: the job fails with exit 2 and its run is told not to remove anyone.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { NotFoundError, UsageError } from '../../src/errors.js';
import { loadJobsFile, type Job } from '../../src/jobs/jobs-file.js';
import { runJobs, type JobRunInput } from '../../src/jobs/side-by-side.js';

let folder: string;

beforeEach(() => {
  folder = fs.mkdtempSync(path.join(os.tmpdir(), 'pinsync-run-jobs-'));
  fs.writeFileSync(path.join(folder, 'vip.csv'), 'email\na@example.com\nb@example.com\n');
});

afterEach(() => fs.rmSync(folder, { recursive: true, force: true }));

async function jobs(yaml: string): Promise<Job[]> {
  const file = path.join(folder, 'jobs.yaml');
  fs.writeFileSync(file, yaml);
  return (await loadJobsFile(file)).jobs;
}

async function readAll(stream: Readable): Promise<string> {
  let text = '';
  for await (const chunk of stream) text += String(chunk);
  return text;
}

interface SeenInput {
  text: string;
  /** What a sync would do about removals: only when the export was whole. */
  removes: boolean;
}

/** Reads the job's input to its end like push/sync would, then waits for the export to be judged whole. */
async function readInput(input: JobRunInput): Promise<SeenInput> {
  const text = input.stdin ? await readAll(input.stdin) : fs.readFileSync(input.input, 'utf8');
  return { text, removes: await input.complete };
}

const env = { PATH: process.env.PATH, PINSYNC_ACCESS_TOKEN: 'canary-token-3f9a', HOME: process.env.HOME };

describe('runJobs', () => {
  it('runs file and command jobs concurrently and reports each', async () => {
    fs.writeFileSync(path.join(folder, 'local.csv'), 'email\nc@example.com\n');
    const list = await jobs(`jobs:
  - { name: from-file, file: vip.csv, audience: VIP }
  - { name: from-command, command: "sleep 0.2; cat local.csv", audience: Lapsed, mode: sync }
`);
    let running = 0;
    let together = 0;
    const result = await runJobs(
      list,
      async (job, input) => {
        running++;
        together = Math.max(together, running);
        const seen = await readInput(input);
        running--;
        return { exitCode: 0, report: { job: job.name, input: input.input, ...seen } };
      },
      { env },
    );
    expect(together).toBe(2);
    expect(result).toEqual({
      exitCode: 0,
      jobs: [
        { name: 'from-file', exitCode: 0, report: { job: 'from-file', input: path.join(folder, 'vip.csv'), text: 'email\na@example.com\nb@example.com\n', removes: true } },
        { name: 'from-command', exitCode: 0, report: { job: 'from-command', input: '-', text: 'email\nc@example.com\n', removes: true } },
      ],
    });
  });

  it('a command that exits non-zero: its run removes nobody and the job fails with exit 2', async () => {
    const list = await jobs(`jobs:
  - { name: export, command: "echo email; echo a@example.com; exit 3", audience: VIP, mode: sync }
`);
    const result = await runJobs(list, async (_job, input) => ({ exitCode: 0, report: await readInput(input) }), { env });
    expect(result.exitCode).toBe(2);
    expect(result.jobs[0]).toEqual({
      name: 'export',
      exitCode: 2,
      report: { text: 'email\na@example.com\n', removes: false },
      message: 'The command of job "export" exited with code 3: its output may be incomplete, so nothing was removed. Fix the command and run the job again.',
    });
  });

  it('a command that cannot be found counts as a failed export', async () => {
    const list = await jobs(`jobs:\n  - { name: export, command: ./no-such-export.sh, audience: VIP }\n`);
    const result = await runJobs(list, async (_job, input) => ({ exitCode: 0, report: await readInput(input) }), { env });
    expect(result.jobs[0]).toMatchObject({ exitCode: 2, report: { text: '', removes: false } });
    expect(result.jobs[0]!.message).toMatch(/exited with code 127/);
  });

  it('the overall exit code is the first failed job in file order, whichever finished first', async () => {
    const list = await jobs(`jobs:
  - { name: ok, file: vip.csv, audience: A }
  - { name: slow-partial, file: vip.csv, audience: B }
  - { name: fast-not-found, file: vip.csv, audience: C }
  - { name: usage, file: vip.csv, audience: D }
  - { name: crash, file: vip.csv, audience: E }
`);
    const finished: string[] = [];
    const result = await runJobs(
      list,
      async (job) => {
        if (job.name === 'slow-partial') await new Promise((resolve) => setTimeout(resolve, 100));
        finished.push(job.name);
        if (job.name === 'slow-partial') return { exitCode: 3 };
        if (job.name === 'fast-not-found') throw new NotFoundError('No audience named "C".');
        if (job.name === 'usage') throw new UsageError('Bad column.');
        if (job.name === 'crash') throw new TypeError('boom');
        return { exitCode: 0 };
      },
      { env },
    );
    expect(finished.indexOf('fast-not-found')).toBeLessThan(finished.indexOf('slow-partial'));
    expect(result.exitCode).toBe(3);
    expect(result.jobs.map((job) => [job.name, job.exitCode, job.message])).toEqual([
      ['ok', 0, undefined],
      ['slow-partial', 3, undefined],
      ['fast-not-found', 5, 'No audience named "C".'],
      ['usage', 2, 'Bad column.'],
      ['crash', 1, undefined],
    ]);
    expect(result.jobs[4]!.error).toBeInstanceOf(TypeError);
    expect(result.jobs.every((job) => job.report === null)).toBe(true);
  });

  it('commands run in the jobs file folder, without the Pinterest credentials', async () => {
    const list = await jobs(`jobs:\n  - { name: where, command: 'pwd; echo "token=$PINSYNC_ACCESS_TOKEN"', audience: VIP }\n`);
    const result = await runJobs(list, async (_job, input) => ({ exitCode: 0, report: await readInput(input) }), { env });
    expect(result.jobs[0]!.report!.text).toBe(`${fs.realpathSync(folder)}\ntoken=\n`);
  });

  it('a job that fails before reading its command to the end stops the command and keeps its own exit code', async () => {
    const list = await jobs(`jobs:\n  - { name: endless, command: "yes email", audience: VIP }\n`);
    const started = Date.now();
    const result = await runJobs(
      list,
      async (_job, input) => {
        for await (const _chunk of input.stdin!) break; // the header was bad: the run gives up at once
        throw new UsageError('No identifier column found.');
      },
      { env },
    );
    expect(result.jobs[0]).toMatchObject({ exitCode: 2, message: 'No identifier column found.' });
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('Ctrl-C stops a running command', async () => {
    const list = await jobs(`jobs:\n  - { name: slow, command: "sleep 30", audience: VIP, mode: sync }\n`);
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 100);
    const started = Date.now();
    const result = await runJobs(list, async (_job, input) => ({ exitCode: 130, report: await readInput(input) }), {
      env,
      signal: controller.signal,
    });
    expect(Date.now() - started).toBeLessThan(5000);
    expect(result.jobs[0]).toMatchObject({ exitCode: 130, report: { removes: false } });
  });
});
