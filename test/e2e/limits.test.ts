// pinsync against the sandbox behaving like the real API's limits (issue 10): a daily quota stops the
// run at once and a rerun after the reset sends only the rest; a window quota is paced; spam stops
// unretried; a missing scope is exit 4 naming it; a request-wide 400 errors its batch in one request;
// list exceptions reach the report and the summary.
import { afterEach, describe, expect, it } from 'vitest';
import { startSandbox, type Sandbox, type SandboxOptions } from '../../src/sandbox/server.js';
import { parseJsonOutput } from '../support/cli.js';
import { writeFile } from '../support/files.js';
import { makeHome } from '../support/home.js';
import { runInProcess } from '../support/in-process.js';
import { countsAddUp } from '../support/reports.js';
import { arrangeAudience, sandboxEnv, US } from '../support/sandbox.js';
import { listWrites, recordsOf } from '../support/sandbox-records.js';

let sandbox: Sandbox | undefined;
afterEach(async () => {
  await sandbox?.stop();
  sandbox = undefined;
});

async function arrange(options: Partial<SandboxOptions>, rows = 100) {
  sandbox = await startSandbox({ port: 0, ...options });
  const { list } = arrangeAudience(sandbox);
  const dir = makeHome('pinsync-work-');
  const users = writeFile(dir, 'users.csv', 'email\n' + Array.from({ length: rows }, (_, i) => `user${i}@example.com`).join('\n') + '\n');
  return { sandbox, list, users, home: makeHome('pinsync-limits-') };
}

const push = (s: Sandbox, users: string, home: string, ...extra: string[]) =>
  runInProcess(['push', users, '--audience', 'Newsletter', '--ad-account', US, '--batch-size', '10', '--json', ...extra], {
    env: sandboxEnv(s),
    home,
    timeoutMs: 60_000,
  });

type Report = Record<string, any>;

describe('Pinterest limits, end to end', () => {
  it('stops at once on a spent daily quota (exit 3, rows pending, reset in local time), and a rerun after the reset sends only the rest', async () => {
    const { sandbox, list, users, home } = await arrange({ dailyWriteQuota: { limit: 3, dayMs: 5_000 } });
    // A 5-second "day" against a 2-second retry window reads as a daily quota (the real one resets hours away).
    const first = await push(sandbox, users, home, '--retry-for', '2s');
    expect(first.code).toBe(3);
    // At once: the day's three writes and at most one refused; a run that waited for the reset (5 s
    // away) would have written again, and synced more than 30.
    expect(listWrites(sandbox).length).toBeLessThanOrEqual(4);
    const report = parseJsonOutput<Report>(first);
    expect(report).toMatchObject({ entered: 100, synced: 30, errored: 0, pending: 70, stoppedBy: 'quota' });
    expect(countsAddUp(report)).toBe(true);
    const resetAt = Date.parse(report.quotaResetAt);
    expect(resetAt).toBeGreaterThan(Date.now() - 1_000);
    expect(resetAt).toBeLessThan(Date.now() + 6_000);
    expect(first.stderr).toMatch(/write quota .* used up until .*local time/);
    expect(first.stderr).not.toMatch(/\n\s+at /); // no stack trace
    const writesBefore = listWrites(sandbox).length;
    expect(listWrites(sandbox).filter((r) => r.status === 429).length).toBeLessThanOrEqual(1);

    await new Promise((resolve) => setTimeout(resolve, Math.max(0, resetAt - Date.now() + 200)));
    const second = await push(sandbox, users, home, '--retry-for', '2s');
    expect(second.code).toBe(3); // 3 writes a "day": 30 more rows, then the quota again
    const rest = parseJsonOutput<Report>(second);
    expect(rest.synced).toBe(60); // 30 delivered by the first run, 30 now
    const sentNow = listWrites(sandbox).slice(writesBefore).filter((r) => r.status === 200);
    expect(sentNow.reduce((sum, r) => sum + r.records, 0)).toBe(30); // nothing sent twice
    expect(recordsOf(sandbox, list.id)).toHaveLength(60);
  });

  it('settles under a window quota lower than --rate without living on 429s', async () => {
    const { sandbox, list, users, home } = await arrange({ writeRate: 7, writeQuota: { limit: 15, windowMs: 3_000 } }, 300);
    const result = await push(sandbox, users, home);
    expect(result.code).toBe(0);
    const report = parseJsonOutput<Report>(result);
    expect(report).toMatchObject({ entered: 300, synced: 300, pending: 0 });
    expect(report.rateLimited).toBe(0);
    expect(recordsOf(sandbox, list.id)).toHaveLength(300);
  });

  it('stops on a spam answer without retrying it: its batch errored, the rest pending, exit 3, one sentence', async () => {
    const { sandbox, users, home } = await arrange({ faults: { spamAfterWrites: 2 } });
    const result = await push(sandbox, users, home, '--rate', '2');
    expect(result.code).toBe(3);
    const report = parseJsonOutput<Report>(result);
    expect(report).toMatchObject({ synced: 20, stoppedBy: 'spam' });
    expect(report.errors).toMatchObject({ blocked_as_spam: expect.any(Number) });
    expect(report.errored).toBe(report.errors.blocked_as_spam);
    expect(report.pending).toBeGreaterThan(0);
    expect(report.retries).toBe(0);
    expect(countsAddUp(report)).toBe(true);
    const spamAnswers = listWrites(sandbox).filter((r) => r.status === 429).length;
    expect(spamAnswers * 10).toBe(report.errored); // each spam answer errored its own batch, none retried
    expect(result.stderr).toMatch(/blocked the upload as spam.*Check the audience content with Pinterest/);
  });

  it('a token without ads:write: exit 4, the scope and `pinsync login` named, nothing written', async () => {
    const { sandbox, users, home } = await arrange({});
    const { accessToken } = sandbox.state.issueTokens({ scopes: ['ads:read', 'user_accounts:read'] });
    const result = await runInProcess(['push', users, '--audience', 'Newsletter', '--ad-account', US], { env: sandboxEnv(sandbox, accessToken), home });
    expect(result.code).toBe(4);
    expect(result.stderr).toMatch(/lacks the ads:write scope.*pinsync login/);
    expect(listWrites(sandbox).filter((r) => r.status === 200)).toHaveLength(0);
  });

  it('doctor names a missing scope too (exit 4)', async () => {
    const { sandbox, home } = await arrange({});
    const { accessToken } = sandbox.state.issueTokens({ scopes: ['user_accounts:read', 'ads:write'] });
    const result = await runInProcess(['doctor', '--ad-account', US], { env: sandboxEnv(sandbox, accessToken), home });
    expect(result.code).toBe(4);
    expect(result.stdout).toMatch(/lacks the ads:read scope.*pinsync login/);
    expect(result.stdout.match(/pinsync login/g)).toHaveLength(1);
  });

  it('a request-wide 400 errors each refused batch after one request (exit 3)', async () => {
    const { sandbox, users, home } = await arrange({ faults: { badRequestAfterWrites: 1 } }, 30);
    const result = await push(sandbox, users, home);
    expect(result.code).toBe(3);
    const report = parseJsonOutput<Report>(result);
    expect(report).toMatchObject({ entered: 30, synced: 10, errored: 20, pending: 0 });
    expect(listWrites(sandbox)).toHaveLength(3); // one request per batch, no bisection
  });

  it('reports list exceptions by the batches that carried them, in the report and the summary', async () => {
    const exceptions = [{ code: 2, message: 'Some records were not processed.' }];
    const { sandbox, users, home } = await arrange({ faults: { listExceptions: exceptions } }, 30);
    const result = await push(sandbox, users, home);
    expect(result.code).toBe(0);
    expect(parseJsonOutput<Report>(result).listExceptions).toEqual([{ code: 2, message: 'Some records were not processed.', batches: 3 }]);
    expect(result.stderr).toMatch(/list exception 2: Some records were not processed\. \(3 batches\)/);
  });
});
