// Limiters of one PINSYNC_HOME (each with its own SQLite connection, as separate processes have)
// share one token's write slots: together they keep the spacing, each gets its share, a 429 pause
// holds them all, and a process killed mid-transaction blocks nobody.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openSharedRateLimiter, type SharedRateLimiter } from '../../src/state/token-budget.js';
import { tempHome } from './helpers.js';

const RATE = 50;
const INTERVAL_MS = 1020 / RATE;
/** Timers may fire a millisecond early after rounding. */
const TIMER_SLOP_MS = 2;

let home: string;
const limiters: SharedRateLimiter[] = [];

beforeEach(() => {
  home = tempHome();
});

afterEach(() => {
  for (const limiter of limiters.splice(0)) limiter.close();
  fs.rmSync(home, { recursive: true, force: true });
});

async function limiter(rate = RATE): Promise<SharedRateLimiter> {
  const opened = await openSharedRateLimiter(home, { ads_write: rate, ads_read: rate });
  limiters.push(opened);
  return opened;
}

/**
 * `count` acquisitions by 4 concurrent callers, each asking again once granted (as an uploader with 4
 * requests in flight does); resolves with the times they were granted, labelled.
 */
async function acquireMany(limiter: SharedRateLimiter, key: string, label: string, count: number, category = 'ads_write') {
  const grants: Array<{ label: string; at: number }> = [];
  const inFlight = new Set<object>();
  const caller = async () => {
    while (grants.length + inFlight.size < count) {
      const ticket = {};
      inFlight.add(ticket);
      await limiter.acquire(key, category);
      inFlight.delete(ticket);
      grants.push({ label, at: performance.now() });
    }
  };
  await Promise.all([caller(), caller(), caller(), caller()]);
  return grants;
}

function gaps(times: number[]): number[] {
  const sorted = [...times].sort((a, b) => a - b);
  return sorted.slice(1).map((time, i) => time - sorted[i]!);
}

describe('one token, one budget', () => {
  it('two limiters of one token together keep the spacing, and each gets its share', async () => {
    const [first, second] = [await limiter(), await limiter()];
    const grants = (await Promise.all([acquireMany(first, 'token-a', 'first', 20), acquireMany(second, 'token-a', 'second', 20)])).flat();
    expect(Math.min(...gaps(grants.map((grant) => grant.at)))).toBeGreaterThanOrEqual(INTERVAL_MS - TIMER_SLOP_MS);
    const earliestHalf = [...grants].sort((a, b) => a.at - b.at).slice(0, 20);
    const firstShare = earliestHalf.filter((grant) => grant.label === 'first').length;
    expect(firstShare).toBeGreaterThanOrEqual(7);
    expect(firstShare).toBeLessThanOrEqual(13);
  });

  it('different tokens do not share', async () => {
    const [first, second] = [await limiter(), await limiter()];
    const started = performance.now();
    await Promise.all([acquireMany(first, 'token-a', 'a', 20), acquireMany(second, 'token-b', 'b', 20)]);
    // One shared budget would need 39 intervals; two independent ones need 19 each.
    expect(performance.now() - started).toBeLessThan(30 * INTERVAL_MS);
  });

  it('a pause one limiter hears (429) holds the other', async () => {
    const [first, second] = [await limiter(), await limiter()];
    await first.acquire('token-a', 'ads_write');
    const until = Date.now() + 300;
    first.pause('token-a', 'ads_write', until);
    expect(second.pausedUntil('token-a', 'ads_write')).toBe(until);
    await second.acquire('token-a', 'ads_write');
    expect(Date.now()).toBeGreaterThanOrEqual(until - TIMER_SLOP_MS);
  });

  it('reads stay per process', async () => {
    const [first, second] = [await limiter(), await limiter()];
    const started = performance.now();
    await Promise.all([acquireMany(first, 'token-a', 'a', 10, 'ads_read'), acquireMany(second, 'token-a', 'b', 10, 'ads_read')]);
    expect(performance.now() - started).toBeLessThan(16 * INTERVAL_MS);
    expect(fs.readdirSync(path.join(home, 'budgets')).filter((name) => name.endsWith('.db'))).toEqual([]);
  });

  it('Ctrl-C cuts a wait for a slot', async () => {
    const shared = await limiter(1);
    await shared.acquire('token-a', 'ads_write');
    const controller = new AbortController();
    const waiting = shared.acquire('token-a', 'ads_write', controller.signal);
    setTimeout(() => controller.abort(new Error('interrupted')), 20);
    await expect(waiting).rejects.toThrow('interrupted');
  });

  it('a process killed while holding the budget blocks nobody', async () => {
    const shared = await limiter();
    await shared.acquire('token-a', 'ads_write'); // creates the budget file
    const [file] = fs.readdirSync(path.join(home, 'budgets')).filter((name) => name.endsWith('.db'));
    const holder = spawn(
      process.execPath,
      ['-e', `const db = new (require('better-sqlite3'))(process.argv[1]); db.exec('BEGIN IMMEDIATE'); console.log('holding'); setInterval(() => {}, 1000);`, path.join(home, 'budgets', file!)],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    await new Promise<void>((resolve) => holder.stdout.once('data', () => resolve()));
    const exited = new Promise((resolve) => holder.once('exit', resolve));
    holder.kill('SIGKILL');
    await exited;
    const started = performance.now();
    await shared.acquire('token-a', 'ads_write');
    expect(performance.now() - started).toBeLessThan(1000);
  });
});
