// --metrics-file: node_exporter's textfile format, rewritten whole at each run's end. Counters add up over
// runs, a failed run keeps the last success time, a dry run leaves the file alone, and an unwritable
// path stops the run before anything is sent.
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startSandbox, type Sandbox } from '../../src/sandbox/server.js';
import { parseJsonOutput } from '../support/cli.js';
import { makeHome } from '../support/home.js';
import { runInProcess } from '../support/in-process.js';
import { US, arrangeAudience, sandboxEnv } from '../support/sandbox.js';
import { writeFile } from '../support/files.js';

let sandbox: Sandbox | undefined;
afterEach(async () => {
  await sandbox?.stop();
  sandbox = undefined;
});

/** The samples of a textfile, checked against the exposition format's line grammar on the way. */
function samples(file: string): Map<string, number> {
  const text = fs.readFileSync(file, 'utf8');
  expect(text.endsWith('\n')).toBe(true);
  const found = new Map<string, number>();
  const typed = new Set<string>();
  for (const line of text.trimEnd().split('\n')) {
    const type = /^# TYPE (\w+) (counter|gauge)$/.exec(line);
    if (type) typed.add(type[1]!);
    if (line.startsWith('#')) {
      expect(line).toMatch(/^# (HELP|TYPE) \w+ .+$/);
      continue;
    }
    const sample = /^(\w+)(\{(?:\w+="(?:[^"\\]|\\.)*",?)*\})? (-?[\d.]+)$/.exec(line);
    expect(sample, line).not.toBeNull();
    expect(typed.has(sample![1]!), `${sample![1]} has a TYPE line before it`).toBe(true);
    found.set(sample![1]! + (sample![2] ?? ''), Number(sample![3]));
  }
  return found;
}

describe('--metrics-file', () => {
  it('adds each run to the counters, keeps the last success time through a failure, ignores dry runs', async () => {
    sandbox = await startSandbox({ port: 0, writeRate: 1000 });
    arrangeAudience(sandbox, 'Say "hi"');
    const home = makeHome('pinsync-metrics-');
    const users = writeFile(home, 'users.csv', 'email\n' + Array.from({ length: 30 }, (_, i) => (i < 5 ? 'nope' : `user${i}@example.com`)).join('\n') + '\n');
    const metrics = path.join(home, 'pinsync.prom');
    const push = (audience: string, ...extra: string[]) =>
      runInProcess(['push', users, '--audience', audience, '--ad-account', US, '--json', '--metrics-file', metrics, ...extra], { env: sandboxEnv(sandbox!), home });
    const audience = 'audience="Say \\"hi\\""';

    const first = await push('Say "hi"');
    expect(first.code, first.stderr).toBe(0);
    const report = parseJsonOutput<Record<string, any>>(first);
    const afterFirst = samples(metrics);
    expect(afterFirst.get(`pinsync_rows_total{${audience},outcome="synced"}`)).toBe(report.synced);
    expect(afterFirst.get(`pinsync_rows_total{${audience},outcome="not_synced"}`)).toBe(5);
    expect(afterFirst.get('pinsync_last_run_exit_code')).toBe(0);
    const succeededAt = afterFirst.get('pinsync_last_success_timestamp_seconds')!;
    expect(Math.abs(succeededAt - Date.now() / 1000)).toBeLessThan(60);

    const second = await push('Say "hi"');
    expect(second.code).toBe(0);
    expect(samples(metrics).get(`pinsync_rows_total{${audience},outcome="synced"}`)).toBe(2 * report.synced);

    const failed = await push('Nobody');
    expect(failed.code).toBe(5);
    const afterFailure = samples(metrics);
    expect(afterFailure.get('pinsync_last_run_exit_code')).toBe(5);
    expect(afterFailure.get('pinsync_last_success_timestamp_seconds')).toBeGreaterThanOrEqual(succeededAt);
    expect(afterFailure.get('pinsync_last_success_timestamp_seconds')).toBeLessThan(afterFailure.get('pinsync_last_run_timestamp_seconds')!);
    expect(afterFailure.get(`pinsync_rows_total{${audience},outcome="synced"}`)).toBe(2 * report.synced);

    const before = fs.readFileSync(metrics, 'utf8');
    const dry = await push('Say "hi"', '--dry-run');
    expect(dry.code).toBe(0);
    expect(fs.readFileSync(metrics, 'utf8')).toBe(before);
    expect(fs.readdirSync(home).filter((name) => name.includes('.tmp'))).toEqual([]);
  });

  it('a folder or unwritable path stops the run with exit 2 before anything is sent', async () => {
    sandbox = await startSandbox({ port: 0, writeRate: 1000 });
    arrangeAudience(sandbox, 'Newsletter');
    const home = makeHome('pinsync-metrics-');
    const users = writeFile(home, 'users.csv', 'email\nuser@example.com\n');
    const result = await runInProcess(['push', users, '--audience', 'Newsletter', '--ad-account', US, '--metrics-file', home], { env: sandboxEnv(sandbox), home });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/--metrics-file .* is a folder/);
    expect(sandbox.state.requests.filter((request) => request.method !== 'GET')).toHaveLength(0);
  });
});
