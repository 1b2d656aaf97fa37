// The contract's counting invariant, checked on a run's report (and on each audience of a fan-out).
import { expect } from 'vitest';
import type { RunReport } from '../../src/report/run-report.js';

export type Counts = Pick<RunReport, 'entered' | 'synced' | 'duplicates' | 'notSynced' | 'errored' | 'pending'>;

/** A typed report, or one parsed from --json. */
type Report = Counts | Record<string, any>;

/** entered = synced + duplicates + notSynced + errored + pending */
export function countsAddUp(report: Report): boolean {
  const r = report as Counts;
  return r.entered === r.synced + r.duplicates + r.notSynced + r.errored + r.pending;
}

/** The invariant as an assertion that shows the counts when it fails. */
export function expectCountsAddUp(report: Report): void {
  const r = report as Counts;
  expect(r.entered, JSON.stringify(report)).toBe(r.synced + r.duplicates + r.notSynced + r.errored + r.pending);
}
