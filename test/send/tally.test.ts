import { describe, expect, it } from 'vitest';
import { Tally } from '../../src/send/tally.js';

function tallyWithRejects() {
  const rejected: Array<[number, string]> = [];
  const tally = new Tally({ reject: (line, reason) => rejected.push([line, reason]) });
  return { tally, rejected };
}

const addsUp = (c: ReturnType<Tally['counts']>) => c.entered === c.synced + c.duplicates + c.notSynced + c.errored + c.pending;

describe('counting each row once', () => {
  it('keeps entered = synced + duplicates + notSynced + errored + pending at every step', () => {
    const { tally } = tallyWithRejects();
    const steps: Array<() => void> = [
      () => tally.rowEntered(),
      () => tally.rowEntered(),
      () => tally.rowNotSynced(3, 'invalid_email'),
      () => tally.rowEntered(),
      () => tally.rowDuplicate(),
      () => tally.rowEntered(),
      () => tally.rowEntered(),
      () => tally.rowsSynced(1, 2),
      () => tally.rowAlreadySynced(),
      () => tally.rowEntered(),
      () => tally.rowsErrored([7], 'server_error'),
    ];
    for (const step of steps) {
      step();
      expect(addsUp(tally.counts())).toBe(true);
    }
    expect(tally.counts()).toMatchObject({ entered: 6, synced: 2, duplicates: 1, notSynced: 1, errored: 1, pending: 1, records: 2 });
  });

  it('counts not-synced rows by reason and errored rows by cause', () => {
    const { tally } = tallyWithRejects();
    for (let i = 0; i < 5; i++) tally.rowEntered();
    tally.rowNotSynced(2, 'invalid_email');
    tally.rowNotSynced(3, 'invalid_email');
    tally.rowNotSynced(4, 'missing_identifier');
    tally.rowsErrored([5, 6], 'spam');
    expect(tally.counts()).toMatchObject({
      notSyncedReasons: { invalid_email: 2, missing_identifier: 1 },
      errors: { spam: 2 },
      pending: 0,
    });
  });

  it('writes a rejects line for every not-synced and errored row: its line number and why', () => {
    const { tally, rejected } = tallyWithRejects();
    for (let i = 0; i < 3; i++) tally.rowEntered();
    tally.rowNotSynced(4, 'invalid_maid');
    tally.rowsErrored([9, 12], 'bad_request', 'Pinterest said no');
    expect(rejected).toEqual([
      [4, 'invalid_maid'],
      [9, 'bad_request: Pinterest said no'],
      [12, 'bad_request: Pinterest said no'],
    ]);
  });

  it('hands out a copy of the counts, not its live state', () => {
    const tally = new Tally();
    tally.rowEntered();
    tally.rowNotSynced(2, 'invalid_email');
    const before = tally.counts();
    tally.rowEntered();
    tally.rowNotSynced(3, 'invalid_email');
    expect(before).toMatchObject({ entered: 1, notSyncedReasons: { invalid_email: 1 } });
  });
});
