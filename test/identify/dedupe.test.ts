import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { DigestSet } from '../../src/identify/dedupe.js';
import { hexWord, isAllHex } from '../../src/identify/hex-digits.js';

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

  it('reads a record in either case as the same record, and lists what it holds', () => {
    const set = new DigestSet();
    const record = sha256('case');
    expect(set.add(record.toUpperCase())).toBe(true);
    expect(set.add(record)).toBe(false);
    expect(set.hasAt(`xx${record}`, 2)).toBe(true);
    const held: number[][] = [];
    set.forEach((hi, lo) => held.push([hi, lo]));
    expect(held).toEqual([[parseInt(record.slice(0, 8), 16), parseInt(record.slice(8, 16), 16)]]);
    expect(set.bytes).toBeGreaterThan(0);
  });
});

describe('hex digits', () => {
  it('reads 8 hex digits of either case as a 32-bit word', () => {
    expect(hexWord('00000000', 0)).toBe(0);
    expect(hexWord('ffffffff', 0)).toBe(0xffffffff);
    expect(hexWord('x89AbCdEf', 1)).toBe(0x89abcdef);
  });

  it('tells hex text from anything else', () => {
    expect(isAllHex('0123456789abcdefABCDEF')).toBe(true);
    for (const bad of ['g', 'G', '/', ':', '@', '`', ' ', '\u0130', '\uFF10']) expect(isAllHex(`ab${bad}`), bad).toBe(false);
  });
});
