// Limiters of one PINSYNC_HOME (each with its own SQLite connection, as separate processes have)
// share one token's write slots: together they keep the spacing, each gets its share, a 429 pause
// holds them all, and a process killed mid-transaction blocks nobody. Virtual time: one clock drives
// every limiter, so the times below are the grants' own, not a busy event loop's.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Clock } from '../../src/pinterest/clock.js';
import { aloneOnFailure, RateLimiter, WINDOW_SLACK_MS, type SharedBudget } from '../../src/pinterest/ratelimit/index.js';
import { openSharedBudget } from '../../src/state/token-budget.js';
import { budgetFiles, gaps, recordedGrants } from '../support/budget-file.js';
import { VirtualClock } from '../support/virtual-clock.js';
import { makeHome } from '../support/home.js';

const RATE = 50;
const INTERVAL_MS = (1000 + WINDOW_SLACK_MS) / RATE;
/** How long a slot taken by a process that died holds the others up (TICKET_LAPSES_MS). */
const TICKET_LAPSES_MS = 500;

let home: string;
let clock: VirtualClock;
const budgets: SharedBudget[] = [];
/** What the budgets said (the warnings a run prints). */
let notices: string[];

beforeEach(() => {
  home = makeHome('pinsync-state-');
  clock = new VirtualClock();
  notices = [];
});

afterEach(() => {
  for (const budget of budgets.splice(0)) budget.close();
  fs.rmSync(home, { recursive: true, force: true });
});

/** One process's limiter on the home's budget: its lanes first, then the shared slot. */
async function limiter(rate = RATE, processClock: Clock = clock): Promise<RateLimiter> {
  const shared = await openSharedBudget(home, rate, processClock, (sentence) => notices.push(sentence));
  budgets.push(shared);
  return new RateLimiter({ ads_write: rate, ads_read: rate }, { clock: processClock, shared });
}

/**
 * `count` acquisitions by 4 concurrent callers, each asking again once granted (as an uploader with 4
 * requests in flight does); resolves with the times they were granted, labelled.
 */
async function acquireMany(limiter: RateLimiter, key: string, label: string, count: number, category = 'ads_write') {
  const grants: Array<{ label: string; at: number }> = [];
  const inFlight = new Set<object>();
  const caller = async () => {
    while (grants.length + inFlight.size < count) {
      const ticket = {};
      inFlight.add(ticket);
      await limiter.acquire(key, category);
      inFlight.delete(ticket);
      grants.push({ label, at: clock.now() });
    }
  };
  await Promise.all([caller(), caller(), caller(), caller()]);
  return grants;
}

/** One request's slot; resolves with when it was granted. */
async function grantTime(limiter: RateLimiter, key = 'token-a'): Promise<number> {
  await clock.runUntilSettled(limiter.acquire(key, 'ads_write'));
  return clock.now();
}

function onlyBudgetFile(): string {
  const files = budgetFiles(home);
  expect(files).toHaveLength(1);
  return files[0]!;
}

describe('one token, one budget', () => {
  it('two limiters of one token together keep the spacing, and each gets its share', async () => {
    const [first, second] = [await limiter(), await limiter()];
    const grants = (await clock.runUntilSettled(Promise.all([acquireMany(first, 'token-a', 'first', 20), acquireMany(second, 'token-a', 'second', 20)]))).flat();
    const granted = recordedGrants(onlyBudgetFile());
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
    const lateNowAndThen: Clock = { now: () => clock.now(), sleep: (ms, signal) => clock.sleep(ms + (++sleeps % 5 === 0 ? 15 : 0), signal) };
    const late = await limiter(RATE, lateNowAndThen);
    // One request at a time each, as a process's write budget asks.
    const grants: Array<{ label: string; at: number }> = [];
    const caller = async (shared: RateLimiter, label: string) => {
      for (let i = 0; i < 30; i++) {
        await shared.acquire('token-a', 'ads_write');
        grants.push({ label, at: clock.now() });
      }
    };
    await clock.runUntilSettled(Promise.all([caller(eager, 'eager'), caller(late, 'late')]));
    const firstThirty = [...grants].sort((a, b) => a.at - b.at).slice(0, 30);
    expect(firstThirty.filter((grant) => grant.label === 'late').length).toBeGreaterThanOrEqual(12);
  });

  it('a request one process sent late moves the next grant of the other', async () => {
    const [first, second] = [await limiter(), await limiter()];
    const grantedAt = await grantTime(first);
    // Its event loop was busy: the request reached the socket 80 ms after its grant.
    first.sent('token-a', 'ads_write', grantedAt, grantedAt + 80);
    // The 60 ms beyond the spacing's 20 ms of slack move the other's turn.
    expect((await grantTime(second)) - grantedAt).toBeGreaterThanOrEqual(80 - WINDOW_SLACK_MS + INTERVAL_MS);
  });

  it('processes of one home count each other as their own sends, not as unseen consumers of the window', async () => {
    const [first, second] = [await limiter(7), await limiter(7)];
    const sentGrants: number[] = [];
    const answers = async (shared: RateLimiter) => {
      for (let i = 0; i < 8; i++) {
        await shared.acquire('token-a', 'ads_write');
        const sentAt = clock.now();
        // The server's window holds every grant of both processes in the last second.
        const used = sentGrants.filter((at) => at > sentAt - 1000).length + 1;
        sentGrants.push(sentAt);
        shared.observe('token-a', 'ads_write', { status: 200, limit: 7, remaining: Math.max(0, 7 - used), resetMs: 1000, sentAt });
      }
    };
    await clock.runUntilSettled(Promise.all([answers(first), answers(second)]));
    // Counted as unseen consumers, each would settle near half the window (3 or 4 slots).
    expect(first.windowShare('token-a', 'ads_write')).toBe(7);
    expect(second.windowShare('token-a', 'ads_write')).toBe(7);
  });

  it('a share learned beside unseen consumers paces every process of the home together', async () => {
    const [first, second] = [await limiter(), await limiter()];
    const sentAt = await grantTime(first);
    // Another machine uses 40 of the 50 slots: this home may take 10 a second, both processes together.
    first.observe('token-a', 'ads_write', { status: 200, limit: RATE, remaining: RATE - 41, resetMs: 1000, sentAt });
    // A fresh process takes half of what the others leave, until later answers show more room.
    const share = first.windowShare('token-a', 'ads_write')!;
    expect(share).toBe(5);
    const grants = (await clock.runUntilSettled(Promise.all([acquireMany(first, 'token-a', 'first', 5), acquireMany(second, 'token-a', 'second', 5)]))).flat();
    // At 5 a second, the second process too (it learned nothing itself); at the full 50 they would be 20 ms apart.
    expect(Math.min(...gaps([sentAt, ...grants.map((grant) => grant.at)]))).toBeGreaterThanOrEqual((1000 + WINDOW_SLACK_MS) / share);
  });

  it('different tokens do not share', async () => {
    const [first, second] = [await limiter(), await limiter()];
    const grants = (await clock.runUntilSettled(Promise.all([acquireMany(first, 'token-a', 'a', 20), acquireMany(second, 'token-b', 'b', 20)]))).flat();
    // One shared budget would need 39 intervals; two independent ones about 20 each (the probe's wait included).
    expect(Math.max(...grants.map((grant) => grant.at))).toBeLessThan(21 * INTERVAL_MS);
    expect(budgetFiles(home)).toHaveLength(2);
  });

  it('a pause one limiter hears (429) holds the other', async () => {
    const [first, second] = [await limiter(), await limiter()];
    await grantTime(first);
    const until = clock.now() + 300;
    first.pause('token-a', 'ads_write', until);
    expect(second.pausedUntil('token-a', 'ads_write')).toBe(until);
    expect(await grantTime(second)).toBeGreaterThanOrEqual(until);
  });

  it('reads stay per process', async () => {
    const [first, second] = [await limiter(), await limiter()];
    const grants = (await clock.runUntilSettled(Promise.all([acquireMany(first, 'token-a', 'a', 10, 'ads_read'), acquireMany(second, 'token-a', 'b', 10, 'ads_read')]))).flat();
    // Shared, 20 reads would need 19 intervals; each process's own lane about 10 (the probe's wait included).
    expect(Math.max(...grants.map((grant) => grant.at))).toBeLessThan(11 * INTERVAL_MS);
    expect(budgetFiles(home)).toEqual([]);
  });

  it('Ctrl-C cuts a wait for a slot, and its place in the shared sequence goes', async () => {
    const [first, second] = [await limiter(1), await limiter(1)];
    await grantTime(first);
    const controller = new AbortController();
    const waiting = second.acquire('token-a', 'ads_write', { signal: controller.signal }); // its turn comes a second later
    await clock.runUntil(clock.now() + 20);
    controller.abort(new Error('interrupted'));
    await expect(waiting).rejects.toThrow('interrupted');
    const db = new Database(onlyBudgetFile(), { readonly: true });
    expect(db.prepare('SELECT count(*) AS n FROM tickets').get()).toEqual({ n: 0 });
    db.close();
  });

  it('the turn of a process killed while waiting for it lapses: the others wait half a second for it', async () => {
    const shared = await limiter();
    const first = await grantTime(shared); // creates the budget file
    // A process that took the next turn and died before it came (kill -9): its ticket stays behind.
    const db = new Database(onlyBudgetFile());
    db.prepare('INSERT INTO tickets (holder, slot) VALUES (?, ?)').run('killed', first);
    db.close();
    const waited = (await grantTime(shared)) - first;
    expect(waited).toBeGreaterThanOrEqual(TICKET_LAPSES_MS);
    expect(waited).toBeLessThan(TICKET_LAPSES_MS + 10);
  });

  it('a process killed while holding the budget blocks nobody', async () => {
    const shared = await limiter();
    await grantTime(shared); // creates the budget file
    const holder = spawn(
      process.execPath,
      ['-e', `const db = new (require('better-sqlite3'))(process.argv[1]); db.exec('BEGIN IMMEDIATE'); console.log('holding'); setInterval(() => {}, 1000);`, onlyBudgetFile()],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    await new Promise<void>((resolve) => holder.stdout.once('data', () => resolve()));
    const exited = new Promise((resolve) => holder.once('exit', resolve));
    holder.kill('SIGKILL');
    await exited;
    // Held still, the next slot would meet SQLITE_BUSY.
    await grantTime(shared);
    expect(recordedGrants(onlyBudgetFile())).toHaveLength(2);
  });
});

describe('a budget file another process keeps busy', () => {
  it('costs one slot taken alone, without freezing the event loop, and the next slots are shared again', async () => {
    const shared = await openSharedBudget(home, RATE, clock, (sentence) => notices.push(sentence));
    budgets.push(shared);
    const debug: string[] = [];
    const limiter = new RateLimiter({ ads_write: RATE }, { clock, shared: aloneOnFailure(shared, (line) => debug.push(line)) });
    await grantTime(limiter);
    const file = onlyBudgetFile();
    const holder = new Database(file); // another process in the middle of a write (a checkpoint, a slow disk)
    holder.exec('BEGIN IMMEDIATE');
    const started = Date.now();
    await grantTime(limiter);
    const frozenMs = Date.now() - started;
    holder.exec('COMMIT');
    holder.close();
    expect(frozenMs).toBeLessThan(1_000); // the busy timeout the run shares its event loop with
    expect(recordedGrants(file)).toHaveLength(1); // that slot was taken alone
    await grantTime(limiter);
    await grantTime(limiter);
    expect(recordedGrants(file)).toHaveLength(3); // and sharing goes on
    expect(debug.join('\n')).not.toMatch(/keeping to the rate alone/);
  });
});

/** Sets columns of the budget row as another clock, or a hand, left them. */
function editBudget(file: string, sql: string, ...values: unknown[]): void {
  const db = new Database(file);
  db.prepare(sql).run(...values);
  db.close();
}

/** The budget file of 'token-a' as one process left it, every connection to it closed. */
async function closedBudgetFile(): Promise<string> {
  await grantTime(await limiter());
  const file = onlyBudgetFile();
  budgets.pop()!.close();
  return file;
}

describe('a budget file this machine cannot have written', () => {
  it('a slot sequence an hour ahead (a clock set back) is reset when opened and said once: the next process is granted at once', async () => {
    const file = await closedBudgetFile();
    editBudget(file, 'UPDATE budget SET next_slot = ?', clock.now() + 3_600_000);
    const next = await limiter();
    const before = clock.now();
    expect((await grantTime(next)) - before).toBeLessThan(2 * INTERVAL_MS);
    for (let i = 0; i < 10; i++) await grantTime(next);
    expect(notices).toEqual([expect.stringMatching(/^the write budget that this home's pinsync processes share \(.+\.db\) held times 60 min ahead of this machine's clock \(a clock set back, or a file from another machine\): reset it to now\.$/)]);
  });

  it('a clock that steps back mid-run: the last grant an hour ahead is reset where it is read, and the grants go on spaced', async () => {
    const running = await limiter();
    await grantTime(running);
    const file = onlyBudgetFile();
    // The clock went back an hour just now: what was written a moment ago is an hour ahead.
    editBudget(file, 'UPDATE budget SET last_grant = ?, next_slot = ?', clock.now() + 3_600_000, clock.now() + 3_600_000 + INTERVAL_MS);
    const before = clock.now();
    const granted = [];
    for (let i = 0; i < 5; i++) granted.push(await grantTime(running));
    expect(granted[0]! - before).toBeLessThan(2 * INTERVAL_MS);
    expect(Math.min(...gaps([before, ...granted]))).toBeGreaterThanOrEqual(INTERVAL_MS);
    expect(notices).toHaveLength(1);
    expect(notices[0]).toMatch(/held times 60 min ahead of this machine's clock/);
  });

  it("a daily quota's pause hours ahead is Pinterest's and stays; one more than a day ahead is reset", async () => {
    const file = await closedBudgetFile();
    const quotaReset = clock.now() + 5 * 3_600_000;
    editBudget(file, 'UPDATE budget SET paused_until = ?, next_slot = ?', quotaReset, quotaReset + INTERVAL_MS);
    expect((await limiter()).pausedUntil('token-a', 'ads_write')).toBe(quotaReset);
    expect(notices).toEqual([]);

    editBudget(file, 'UPDATE budget SET paused_until = ?', clock.now() + 30 * 3_600_000);
    const next = await limiter();
    expect(next.pausedUntil('token-a', 'ads_write')).toBe(0);
    expect(notices).toEqual([expect.stringMatching(/held times 30 h ahead of this machine's clock/)]);
    const before = clock.now();
    expect((await grantTime(next)) - before).toBeLessThan(2 * INTERVAL_MS);
  });

  it('a share learned "an hour from now" is dropped when opened: it does not hold the home at one slot a second', async () => {
    const file = await closedBudgetFile();
    editBudget(file, 'INSERT OR REPLACE INTO window_share (id, share, learned_at) VALUES (1, 1, ?)', clock.now() + 3_600_000);
    const next = await limiter();
    const granted = [await grantTime(next), await grantTime(next), await grantTime(next)];
    expect(Math.max(...gaps(granted))).toBeLessThan(2 * INTERVAL_MS);
    expect(notices).toEqual([expect.stringMatching(/held times 60 min ahead/)]);
  });

  it('values that are no times are reset too', async () => {
    const file = await closedBudgetFile();
    editBudget(file, "UPDATE budget SET next_slot = 'soon', last_grant = 'then'");
    const next = await limiter();
    const before = clock.now();
    expect((await grantTime(next)) - before).toBeLessThan(2 * INTERVAL_MS);
    expect(notices).toEqual([expect.stringMatching(/held values that are not times: reset it to now\.$/)]);
  });
});

describe('a damaged budget file', () => {
  it('one that is not a database is replaced, said once, and every process of the home shares the new one', async () => {
    const file = await closedBudgetFile();
    fs.writeFileSync(file, Buffer.alloc(8192, 0x5a));
    const [first, second] = [await limiter(), await limiter()];
    await clock.runUntilSettled(Promise.all([acquireMany(first, 'token-a', 'first', 20), acquireMany(second, 'token-a', 'second', 20)]));
    expect(notices).toEqual([
      expect.stringMatching(/^the write budget that this home's pinsync processes share \(.+\.db\) was damaged \(file is not a database\): replaced it with a new one\.$/),
    ]);
    const granted = recordedGrants(file);
    expect(granted).toHaveLength(40);
    expect(Math.min(...gaps(granted))).toBeGreaterThanOrEqual(INTERVAL_MS);
  });

  it('one whose tables have another shape is replaced too', async () => {
    const file = await closedBudgetFile();
    fs.rmSync(file);
    editBudget(file, 'CREATE TABLE budget (id INTEGER PRIMARY KEY, next_slot TEXT)');
    await grantTime(await limiter());
    expect(notices).toEqual([expect.stringMatching(/was damaged \(.*paused_until\): replaced it with a new one\.$/)]);
    expect(recordedGrants(file)).toHaveLength(1);
  });
});
