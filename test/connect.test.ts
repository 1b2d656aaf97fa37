// The write budget a run opens from its state folder (openWriteBudget): the clients of one process take
// turns on the home's shared budget, and a folder that cannot hold the budget file leaves the process
// keeping to the rate alone.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openWriteBudget } from '../src/connect.js';
import type { WriteBudget } from '../src/pinterest/ratelimit/index.js';
import { budgetFiles, recordedGrants } from './support/budget-file.js';

let home: string;
let budget: WriteBudget | undefined;
beforeEach(() => {
  home = fs.mkdtempSync(path.join(os.tmpdir(), 'pinsync-budget-'));
});
afterEach(() => {
  budget?.close();
  budget = undefined;
  fs.rmSync(home, { recursive: true, force: true });
});

describe('openWriteBudget', () => {
  it("hands the home's slots to the lanes in turn, each lane in the order it asked", async () => {
    budget = await openWriteBudget(home, 50);
    const big = budget.lane();
    const small = budget.lane();
    const granted: string[] = [];
    const ask = (lane: typeof big, label: string) => lane.acquire('token', 'ads_write').then(() => granted.push(label));
    const waits = [...Array.from({ length: 8 }, (_, i) => ask(big, `big${i}`)), ask(small, 'small0'), ask(small, 'small1')];
    await Promise.all(waits);
    expect(granted.slice(0, 5)).toEqual(['big0', 'small0', 'big1', 'small1', 'big2']);
    expect(granted.filter((label) => label.startsWith('big'))).toEqual(Array.from({ length: 8 }, (_, i) => `big${i}`));
    const [file] = budgetFiles(home);
    expect(recordedGrants(file!)).toHaveLength(10);
  });

  it('keeps to the rate alone when the state folder cannot hold the budget file, and says so in --debug', async () => {
    const notAFolder = path.join(home, 'state');
    fs.writeFileSync(notAFolder, '');
    const debug: string[] = [];
    budget = await openWriteBudget(notAFolder, 50, (message) => debug.push(message));
    const lane = budget.lane();
    await Promise.all([lane.acquire('token', 'ads_write'), lane.acquire('token', 'ads_write')]);
    expect(debug).toEqual([expect.stringMatching(/^the write budget shared with other pinsync processes is not available \(.+\); keeping to 50\/s alone$/)]);
  });
});
