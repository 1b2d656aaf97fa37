import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { DigestSet } from '../../src/pipeline/dedupe.js';

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

describe('the duplicate set', () => {
  it('answers "new" once per record, across growth, for 50,000 records', () => {
    const set = new DigestSet(16);
    const records = Array.from({ length: 50_000 }, (_, i) => sha256(`user${i}@example.com`));
    expect(records.every((record) => set.add(record))).toBe(true);
    expect(records.some((record) => set.add(record))).toBe(false);
    expect(set.size).toBe(50_000);
  });

  it('tells the chance of a false duplicate (about n² / 2^65)', () => {
    const set = new DigestSet();
    for (let i = 0; i < 1000; i++) set.add(sha256(String(i)));
    expect(set.falseDuplicateProbability()).toBeCloseTo(1e6 / 2 ** 65, 25);
  });
});
