import { describe, expect, it } from 'vitest';
import { buildRunReport } from '../../src/report/run-report.js';
import { formatSummary } from '../../src/report/summary.js';
import { Tally } from '../../src/send/tally.js';

function reportOf(tally: Tally, dryRun = false) {
  return buildRunReport({
    command: 'push',
    operation: 'ADD',
    dryRun,
    target: { adAccountId: '1', audienceId: '22', audienceName: 'Newsletter', customerListId: '33' },
    counts: tally.counts(),
    client: { requests: 4, retries: 1, rateLimited: 1 },
    startedAt: Date.UTC(2026, 0, 1),
    finishedAt: Date.UTC(2026, 0, 1) + 2500,
    input: 'users.csv',
    columns: { email: 'email' },
    outcome: 'completed',
    stoppedBy: 'end',
    falseDuplicateProbability: 0,
  });
}

describe('the run report and its summary', () => {
  it('counts every row exactly once, and the summary shows the reference metrics with reasons', () => {
    const rejects: string[] = [];
    const tally = new Tally({ reject: (line, reason) => rejects.push(`${line},${reason}`) });
    for (let i = 0; i < 10; i++) tally.rowEntered();
    tally.rowNotSynced(3, 'invalid_email');
    tally.rowNotSynced(4, 'missing_identifier');
    tally.rowDuplicate();
    tally.rowsSynced(5, 6);
    tally.rowsErrored([9, 10], 'rejected_by_pinterest', 'record 3 is not valid');
    const report = reportOf(tally);
    expect(report).toMatchObject({ entered: 10, synced: 5, duplicates: 1, notSynced: 2, errored: 2, pending: 0, records: 6, durationMs: 2500 });
    expect(report.entered).toBe(report.synced + report.duplicates + report.notSynced + report.errored + report.pending);
    expect(rejects).toEqual(['3,invalid_email', '4,missing_identifier', '9,rejected_by_pinterest: record 3 is not valid', '10,rejected_by_pinterest: record 3 is not valid']);
    const summary = formatSummary(report, 'users.csv');
    expect(summary).toMatch(/Pushed to audience "Newsletter" \(22, customer list 33\)/);
    expect(summary).toMatch(/Entered\s+10/);
    expect(summary).toMatch(/Not synced\s+2 +\(invalid email: 1, missing identifier: 1\)/);
    expect(summary).toMatch(/Errored\s+2 +\(rejected by pinterest: 2\)/);
    expect(summary).toMatch(/6 records in 4 requests \(1 retries, 1 rate-limited\) in 2\.5 s/);
  });

  it('says a dry run sent nothing', () => {
    const tally = new Tally();
    tally.rowEntered();
    tally.rowsSynced(1, 1);
    const report = { ...reportOf(tally, true), wouldSend: { requests: 1, records: 1 } };
    expect(formatSummary(report, 'users.csv')).toMatch(/Dry run of users.csv .*nothing was sent[\s\S]*Would send 1 records in 1 requests/);
  });
});
