// The sandbox's virtual clock: token lifetimes, OAuth codes, timestamps and the daily write quota all
// read it, so a test (or `pinsync sandbox --advance-days`, or POST /sandbox/clock) can live through a
// year of 30-day access tokens and 60-day refresh tokens in seconds. Rate limits keep real time.

export const DAY_MS = 24 * 3600 * 1000;

export class SandboxClock {
  constructor(
    /** The time the offset is added to (Date.now, or a test's own clock). */
    private readonly base: () => number = Date.now,
    private offset = 0,
  ) {}

  /** Epoch ms on the sandbox's clock. */
  readonly now = (): number => this.base() + this.offset;

  /** How far the clock runs ahead of its base (kept with `--state`). */
  get offsetMs(): number {
    return this.offset;
  }

  /** Moves the clock forward (never back: tokens issued "later" must not become younger). */
  advance(ms: number): void {
    if (!Number.isFinite(ms) || ms < 0) throw new RangeError('The sandbox clock only moves forward.');
    this.offset += ms;
  }

  advanceDays(days: number): void {
    this.advance(days * DAY_MS);
  }
}
