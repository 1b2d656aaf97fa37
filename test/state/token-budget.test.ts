// Limiters of one PINSYNC_HOME (each with its own SQLite connection, as separate processes have)
// share one token's write slots: together they keep the spacing, each gets its share, a 429 pause
// holds them all, and a process killed mid-transaction blocks nobody.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { realClock, type Clock } from '../../src/pinterest/clock.js';
import { RateLimiter, WINDOW_SLACK_MS, type SharedBudget } from '../../src/pinterest/ratelimit/index.js';
import { openSharedBudget } from '../../src/state/token-budget.js';
import { tempHome } from './helpers.js';

const RATE = 50;
const INTERVAL_MS = 1020 / RATE;
/** Timers may fire a millisecond early after rounding. */
const TIMER_SLOP_MS = 2;

let home: string;
const budgets: SharedBudget[] = [];
type SharedRateLimiter = RateLimiter;

beforeEach(() => {
  home = tempHome();
});

afterEach(() => {
  for (const budget of budgets.splice(0)) budget.close();
  fs.rmSync(home, { recursive: true, force: true });
});

async function limiter(rate = RATE, clock: Clock = realClock): Promise<SharedRateLimiter> {
  const shared = await openSharedBudget(home, rate, clock);
  budgets.push(shared);
  return new RateLimiter({ ads_write: rate, ads_read: rate }, { clock, shared });
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

/** Grant times the home's budget file recorded (it keeps the last two seconds). */
function recordedGrants(): number[] {
  const [file] = fs.readdirSync(path.join(home, 'budgets')).filter((name) => name.endsWith('.db'));
  const db = new Database(path.join(home, 'budgets', file!), { readonly: true });
  try {
    return db.prepare<[], { at: number }>('SELECT at FROM grants ORDER BY at').all().map((row) => row.at);
  } finally {
    db.close();
  }
}

function gaps(times: number[]): number[] {
  const sorted = [...times].sort((a, b) => a - b);
  return sorted.slice(1).map((time, i) => time - sorted[i]!);
}

describe('one token, one budget', () => {
  it('two limiters of one token together keep the spacing, and each gets its share', async () => {
    const [first, second] = [await limiter(), await limiter()];
    const grants = (await Promise.all([acquireMany(first, 'token-a', 'first', 20), acquireMany(second, 'token-a', 'second', 20)])).flat();
    // The grants as the budget made them (a caller's own clock reading after its await adds event-loop noise).
    const granted = recordedGrants();
    expect(granted).toHaveLength(40);
    expect(Math.min(...gaps(granted))).toBeGreaterThanOrEqual(INTERVAL_MS);
    const earliestHalf = [...grants].sort((a, b) => a.at - b.at).slice(0, 20);
    const firstShare = earliestHalf.filter((grant) => grant.label === 'first').length;
    expect(firstShare).toBeGreaterThanOrEqual(7);
    expect(firstShare).toBeLessThanOrEqual(13);
  });

  it('a process whose timer fires late keeps its turn: the one that asks again at once does not take every slot after', async () => {
    const eager = await limiter();
    // Now and then the other process's event loop is busy when its slot comes (its timer fires late).
    let sleeps = 0;
    const lateNowAndThen: Clock = { now: realClock.now, sleep: (ms, signal) => realClock.sleep(ms + (++sleeps % 5 === 0 ? 15 : 0), signal) };
    const late = await limiter(RATE, lateNowAndThen);
    // One request at a time each, as a process's write budget asks.
    const grants: Array<{ label: string; at: number }> = [];
    const caller = async (shared: SharedRateLimiter, label: string) => {
      for (let i = 0; i < 30; i++) {
        await shared.acquire('token-a', 'ads_write');
        grants.push({ label, at: performance.now() });
      }
    };
    await Promise.all([caller(eager, 'eager'), caller(late, 'late')]);
    const firstThirty = [...grants].sort((a, b) => a.at - b.at).slice(0, 30);
    expect(firstThirty.filter((grant) => grant.label === 'late').length).toBeGreaterThanOrEqual(12);
  });

  it('a request one process sent late moves the next grant of the other', async () => {
    const [first, second] = [await limiter(), await limiter()];
    await first.acquire('token-a', 'ads_write');
    const grantedAt = Date.now();
    // Its event loop was busy: the request reached the socket 80 ms after its grant.
    first.sent('token-a', 'ads_write', grantedAt, grantedAt + 80);
    await second.acquire('token-a', 'ads_write');
    // The 60 ms beyond the spacing's 20 ms of slack move the other's turn.
    expect(Date.now() - grantedAt).toBeGreaterThanOrEqual(80 - WINDOW_SLACK_MS + INTERVAL_MS - TIMER_SLOP_MS);
  });

  it('processes of one home count each other as their own sends, not as unseen consumers of the window', async () => {
    const [first, second] = [await limiter(7), await limiter(7)];
    const answers = async (shared: SharedRateLimiter, label: string) => {
      for (let i = 0; i < 8; i++) {
        await shared.acquire('token-a', 'ads_write');
        const sentAt = Date.now();
        // The server's window holds every grant of both processes in the last second.
        const used = sentGrants.filter((at) => at > sentAt - 1000).length + 1;
        sentGrants.push(sentAt);
        shared.observe('token-a', 'ads_write', { status: 200, limit: 7, remaining: Math.max(0, 7 - used), resetMs: 1000, sentAt });
      }
      return label;
    };
    const sentGrants: number[] = [];
    await Promise.all([answers(first, 'first'), answers(second, 'second')]);
    // Counted as unseen consumers, each would settle near half the window (3 or 4 slots).
    expect(first.windowShare('token-a', 'ads_write')).toBe(7);
    expect(second.windowShare('token-a', 'ads_write')).toBe(7);
  });

  it('a share learned beside unseen consumers paces every process of the home together', async () => {
    const [first, second] = [await limiter(), await limiter()];
    await first.acquire('token-a', 'ads_write');
    // Another machine uses 40 of the 50 slots: this home may take 10 a second, both processes together.
    first.observe('token-a', 'ads_write', { status: 200, limit: RATE, remaining: RATE - 41, resetMs: 1000, sentAt: Date.now() });
    // A fresh process takes half of what the others leave, until later answers show more room.
    const share = first.windowShare('token-a', 'ads_write')!;
    expect(share).toBe(5);
    const started = performance.now();
    await Promise.all([acquireMany(first, 'token-a', 'first', 5), acquireMany(second, 'token-a', 'second', 5)]);
    // 10 grants, 9 intervals at 5 a second: about 1.8 s; at the full 50 a second under 200 ms.
    expect(performance.now() - started).toBeGreaterThan(0.9 * 9 * (1000 / share));
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
    const waiting = shared.acquire('token-a', 'ads_write', { signal: controller.signal });
    setTimeout(() => controller.abort(new Error('interrupted')), 20);
    await expect(waiting).rejects.toThrow('interrupted');
  });

  it('the turn of a process killed while waiting for it lapses: the others wait at most half a second', async () => {
    const shared = await limiter();
    await shared.acquire('token-a', 'ads_write'); // creates the budget file
    const [file] = fs.readdirSync(path.join(home, 'budgets')).filter((name) => name.endsWith('.db'));
    // A process that took the next turn and died before it came (kill -9): its ticket stays behind.
    const db = new Database(path.join(home, 'budgets', file!));
    db.prepare('INSERT INTO tickets (holder, slot) VALUES (?, ?)').run('killed', Date.now());
    db.close();
    const started = performance.now();
    await shared.acquire('token-a', 'ads_write');
    const waited = performance.now() - started;
    expect(waited).toBeGreaterThanOrEqual(400);
    expect(waited).toBeLessThan(1000);
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
