import { describe, expect, it } from 'vitest';
import type { BatchRange } from '../../src/send/journal.js';
import type { RunReport } from '../../src/report/run-report.js';
import { startRunJournal, type RunJournalOptions } from '../../src/state/journal.js';
import { openStateStore } from '../../src/state/store.js';
import { writeFile } from '../support/files.js';
import { makeHome } from '../support/home.js';
import { contextAt } from '../support/test-context.js';

const HOUR = 3_600_000;

function batch(id: number, firstLine: number, lastLine: number): BatchRange {
  const lines = Array.from({ length: lastLine - firstLine + 1 }, (_, i) => firstLine + i);
  return { id, firstLine, lastLine, records: lines.length, startedAt: 0, lines };
}

function options(input: string, extra: Partial<RunJournalOptions> = {}): RunJournalOptions {
  return {
    command: 'push',
    operation: 'ADD',
    input,
    requestShape: { audience: 'Newsletter', adAccount: '549755885175', columns: {} },
    retryForMs: 13 * HOUR,
    ...extra,
  };
}

const report = (extra: Record<string, unknown> = {}) =>
  ({ command: 'push', operation: 'ADD', audienceId: 'a1', audienceName: 'Newsletter', ...extra }) as unknown as RunReport;

describe('the durable push journal', () => {
  it('resumes an interrupted run: acknowledged lines are delivered, in-flight ones are not', async () => {
    const home = makeHome('pinsync-state-');
    const ctx = contextAt(home);
    const input = writeFile(home, 'users.csv', 'email\na@example.com\n');
    const first = await startRunJournal(ctx, options(input));
    first.batchSent(batch(1, 2, 10));
    first.batchAcknowledged(batch(1, 2, 10));
    first.batchSent(batch(2, 11, 20)); // in flight when the process dies
    first.close();

    const second = await startRunJournal(ctx, options(input));
    expect(second.runId).toBe(first.runId);
    expect(second.resumed).toMatchObject({ attempt: 2, deliveredLines: 9 });
    expect([2, 10, 11, 20].map((line) => second.alreadyDelivered(line))).toEqual([true, true, false, false]);
    expect(ctx.output().stderr).toMatch(/Resuming run \d+ \(attempt 2\): 9 lines/);
    second.close();
  });

  it('starts over with --restart, on another input, or with other request options', async () => {
    const home = makeHome('pinsync-state-');
    const ctx = contextAt(home);
    const input = writeFile(home, 'users.csv', 'email\na@example.com\n');
    const first = await startRunJournal(ctx, options(input));
    first.batchAcknowledged(batch(1, 2, 2));
    first.close();
    for (const next of [
      options(input, { restart: true }),
      options(input, { operation: 'REMOVE' }),
      options(input, { requestShape: { audience: 'Other' } }),
    ]) {
      const journal = await startRunJournal(ctx, next);
      expect(journal.resumed).toBeUndefined();
      expect(journal.alreadyDelivered(2)).toBe(false);
      journal.close();
    }
    writeFile(home, 'users.csv', 'email\nb@example.com\nc@example.com\n');
    const changed = await startRunJournal(ctx, options(input));
    expect(changed.resumed).toBeUndefined();
    changed.close();
  });

  it('does not resume a run that finished cleanly, nor standard input', async () => {
    const home = makeHome('pinsync-state-');
    const ctx = contextAt(home);
    const input = writeFile(home, 'users.csv', 'email\na@example.com\n');
    const done = await startRunJournal(ctx, options(input));
    done.batchAcknowledged(batch(1, 2, 2));
    done.finish(report(), 0);
    done.close();
    const again = await startRunJournal(ctx, options(input));
    expect(again.resumed).toBeUndefined();
    again.close();

    const piped = await startRunJournal(ctx, options('-'));
    piped.batchAcknowledged(batch(1, 2, 2));
    piped.close();
    const pipedAgain = await startRunJournal(ctx, options('-'));
    expect(pipedAgain.resumed).toBeUndefined();
    expect(pipedAgain.resumeHint()).toMatch(/Standard input cannot be resumed/);
    pipedAgain.close();
  });

  it('keeps the retry window of a failing batch across restarts, and renews it for errored ranges', async () => {
    const home = makeHome('pinsync-state-');
    const clock = { now: 1_700_000_000_000 };
    const ctx = contextAt(home, clock);
    const input = writeFile(home, 'users.csv', 'email\na@example.com\n');
    const started = clock.now;
    const first = await startRunJournal(ctx, options(input));
    expect(first.deadlineFor(2, 1901)).toBeUndefined();
    first.batchSent(batch(1, 2, 1901));
    first.close(); // killed while the batch was being retried

    clock.now += 5 * HOUR;
    const second = await startRunJournal(ctx, options(input));
    expect(second.deadlineFor(2, 1901)).toBe(started + 13 * HOUR);
    second.batchSent(batch(1, 2, 1901));
    expect(second.deadlineFor(2, 1901)).toBe(started + 13 * HOUR);
    clock.now += 8 * HOUR;
    second.batchFailed(batch(1, 2, 1901), 'server_error');
    second.finish(report({ errored: 1900 }), 3);
    second.close();

    // A rerun of a run that ended with errored users retries just those, with a fresh window.
    clock.now += HOUR;
    const third = await startRunJournal(ctx, options(input));
    expect(third.runId).toBe(first.runId);
    expect(third.deadlineFor(2, 1901)).toBeUndefined();
    third.close();
  });

  it('records the finished run with its report for `pinsync runs`', async () => {
    const home = makeHome('pinsync-state-');
    const ctx = contextAt(home);
    const input = writeFile(home, 'users.csv', 'email\na@example.com\n');
    const journal = await startRunJournal(ctx, options(input));
    journal.finish(report({ entered: 1, synced: 1, customerListId: 'l1', adAccountId: '549755885175' }), 0);
    journal.close();
    const store = await openStateStore(ctx.paths.stateFile);
    const [run] = store.runs.list();
    expect(run).toMatchObject({ status: 'finished', exitCode: 0, audienceId: 'a1', customerListId: 'l1' });
    expect(JSON.parse(run!.reportJson!)).toMatchObject({ entered: 1, synced: 1, runId: run!.id });
    store.close();
  });

  it('treats a batch split to isolate rejected records as no failure; its halves keep its retry window', async () => {
    const home = makeHome('pinsync-state-');
    const clock = { now: 1_700_000_000_000 };
    const ctx = contextAt(home, clock);
    const input = writeFile(home, 'users.csv', 'email\na@example.com\n');
    const journal = await startRunJournal(ctx, options(input));
    const started = clock.now;
    journal.batchSent(batch(1, 2, 101));
    clock.now += 1000;
    journal.batchFailed(batch(1, 2, 101), 'split to isolate rejected records');
    journal.batchSent(batch(2, 2, 51));
    expect(journal.deadlineFor(2, 51)).toBe(started + 13 * HOUR);
    journal.batchAcknowledged(batch(2, 2, 51));
    journal.batchFailed(batch(3, 52, 101), 'rejected_by_pinterest: invalid records');
    const store = await openStateStore(ctx.paths.stateFile);
    expect(store.runs.batches(journal.runId, 'failed').map((b) => [b.firstLine, b.lastLine])).toEqual([[52, 101]]);
    store.close();
    journal.close();
  });
});
