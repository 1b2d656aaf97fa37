// The write budget a run opens from its state folder (openWriteBudget): the clients of one process take
// turns on the home's shared budget, and a folder that cannot hold the budget file leaves the process
// keeping to the rate alone; a damaged file there that cannot be replaced is said once.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openWriteBudget } from '../src/connect.js';
import type { WriteBudget } from '../src/pinterest/ratelimit/index.js';
import { budgetFiles, recordedGrants } from './support/budget-file.js';
import { readOnly } from './support/read-only.js';

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

  it('a damaged budget file in a folder that cannot be written is said once, and the process keeps to the rate alone', async () => {
    budget = await openWriteBudget(home, 50);
    await budget.lane().acquire('token', 'ads_write');
    budget.close();
    const [file] = budgetFiles(home);
    fs.writeFileSync(file!, 'not a budget '.repeat(100));
    const writable = readOnly(path.dirname(file!));
    try {
      const warnings: string[] = [];
      budget = await openWriteBudget(home, 50, () => undefined, (sentence) => warnings.push(sentence));
      const lane = budget.lane();
      const granted: number[] = [];
      for (let i = 0; i < 3; i++) await lane.acquire('token', 'ads_write').then(() => granted.push(Date.now()));
      expect(warnings).toEqual([
        expect.stringMatching(/^the write budget that this home's pinsync processes share \(.+\.db\) is damaged \(file is not a database\) and cannot be replaced \(.+\): this process keeps to the rate alone, and other pinsync processes of this home may meet 429s\. Remove the file to repair it\.$/),
      ]);
      expect(granted).toHaveLength(3);
      expect(fs.readFileSync(file!, 'utf8')).toMatch(/^not a budget/); // left as it was
    } finally {
      budget?.close();
      budget = undefined;
      writable();
    }
  });
});
