// An input that turns out corrupt after sending began (garbage after valid gzip data, an overlong line
// deep in the file) stops the run with exit 2, and still prints the summary, --json and --report with
// stoppedBy "input", saying how many rows went out first; the counts add up.
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { describe, expect, it } from 'vitest';
import type { RunReport } from '../../src/report/run-report.js';
import { makeHome } from '../support/home.js';
import { runInProcess } from '../support/in-process.js';
import { sandboxEnv, sandboxPerFile, US } from '../support/sandbox.js';
import { recordsWritten } from '../support/sandbox-records.js';
import { email } from '../support/users.js';

const t = sandboxPerFile({ writeRate: 1000 });

type Report = RunReport;

function users(from: number, to: number): string {
  let text = '';
  for (let i = from; i < to; i++) text += `${email(i)}\n`;
  return text;
}

async function pushStoppedByInput(home: string, file: string, audience: string) {
  const report = path.join(home, 'report.json');
  const writtenBefore = recordsWritten(t.sandbox);
  const r = await runInProcess(['push', file, '--audience', audience, '--ad-account', US, '--create', '--rate', '1000', '--json', '--report', report], {
    home,
    env: sandboxEnv(t.sandbox),
    timeoutMs: 120_000,
  });
  expect(r.code, r.stderr).toBe(2);
  const printed = JSON.parse(r.stdout) as Report;
  expect(JSON.parse(fs.readFileSync(report, 'utf8'))).toMatchObject({ stoppedBy: 'input', synced: printed.synced });
  expect(printed.stoppedBy).toBe('input');
  expect(printed.synced).toBeGreaterThan(0);
  expect(printed.entered).toBe(printed.synced + printed.duplicates + printed.notSynced + printed.errored + printed.pending);
  expect(recordsWritten(t.sandbox) - writtenBefore).toBe(printed.synced);
  expect(r.stderr).toMatch(/Entered/);
  expect(r.stderr).toMatch(new RegExp(`stopped by the input after ${printed.synced.toLocaleString('en-US')} rows were sent to Pinterest`));
  return { r, report: printed };
}

describe('an input error after sending began', () => {
  it('garbage after valid gzip data: summary, --json and --report with stoppedBy "input", exit 2', async () => {
    const home = makeHome();
    const file = path.join(home, 'users.csv.gz');
    const garbage = Buffer.concat([Buffer.from([0x1f, 0x8b, 0x63, 0x00]), Buffer.alloc(4096, 0x5a)]);
    fs.writeFileSync(file, Buffer.concat([zlib.gzipSync('email\n' + users(0, 60_000), { level: 1 }), garbage]));
    const { r } = await pushStoppedByInput(home, file, 'Corrupt gzip');
    expect(r.stderr).toMatch(/not valid gzip data/);
  }, 120_000);

  it('an overlong line deep in the file: the same, naming the line', async () => {
    const home = makeHome();
    const file = path.join(home, 'users.csv');
    fs.writeFileSync(file, 'email\n' + users(100_000, 130_000) + 'x'.repeat(3 << 20) + '\n' + users(130_000, 130_100));
    const { r, report } = await pushStoppedByInput(home, file, 'Overlong line');
    expect(r.stderr).toMatch(/Line 30002 is longer than/);
    expect(report.entered).toBeLessThanOrEqual(30_000);
  }, 120_000);

  it('a fan-out (--audience-column) stops the same way: every audience and the totals say stoppedBy "input", exit 2', async () => {
    const home = makeHome();
    const file = path.join(home, 'segments.csv.gz');
    let rows = 'email,segment\n';
    for (let i = 200_000; i < 260_000; i++) rows += `${email(i)},${i % 2 ? 'Corrupt odd' : 'Corrupt even'}\n`;
    const garbage = Buffer.concat([Buffer.from([0x1f, 0x8b, 0x63, 0x00]), Buffer.alloc(4096, 0x5a)]);
    const corrupt = Buffer.concat([zlib.gzipSync(rows, { level: 1 }), garbage]);
    fs.writeFileSync(file, corrupt);
    const args = ['--audience-column', 'segment', '--ad-account', US, '--create', '--rate', '1000', '--json'];
    // From a file, --create looks every segment up first: the corrupt tail is found before anything is sent.
    const early = recordsWritten(t.sandbox);
    const refused = await runInProcess(['push', file, ...args], { home, env: sandboxEnv(t.sandbox), timeoutMs: 120_000 });
    expect(refused.code, refused.stderr).toBe(2);
    expect(refused.stderr).toMatch(/not valid gzip data/);
    expect(recordsWritten(t.sandbox)).toBe(early);
    // From standard input (read once, as it comes) it is found after sending began.
    const writtenBefore = recordsWritten(t.sandbox);
    const r = await runInProcess(['push', '-', ...args], {
      home,
      env: sandboxEnv(t.sandbox),
      input: corrupt,
      timeoutMs: 120_000,
    });
    expect(r.code, r.stderr).toBe(2);
    const printed = JSON.parse(r.stdout) as Report & { audiences: Report[] };
    expect(printed.stoppedBy).toBe('input');
    expect(printed.audiences.map((a) => a.stoppedBy)).toEqual(['input', 'input']);
    expect(printed.synced).toBeGreaterThan(0);
    for (const counts of [printed, ...printed.audiences]) {
      expect(counts.entered).toBe(counts.synced + counts.duplicates + counts.notSynced + counts.errored + counts.pending);
    }
    expect(recordsWritten(t.sandbox) - writtenBefore).toBe(printed.synced);
    expect(r.stderr).toMatch(new RegExp(`stopped by the input after ${printed.synced.toLocaleString('en-US')} rows were sent to Pinterest`));
    expect(r.stderr).toMatch(/not valid gzip data/);
    expect(r.stderr).toMatch(/"Corrupt odd"/);
  }, 120_000);
});
