// The clients of one process take turns for write slots: a job with many requests waiting does not
// make one with a few wait behind all of them.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openWriteBudget } from '../src/connect.js';
import type { WriteBudget } from '../src/pinterest/ratelimit/index.js';

let home: string;
let budget: WriteBudget | undefined;
afterEach(() => {
  budget?.close();
  fs.rmSync(home, { recursive: true, force: true });
});

describe('openWriteBudget', () => {
  it('hands slots to the lanes in turn, each lane in the order it asked', async () => {
    home = fs.mkdtempSync(path.join(os.tmpdir(), 'pinsync-budget-'));
    budget = await openWriteBudget(home, 50);
    const big = budget.lane();
    const small = budget.lane();
    const granted: string[] = [];
    const ask = (lane: typeof big, label: string) => lane.acquire('token', 'ads_write').then(() => granted.push(label));
    const waits = [...Array.from({ length: 8 }, (_, i) => ask(big, `big${i}`)), ask(small, 'small0'), ask(small, 'small1')];
    await Promise.all(waits);
    expect(granted.slice(0, 5)).toEqual(['big0', 'small0', 'big1', 'small1', 'big2']);
    expect(granted.filter((label) => label.startsWith('big'))).toEqual(Array.from({ length: 8 }, (_, i) => `big${i}`));
  });

  it('a waiter that gives up leaves its lane; the others still get their slots', async () => {
    home = fs.mkdtempSync(path.join(os.tmpdir(), 'pinsync-budget-'));
    budget = await openWriteBudget(home, 20);
    const lane = budget.lane();
    const stop = new AbortController();
    const first = lane.acquire('token', 'ads_write');
    const abandoned = lane.acquire('token', 'ads_write', { signal: stop.signal });
    const last = lane.acquire('token', 'ads_write');
    stop.abort(new Error('stopped'));
    await expect(abandoned).rejects.toThrow('stopped');
    await expect(Promise.all([first, last])).resolves.toBeDefined();
  });
});
