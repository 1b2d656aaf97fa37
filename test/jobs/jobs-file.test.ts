// A jobs file is checked whole before anything runs: each mistake is named by file:line and key.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { PushOptions } from '../../src/runs/options.js';
import type { SyncOptions } from '../../src/runs/options.js';
import { UsageError } from '../../src/errors.js';
import { loadJobsFile } from '../../src/jobs/jobs-file.js';

let folder: string;

beforeEach(() => {
  folder = fs.mkdtempSync(path.join(os.tmpdir(), 'pinsync-jobs-'));
  fs.mkdirSync(path.join(folder, 'exports'));
  for (const name of ['exports/newsletter.csv', 'optouts.csv', 'bounced.csv', 'vip.csv']) {
    fs.writeFileSync(path.join(folder, name), 'email\na@example.com\n');
  }
});

afterEach(() => fs.rmSync(folder, { recursive: true, force: true }));

function jobsFile(text: string): string {
  const file = path.join(folder, 'jobs.yaml');
  fs.writeFileSync(file, text);
  return file;
}

async function failure(file: string, selected: string[] = []): Promise<UsageError> {
  const error = await loadJobsFile(file, selected).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(UsageError);
  return error as UsageError;
}

const contractExample = `ad_account: "549755885175"        # default for every job
exclude: [optouts.csv]            # applies to every job
jobs:
  - name: newsletter
    mode: sync
    file: exports/newsletter.csv
    audience: Newsletter subscribers
    create: true
    email_column: Email
    max_remove: 5
  - name: segments
    command: ./export-segments.sh
    format: ndjson
    audience_column: segment
    exclude: bounced.csv
    batch_size: 500
    retry_for: 90m
    audience_wait: 5m
`;

describe('a valid jobs file', () => {
  it('gives typed jobs with push/sync option names and absolute paths', async () => {
    const plan = await loadJobsFile(jobsFile(contractExample));
    expect(plan.jobs.map((job) => [job.name, job.mode, job.line])).toEqual([
      ['newsletter', 'sync', 4],
      ['segments', 'push', 11],
    ]);
    const [newsletter, segments] = plan.jobs;
    expect(newsletter!.input).toEqual({ kind: 'file', file: path.join(folder, 'exports/newsletter.csv') });
    expect(newsletter!.options).toEqual({
      audience: 'Newsletter subscribers',
      adAccount: '549755885175',
      create: true,
      emailColumn: 'Email',
      maxRemove: 5,
      exclude: [path.join(folder, 'optouts.csv')],
    });
    expect(segments!.input).toEqual({ kind: 'command', command: './export-segments.sh', cwd: folder });
    expect(segments!.options).toEqual({
      audienceColumn: 'segment',
      adAccount: '549755885175',
      format: 'ndjson',
      batchSize: 500,
      retryFor: 90 * 60_000,
      audienceWait: 5 * 60_000,
      exclude: [path.join(folder, 'optouts.csv'), path.join(folder, 'bounced.csv')],
    });
  });

  it('drops into the options push and sync take', async () => {
    const [sync, push] = (await loadJobsFile(jobsFile(contractExample))).jobs;
    const asSync: SyncOptions = { ...sync!.options, audience: sync!.options.audience!, maxRemove: sync!.options.maxRemove! };
    const asPush: PushOptions = { ...push!.options, audience: 'unused' };
    expect(asSync.maxRemove).toBe(5);
    expect(asPush.batchSize).toBe(500);
  });

  it('defaults: mode push, sync guards at 20%, remove mode sets remove, a job ad account beats the default', async () => {
    const plan = await loadJobsFile(
      jobsFile(`ad_account: 549755885175
jobs:
  - { name: a, file: vip.csv, audience: VIP }
  - { name: b, file: vip.csv, audience: VIP, mode: sync }
  - { name: c, file: vip.csv, audience: VIP, mode: remove, ad_account: "549755885176" }
`),
    );
    expect(plan.jobs.map((job) => job.mode)).toEqual(['push', 'sync', 'remove']);
    expect(plan.jobs[0]!.options).toEqual({ audience: 'VIP', adAccount: '549755885175', exclude: [] });
    expect(plan.jobs[1]!.options.maxRemove).toBe(20);
    expect(plan.jobs[2]!.options).toMatchObject({ remove: true, adAccount: '549755885176' });
  });

  it('selects the named jobs, in file order', async () => {
    const plan = await loadJobsFile(jobsFile(contractExample), ['segments']);
    expect(plan.jobs.map((job) => job.name)).toEqual(['segments']);
  });
});

describe('a jobs file with a mistake stops with exit 2 naming file:line and key', () => {
  it('an unknown key', async () => {
    const error = await failure(jobsFile(contractExample.replace('    email_column: Email', '    emial_column: Email')));
    expect(error.exitCode).toBe(2);
    expect(error.message).toMatch(/^jobs\.yaml:9: unknown key jobs\[0\]\.emial_column/);
  });

  it('an unknown top-level key', async () => {
    const error = await failure(jobsFile(`adaccount: "1"\njobs:\n  - { name: a, file: vip.csv, audience: VIP }\n`));
    expect(error.message).toMatch(/^jobs\.yaml:1: unknown key adaccount/);
  });

  it('a duplicate job name', async () => {
    const error = await failure(jobsFile(`jobs:\n  - name: a\n    file: vip.csv\n    audience: VIP\n  - name: a\n    file: vip.csv\n    audience: B\n`));
    expect(error.message).toMatch(/^jobs\.yaml:5: jobs\[1\]\.name "a" is used by an earlier job/);
  });

  it('a missing file, relative to the jobs file', async () => {
    const error = await failure(jobsFile(contractExample.replace('exports/newsletter.csv', 'exports/gone.csv')));
    expect(error.message).toMatch(/^jobs\.yaml:6: jobs\[0\]\.file exports\/gone\.csv does not exist/);
  });

  it('a missing exclusion file, at its entry', async () => {
    const error = await failure(jobsFile(contractExample.replace('exclude: [optouts.csv]', 'exclude:\n  - optouts.csv\n  - nope.csv')));
    expect(error.message).toBe(
      "jobs.yaml:4: exclude[1] nope.csv does not exist (paths are relative to the jobs file's folder); nothing was run.",
    );
  });

  it('both file and command, or neither', async () => {
    const both = await failure(jobsFile(`jobs:\n  - name: a\n    file: vip.csv\n    command: cat vip.csv\n    audience: VIP\n`));
    expect(both.message).toMatch(/^jobs\.yaml:4: jobs\[0\]\.command cannot be given with file/);
    const neither = await failure(jobsFile(`jobs:\n  - name: a\n    audience: VIP\n`));
    expect(neither.message).toMatch(/^jobs\.yaml:2: jobs\[0\]\.name needs a file: or a command:/);
  });

  it('a wrong mode, a wrong type, an out-of-range number', async () => {
    const mode = await failure(jobsFile(`jobs:\n  - name: a\n    mode: mirror\n    file: vip.csv\n    audience: VIP\n`));
    expect(mode.message).toBe('jobs.yaml:3: jobs[0].mode must be push, remove or sync.');
    const type = await failure(jobsFile(`jobs:\n  - name: a\n    file: vip.csv\n    audience: VIP\n    create: "yes"\n`));
    expect(type.message).toMatch(/^jobs\.yaml:5: jobs\[0\]\.create .*boolean/);
    const range = await failure(jobsFile(`jobs:\n  - name: a\n    file: vip.csv\n    audience: VIP\n    batch_size: 5000\n`));
    expect(range.message).toBe('jobs.yaml:5: jobs[0].batch_size must be from 3 to 1900.');
  });

  it('max_remove outside a sync, a bad duration, no audience', async () => {
    const maxRemove = await failure(jobsFile(`jobs:\n  - name: a\n    file: vip.csv\n    audience: VIP\n    max_remove: 5\n`));
    expect(maxRemove.message).toMatch(/^jobs\.yaml:5: jobs\[0\]\.max_remove applies only to mode: sync/);
    const duration = await failure(jobsFile(`jobs:\n  - name: a\n    file: vip.csv\n    audience: VIP\n    retry_for: soon\n`));
    expect(duration.message).toMatch(/^jobs\.yaml:5: jobs\[0\]\.retry_for must be a duration/);
    const wait = await failure(jobsFile(`jobs:\n  - name: a\n    file: vip.csv\n    audience: VIP\n    audience_wait: later\n`));
    expect(wait.message).toMatch(/^jobs\.yaml:5: jobs\[0\]\.audience_wait must be a duration/);
    const audience = await failure(jobsFile(`jobs:\n  - name: a\n    file: vip.csv\n`));
    expect(audience.message).toMatch(/^jobs\.yaml:2: jobs\[0\]\.name needs exactly one of audience: or audience_column:/);
  });

  it('no jobs, a missing name', async () => {
    expect((await failure(jobsFile(`ad_account: "1"\n`))).message).toBe('jobs.yaml: jobs is missing.');
    expect((await failure(jobsFile(`jobs:\n  - file: vip.csv\n    audience: VIP\n`))).message).toMatch(/^jobs\.yaml:2: jobs\[0\]\.name is missing/);
  });

  it('YAML that does not parse, or repeats a key', async () => {
    const broken = await failure(jobsFile(`jobs:\n  - name: a\n    file: [vip.csv\n`));
    expect(broken.message).toMatch(/^jobs\.yaml:\d+: .*fix the YAML and run again\.$/);
    const repeated = await failure(jobsFile(`jobs:\n  - name: a\n    file: vip.csv\n    file: other.csv\n    audience: VIP\n`));
    expect(repeated.message).toMatch(/^jobs\.yaml:4: a key appears twice in the same place/);
  });

  it('reports the first problem in file order and how many more', async () => {
    const error = await failure(jobsFile(`jobs:\n  - name: a\n    file: gone1.csv\n    audience: VIP\n  - name: a\n    file: gone2.csv\n    audience: VIP\n`));
    expect(error.message).toMatch(/^jobs\.yaml:3: jobs\[0\]\.file gone1\.csv does not exist.* \(2 more problems in the file\); nothing was run\.$/);
  });

  it('an unknown job name on the command line', async () => {
    const error = await failure(jobsFile(contractExample), ['newsletter', 'nightly']);
    expect(error.message).toBe('No job named "nightly" in jobs.yaml (its jobs: newsletter, segments).');
  });

  it('a jobs file that does not exist', async () => {
    const error = await failure(path.join(folder, 'absent.yaml'));
    expect(error.message).toMatch(/^Cannot read the jobs file .*absent\.yaml: no such file\.$/);
  });
});
