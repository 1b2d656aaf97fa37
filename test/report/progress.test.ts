// The share of a push shown as progress: rows done of the rows the file is estimated to hold, so the
// bar does not sit at 100% while the upload is still going, and it never moves backwards.
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { Tally } from '../../src/send/tally.js';
import { rowsDone, startProgress } from '../../src/report/progress.js';

function enter(tally: Tally, rows: number): void {
  for (let i = 0; i < rows; i++) tally.rowEntered();
}

describe('push progress', () => {
  it('counts rows done, not bytes read, and never shows less than before', async () => {
    const tally = new Tally();
    const input = { read: 0, bytesRead: () => input.read, totalBytes: 1000 };
    const source = rowsDone(tally, input);
    const stderr = new PassThrough();
    let printed = '';
    stderr.setEncoding('utf8').on('data', (chunk: string) => (printed += chunk));
    const progress = await startProgress(source, { stderr, isTTY: false, enabled: true, intervalSeconds: 0.05, now: Date.now });
    const shownNow = async () => {
      const before = printed.length;
      while (printed.length === before) await new Promise((resolve) => setTimeout(resolve, 10));
      return Number(/\((\d+)% done\)[^\n]*\n$/.exec(printed)![1]);
    };

    input.read = 500; // half the file read, nothing uploaded yet
    enter(tally, 1000);
    expect(await shownNow()).toBe(0);
    tally.rowsSynced(500, 500);
    expect(await shownNow()).toBe(25); // 500 of the ~2,000 rows the file holds
    input.read = 1000; // the whole file read: 3,000 rows, and the estimate grows
    enter(tally, 2000);
    expect(source.share()).toBeCloseTo(500 / 3000);
    expect(await shownNow()).toBe(25); // held, not back to 16%
    tally.rowsSynced(2500, 2500);
    expect(await shownNow()).toBe(100);
    progress.stop();
  });
});

describe('fan-out progress', () => {
  it('shows the totals and, on a terminal, the busiest audiences after them', async () => {
    const tally = new Tally();
    enter(tally, 3);
    const stderr = Object.assign(new PassThrough(), { isTTY: true, columns: 200, cursorTo: () => true, clearLine: () => true, moveCursor: () => true });
    let printed = '';
    stderr.setEncoding('utf8').on('data', (chunk: string) => (printed += chunk));
    const source = rowsDone(tally, { bytesRead: () => 10, totalBytes: 100 });
    const progress = await startProgress(source, { stderr, isTTY: true, enabled: true, now: Date.now, detail: () => 'vip 2 · lapsed 1' });
    progress.stop();
    expect(printed).toMatch(/3 rows read.*\| vip 2 · lapsed 1/);
  });
});
