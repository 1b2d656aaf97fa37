import { describe, expect, it } from 'vitest';
import { UsageError } from '../../src/errors.js';
import { planColumns } from '../../src/input/columns.js';
import { GUARD_WINDOW, MappingGuard } from '../../src/send/guard.js';

const plan = planColumns(['id', 'Email'], {});

/** Feeds rows to the guard until it asks for a decision; returns how many rows that took. */
function judge(guard: MappingGuard, usable: (i: number) => boolean, rows = GUARD_WINDOW): number {
  for (let i = 0; i < rows; i++) if (guard.count(usable(i))) return i + 1;
  return rows;
}

describe('the wrong-mapping guard', () => {
  it('asks for a decision once the first 1,000 rows are judged', () => {
    const guard = new MappingGuard(false);
    expect(judge(guard, () => true, 5000)).toBe(1000);
  });

  it('stops the run (exit 2) when more than half of the first rows have no valid identifier, naming the column', () => {
    const guard = new MappingGuard(false);
    judge(guard, (i) => i < 499);
    let error: unknown;
    try {
      guard.decide(plan);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(UsageError);
    expect((error as UsageError).exitCode).toBe(2);
    expect((error as Error).message).toMatch(/^501 of the first 1000 rows have no valid identifier in "Email" \(read as email addresses\), so nothing was uploaded\./);
    expect((error as Error).message).toMatch(/--force/);
  });

  it('lets the run go on when exactly half are usable', () => {
    const guard = new MappingGuard(false);
    judge(guard, (i) => i % 2 === 0);
    expect(() => guard.decide(plan)).not.toThrow();
    expect(guard.decided).toBe(true);
  });

  it('judges a smaller input on all its rows', () => {
    const guard = new MappingGuard(false);
    judge(guard, (i) => i === 0, 3);
    expect(() => guard.decide(plan)).toThrow('2 of the first 3 rows have no valid identifier');
  });

  it('with --force, never holds batches back and never stops the run', () => {
    const guard = new MappingGuard(true);
    expect(guard.decided).toBe(true);
    expect(judge(guard, () => false, 2000)).toBe(2000);
    expect(() => guard.decide(plan)).not.toThrow();
  });
});
