// --audience-column under attack (issue 19): a raw identifier never becomes an audience name (2),
// segment values are checked and new audiences limited before any is created (6), unresolvable values
// end the run within seconds (8) and are recorded under their own name (11), an audience named by its id
// and by its name is one audience (12).
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunReport } from '../../src/report/run-report.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/server.js';
import { cliEntry, cliEnv, parseJsonOutput, runCli } from '../support/cli.js';
import { runInProcess } from '../support/in-process.js';
import { US, arrangeAudience, sandboxEnv } from '../support/sandbox.js';
import { makeHome } from '../support/home.js';
import { listRecords, sameSet } from '../support/sandbox-records.js';
import { email, sha256 } from '../support/users.js';



let sandbox: Sandbox;
beforeAll(async () => {
  sandbox = await startSandbox({ port: 0, writeRate: 1000 });
});
afterAll(async () => {
  await sandbox.stop();
});

type FanOut = RunReport & { audiences: RunReport[] };

const inProcess = (home: string, args: string[], input?: string) => runInProcess(args, { home, env: sandboxEnv(sandbox), input });
const fanOut = (command: 'push' | 'sync', file: string, ...extra: string[]) => [command, file, '--audience-column', 'segment', '--ad-account', US, '--json', ...extra];
const writes = (since: number) => sandbox.state.requests.slice(since).filter((r) => r.method !== 'GET');
const creations = (since: number) => writes(since).filter((r) => r.method === 'POST');
const names = () => [...sandbox.state.customerLists.values(), ...sandbox.state.audiences.values()].map((item) => item.name);

/** A CSV `email,segment` with one row per [user, segment]; segments are written as CSV fields. */
function writeRows(dir: string, name: string, rows: Array<[number, string]>): string {
  const field = (value: string) => (/[",\n\r]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value);
  const file = path.join(dir, name);
  fs.writeFileSync(file, ['email,segment', ...rows.map(([user, segment]) => `${email(user)},${field(segment)}`)].join('\n') + '\n');
  return file;
}

/** Every file under `dir` (the state database, its WAL, locks), as one string. */
function everythingStoredIn(dir: string): string {
  let text = '';
  for (const entry of fs.readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) text += fs.readFileSync(path.join(entry.parentPath, entry.name)).toString('latin1');
  }
  return text;
}

describe('raw identifiers never become audience names', () => {
  it('refuses an identifier column as the audience column (exit 2, nothing sent)', async () => {
    const home = makeHome();
    const file = writeRows(home, 'users.csv', [[1, 'VIP']]);
    const since = sandbox.state.requests.length;
    for (const args of [
      ['push', file, '--audience-column', 'email', '--ad-account', US, '--create'],
      ['push', file, '--audience-column', 'segment', '--email-column', 'segment', '--ad-account', US, '--create'],
      ['sync', file, '--audience-column', 'E-Mail', '--ad-account', US, '--create'],
    ]) {
      const result = await inProcess(home, args);
      expect(result.code, result.stderr).toBe(2);
      expect(result.stderr).toMatch(/is an identifier column: a raw identifier must never become an audience name/);
    }
    // Nor does --audience with --create name a new audience after one (and never says it back).
    const named = await inProcess(home, ['push', file, '--audience', 'secret.person@corp.example', '--ad-account', US, '--create']);
    expect(named.code, named.stderr).toBe(2);
    expect(named.stderr).toMatch(/--audience looks like a personal identifier/);
    expect(named.stderr).not.toContain('secret.person@corp.example');
    expect(sandbox.state.requests.slice(since)).toEqual([]);
  });

  it('a segment value that looks like an identifier is not synced and never printed, reported, stored or listed', async () => {
    const home = makeHome();
    const secrets = ['secret.person@corp.example', '6f9619ff-8b86-d011-b42d-00c04fc964ff', sha256('x'), '+1 415 555 0134'];
    const rows: Array<[number, string]> = [[1, 'Ident VIP'], ...secrets.map((secret, i): [number, string] => [10 + i, secret]), [2, 'Ident VIP']];
    const dir = makeHome('pinsync-seg-');
    const file = writeRows(dir, 'owners.csv', rows);
    const report = path.join(dir, 'report.json');
    const result = await inProcess(home, [...fanOut('push', file, '--create', '--report', report)]);
    expect(result.code, result.stderr).toBe(0);
    const json = parseJsonOutput<FanOut>(result);
    expect(json).toMatchObject({ entered: 6, synced: 2, notSynced: 4, notSyncedReasons: { invalid_audience_name: 4 } });
    expect(json.audiences.map((a) => a.audienceName)).toEqual(['Ident VIP']);
    expect(result.stderr).toMatch(/4 rows name an audience that looks like a personal identifier/);
    const runs = await inProcess(home, ['runs', '--json']);
    for (const secret of secrets) {
      for (const where of [result.stderr, result.stdout, fs.readFileSync(report, 'utf8'), runs.stdout, everythingStoredIn(home)]) expect(where).not.toContain(secret);
      expect(names()).not.toContain(secret);
    }
  });
});

describe('segment values are checked, new audiences limited', () => {
  it('values with control characters or longer than Pinterest allows are not synced (invalid_audience_name)', async () => {
    const home = makeHome();
    const bad = ['Bad\nline', 'Bad\ttab', 'Bad\u0007bell', 'Bad\u001b[31mred', 'L'.repeat(5000)];
    const file = writeRows(home, 'bad.csv', [[1, 'Names ok'], ...bad.map((value, i): [number, string] => [10 + i, value])]);
    const result = await inProcess(home, fanOut('push', file, '--create'));
    expect(result.code, result.stderr).toBe(0);
    expect(parseJsonOutput<FanOut>(result)).toMatchObject({ synced: 1, notSyncedReasons: { invalid_audience_name: 5 } });
    for (const value of bad) expect(names()).not.toContain(value);
    expect(names().some((name) => /[\u0000-\u001f\u007f]/.test(name))).toBe(false);
    expect(result.stderr).not.toMatch(/\u001b|\u0007/);
  });

  it('more new audiences than --max-new-audiences (default 20) stop push and sync with exit 2 before any is created', async () => {
    const home = makeHome();
    const rows = Array.from({ length: 50 }, (_, i): [number, string] => [i, `Many ${i % 25}`]);
    const file = writeRows(home, 'many.csv', rows);
    for (const command of ['push', 'sync'] as const) {
      const since = sandbox.state.requests.length;
      const refused = await inProcess(home, fanOut(command, file, '--create'));
      expect(refused.code, refused.stderr).toBe(2);
      // A push with --create looks the file's values up first (all 25); a sync stops at the first beyond 20.
      expect(refused.stderr).toMatch(command === 'push' ? /create 25 new audiences.*more than --max-new-audiences 20/ : /create at least 21 new audiences.*more than --max-new-audiences 20/);
      expect(writes(since)).toEqual([]);
    }
    // From standard input too: a sync reads it whole before creating anything.
    const since = sandbox.state.requests.length;
    const stdin = await inProcess(home, fanOut('sync', '-', '--create'), fs.readFileSync(file, 'utf8'));
    expect(stdin.code, stdin.stderr).toBe(2);
    expect(writes(since)).toEqual([]);
    const allowed = await inProcess(home, fanOut('push', file, '--create', '--max-new-audiences', '25'));
    expect(allowed.code, allowed.stderr).toBe(0);
    expect(parseJsonOutput<FanOut>(allowed).audiences).toHaveLength(25);
  });

  it('1,000 segments stay within 300 MB (push and sync, each audience existing)', async () => {
    const dir = makeHome('pinsync-seg-');
    const names = Array.from({ length: 1000 }, (_, i) => `Thousand ${i}`);
    for (const name of names) arrangeAudience(sandbox, name);
    const file = writeRows(dir, 'thousand.csv', Array.from({ length: 10_000 }, (_, i): [number, string] => [i, names[i % 1000]!]));
    const probe = path.join(dir, 'peak-rss.mjs');
    fs.writeFileSync(probe, "import fs from 'node:fs';\nprocess.on('exit', () => fs.writeFileSync(process.env.PEAK_RSS_FILE, String(process.resourceUsage().maxRSS * 1024)));\n");
    for (const command of ['push', 'sync']) {
      const peakFile = path.join(dir, `${command}.rss`);
      const child = spawn(process.execPath, ['--import', probe, cliEntry, command, file, '--audience-column', 'segment', '--ad-account', US, '--rate', '1000', '--no-progress'], {
        env: { ...cliEnv(makeHome(), sandboxEnv(sandbox)), PEAK_RSS_FILE: peakFile },
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      let stderr = '';
      child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
      const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
      expect(code, stderr).toBe(0);
      expect(Number(fs.readFileSync(peakFile, 'utf8')) / 2 ** 20, `${command}: peak RSS in MiB`).toBeLessThan(300);
    }
  }, 120_000);

  it('a push --create from a pipe (`<(…)`) reads it once, as it comes', async () => {
    const dir = makeHome('pinsync-seg-');
    const file = writeRows(dir, 'piped.csv', [[1, 'Piped A'], [2, 'Piped B'], [3, 'Piped A']]);
    const script = `exec "${process.execPath}" "${cliEntry}" push <(cat "${file}") --audience-column segment --ad-account ${US} --create --json`;
    const child = spawn('bash', ['-c', script], { env: cliEnv(makeHome(), sandboxEnv(sandbox)), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toMatchObject({ entered: 3, synced: 3 });
  });

  it('a dry run says how many audiences it would create, and warns when two names differ only by case', async () => {
    const home = makeHome();
    const file = writeRows(home, 'case.csv', [[1, 'Case VIP'], [2, 'case vip'], [3, 'Case VIP']]);
    const result = await inProcess(home, fanOut('push', file, '--create', '--dry-run'));
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toMatch(/"Case VIP" and "case vip" differ only by case: they are two audiences/);
  });
});

describe('each audience of a fan-out', () => {
  it('counts its own write requests, in a push and in a sync alike', async () => {
    const home = makeHome();
    const rows = (prefix: string): Array<[number, string]> => [
      ...Array.from({ length: 30 }, (_, i): [number, string] => [i, `${prefix} big`]),
      ...Array.from({ length: 10 }, (_, i): [number, string] => [100 + i, `${prefix} small`]),
    ];
    for (const command of ['push', 'sync'] as const) {
      const file = writeRows(home, `${command}.csv`, rows(`Requests ${command}`));
      const result = await inProcess(home, fanOut(command, file, '--create', '--batch-size', '10'));
      expect(result.code, result.stderr).toBe(0);
      const report = parseJsonOutput<FanOut>(result);
      const requests = Object.fromEntries(report.audiences.map((audience) => [audience.audienceName, audience.requests]));
      expect(requests, command).toEqual({ [`Requests ${command} big`]: 3, [`Requests ${command} small`]: 1 });
    }
  });
});

describe('unresolvable segment values', () => {
  it('two values that name no audience end the run with exit 5 within seconds (file and standard input)', async () => {
    const home = makeHome();
    const file = writeRows(home, 'two.csv', [[1, '2024'], [2, 'Nowhere'], [3, '2024']]);
    for (const [input, stdin] of [[file, undefined], ['-', fs.readFileSync(file, 'utf8')]] as const) {
      const result = await runCli(['push', input, '--audience-column', 'segment', '--ad-account', US], { home, env: sandboxEnv(sandbox), input: stdin, timeoutMs: 30_000 });
      expect(result.code, result.stderr).toBe(5);
      expect(result.durationMs).toBeLessThan(10_000);
    }
  });

  it('a digits-only value with --create ends within seconds and the hint fits a fan-out', async () => {
    const home = makeHome();
    const file = writeRows(home, 'year.csv', [[1, '2024'], [2, 'Year ok']]);
    const since = sandbox.state.requests.length;
    const result = await runCli(['push', file, '--audience-column', 'segment', '--ad-account', US, '--create'], { home, env: sandboxEnv(sandbox), timeoutMs: 30_000 });
    expect(result.code, result.stderr).toBe(5);
    expect(result.durationMs).toBeLessThan(10_000);
    expect(result.stderr).toMatch(/segment value "2024" reads as an audience id/);
    expect(result.stderr).not.toMatch(/--audience "NAME" --create/);
    expect(writes(since)).toEqual([]);
  });

  it('in `pinsync run` the process ends with exit 5 within seconds', async () => {
    const dir = makeHome('pinsync-seg-');
    writeRows(dir, 'seg.csv', [[1, '2024'], [2, 'Nowhere either']]);
    const jobs = path.join(dir, 'jobs.yaml');
    fs.writeFileSync(jobs, `ad_account: "${US}"\njobs:\n  - { name: seg, file: seg.csv, audience_column: segment }\n`);
    const result = await runCli(['run', jobs], { env: sandboxEnv(sandbox), timeoutMs: 30_000 });
    expect(result.code, result.stderr).toBe(5);
    expect(result.durationMs).toBeLessThan(10_000);
  });

  it('a value that fails mid-stream is recorded under its own name; the other audience says what stopped it', async () => {
    const home = makeHome();
    arrangeAudience(sandbox, 'Recorded VIP');
    const rows: Array<[number, string]> = [...Array.from({ length: 3000 }, (_, i): [number, string] => [i, 'Recorded VIP']), [5000, 'Recorded Nope']];
    const text = fs.readFileSync(writeRows(home, 'stream.csv', rows), 'utf8');
    const result = await inProcess(home, ['push', '-', '--audience-column', 'segment', '--ad-account', US, '--batch-size', '500'], text);
    expect(result.code, result.stderr).toBe(5);
    const runs = parseJsonOutput<Array<{ id: number; audienceName: string; exitCode: number }>>(await inProcess(home, ['runs', '--json']));
    const show = async (name: string) => {
      const run = runs.find((r) => r.audienceName === name);
      expect(run, `a run recorded for "${name}"`).toBeDefined();
      return parseJsonOutput<Record<string, unknown>>(await inProcess(home, ['runs', 'show', String(run!.id), '--json']));
    };
    expect(await show('Recorded Nope')).toMatchObject({ exitCode: 5, stoppedBy: 'not_found' });
    expect(await show('Recorded VIP')).toMatchObject({ stoppedBy: 'not_found', stoppedByAudience: 'Recorded Nope' });
  });
});

describe('a fan-out\'s one lock', () => {
  it('pinsync runs shows its audiences running while it runs, interrupted once it is killed hard; a second identical run stops at once', async () => {
    const home = makeHome();
    const dir = makeHome('pinsync-seg-');
    const file = writeRows(dir, 'slow.csv', Array.from({ length: 3000 }, (_, i): [number, string] => [i, i % 2 ? 'Lock odd' : 'Lock even']));
    const args = ['push', file, '--audience-column', 'segment', '--ad-account', US, '--create', '--batch-size', '100', '--rate', '5', '--no-progress'];
    const child = spawn(process.execPath, [cliEntry, ...args], { env: cliEnv(home, sandboxEnv(sandbox)), stdio: 'ignore' });
    const exited = new Promise((resolve) => child.on('close', resolve));
    const statuses = async () => parseJsonOutput<Array<{ status: string }>>(await inProcess(home, ['runs', '--json'])).map((run) => run.status);
    try {
      for (const giveUpAt = Date.now() + 20_000; (await statuses()).length < 2; ) {
        if (Date.now() > giveUpAt) throw new Error('gave up waiting until both audiences were recorded');
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      expect(await statuses()).toEqual(['running', 'running']);
      const second = await inProcess(home, args);
      expect(second.code).toBe(2);
      expect(second.stderr).toMatch(/is already pushing slow\.csv into the audiences of column segment/);
    } finally {
      child.kill('SIGKILL');
      await exited;
    }
    expect(await statuses()).toEqual(['interrupted', 'interrupted']);
  }, 60_000);
});

describe('one audience named by its id and by its name', () => {
  it('is one route: push writes each user once and lists the audience once; sync mirrors it without blaming another run', async () => {
    const home = makeHome();
    const { audience } = arrangeAudience(sandbox, 'Twice named');
    const rows = Array.from({ length: 40 }, (_, i): [number, string] => [i, i % 2 ? 'Twice named' : audience.id]);
    const file = writeRows(home, 'twice.csv', rows);
    const since = sandbox.state.requests.length;
    const pushed = await inProcess(home, fanOut('push', file));
    expect(pushed.code, pushed.stderr).toBe(0);
    const report = parseJsonOutput<FanOut>(pushed);
    expect(report.audiences).toHaveLength(1);
    expect(report).toMatchObject({ entered: 40, synced: 40, records: 40 });
    expect(writes(since).reduce((sum, r) => sum + r.records, 0)).toBe(40);
    const synced = await inProcess(home, fanOut('sync', file));
    expect(synced.code, synced.stderr).toBe(0);
    expect(parseJsonOutput<FanOut>(synced).audiences).toHaveLength(1);
    expect(sameSet(listRecords(sandbox, 'Twice named'), new Set(rows.map(([i]) => sha256(email(i)))))).toBe(true);
    expect(creations(since)).toEqual([]);
  });
});
