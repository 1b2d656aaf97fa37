// Match health: Pinterest deletes an upload once matched, so what a run can learn is the list's status
// and the audience's size. The next run of the list (or --wait-ready) records them against the users
// synced; `pinsync runs` shows the match rate and warns when a list stays TOO_SMALL or the audience
// shrinks by more than --warn-size-drop; `audiences show` prints the last sync's match rate.
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startSandbox, type Sandbox } from '../../src/sandbox/server.js';

import { runInProcess, startInProcess } from '../support/in-process.js';
import { waitUntil } from '../support/wait.js';
import { sandboxEnv, US } from '../support/sandbox.js';
import { makeHome } from '../support/home.js';

let sandbox: Sandbox;
let home: string;
beforeEach(async () => {
  sandbox = await startSandbox({ port: 0, writeRate: 1000, listRules: { audiencesNeedReadyList: false, processingMs: 0, matchedShare: 1 } });
  home = makeHome();
});
afterEach(async () => {
  await sandbox.stop();
});

const run = (args: string[]) => runInProcess(args, { env: sandboxEnv(sandbox), home });

function users(count: number, from = 0): string {
  const file = path.join(home, 'users.csv');
  fs.writeFileSync(file, 'email\n' + Array.from({ length: count }, (_, i) => `user${from + i}@example.com`).join('\n') + '\n');
  return file;
}

async function runsJson(): Promise<Array<{ id: number; health?: { matchRate: number | null; audienceSize: number | null; usersSynced: number | null; listStatus: string | null; warning: string | null } }>> {
  const result = await run(['runs', '--json']);
  expect(result.code, result.stderr).toBe(0);
  return JSON.parse(result.stdout);
}

const sync = (file: string, ...flags: string[]) => run(['sync', file, '--audience', 'Members', '--create', '--ad-account', US, '--max-remove', '100', ...flags]);

describe('match health', () => {
  it('the next run records how Pinterest matched the last one: audience size against the users synced', async () => {
    expect((await sync(users(150))).code).toBe(0);
    // Pinterest matched 120 of the 150 users before the next sync.
    const list = [...sandbox.state.customerLists.values()][0]!;
    list.matched = 120;
    const second = await sync(users(150));
    expect(second.code, second.stderr).toBe(0);

    const [latest, first] = await runsJson();
    expect(latest!.health).toBeUndefined();
    expect(first!.health).toMatchObject({ audienceSize: 120, usersSynced: 150, matchRate: 0.8, listStatus: 'READY', warning: null });
    expect((await run(['runs'])).stdout).toMatch(/Members .* 80%/);
  });

  it('--wait-ready records this run at once; a size that falls more than --warn-size-drop is a warning', async () => {
    const first = await sync(users(300), '--wait-ready');
    expect(first.code, first.stderr).toBe(0);
    expect(first.stderr).toContain('Audience "Members": 300 matched of 300 users synced (100%).');

    const second = await sync(users(150), '--wait-ready', '--warn-size-drop', '30');
    expect(second.code, second.stderr).toBe(0);
    expect(second.stderr).toContain('warning: Audience "Members" shrank by 50% since the last reading (300 → 150 matched users), more than --warn-size-drop 30%.');

    const rows = await runsJson();
    expect(rows.map((r) => r.health?.audienceSize)).toEqual([150, 300]);
    const listed = await run(['runs']);
    expect(listed.stderr).toContain('shrank by 50%');

    const shown = await run(['audiences', 'show', 'Members', '--ad-account', US, '--json']);
    expect(JSON.parse(shown.stdout).last_sync_match).toMatchObject({ match_rate: 1, audience_size: 150, users_synced: 150 });
    expect((await run(['audiences', 'show', 'Members', '--ad-account', US])).stdout).toMatch(/Match \(last sync\)\s+100% \(150 matched of 150 users synced; run \d+/);
  });

  it('warns when a list stays TOO_SMALL', async () => {
    const first = await sync(users(40), '--wait-ready');
    expect(first.stderr).toContain('Audience "Members": list TOO_SMALL, no audience size yet (40 users synced).');
    expect(first.stderr).not.toContain('warning:');
    const again = await sync(users(50), '--wait-ready');
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).toContain('warning: Audience "Members" is still TOO_SMALL');
    expect((await runsJson())[0]!.health).toMatchObject({ listStatus: 'TOO_SMALL', audienceSize: null, matchRate: null });
  });

  it('a push that sends nothing records the match health against the earlier run, not itself', async () => {
    const push = (file: string) => run(['push', file, '--audience', 'Members', '--create', '--ad-account', US]);
    expect((await push(users(100))).code).toBe(0);
    const file = users(100);
    const nothing = await run(['push', file, '--audience', 'Members', '--ad-account', US, '--exclude', file]); // every row held back
    expect(nothing.code, nothing.stderr).toBe(0);
    expect(nothing.stderr).not.toContain('Could not read the match health');
    const [latest, first] = await runsJson();
    expect(latest!.health).toBeUndefined();
    expect(first!.health).toMatchObject({ audienceSize: 100, listStatus: 'READY' });
  });

  it('a push stopped before its first write reads no match health and warns of none', async () => {
    expect((await run(['push', users(100), '--audience', 'Members', '--create', '--ad-account', US])).code).toBe(0);
    const requests = sandbox.state.stats.requests;
    const stopped = startInProcess(['push', '-', '--audience', 'Members', '--ad-account', US], { env: sandboxEnv(sandbox), home, keepInputOpen: true });
    stopped.write('email\n');
    await waitUntil(() => sandbox.state.stats.requests > requests, 'the push looks its audience up');
    await new Promise((resolve) => setTimeout(resolve, 500));
    stopped.stop();
    const result = await stopped.result;
    expect(result.code, result.stderr).toBe(130);
    expect(result.stderr).not.toContain('Could not read the match health');
    expect((await runsJson()).map((r) => r.health)).toEqual([undefined, undefined]); // the next run records the first
  });
});

describe('--wait-ready while Pinterest is still matching the upload', () => {
  let slow: Sandbox;
  beforeEach(async () => {
    // Each upload leaves the list PROCESSING for 1.5 s, as Pinterest's matching does for hours.
    slow = await startSandbox({ port: 0, writeRate: 1000, listRules: { audiencesNeedReadyList: false, processingMs: 1500, matchedShare: 1 } });
  });
  afterEach(async () => {
    await slow.stop();
  });

  const slowSync = (count: number, ...flags: string[]) =>
    runInProcess(['sync', users(count), '--audience', 'Members', '--create', '--ad-account', US, '--max-remove', '100', ...flags], { env: sandboxEnv(slow), home });
  /** Reads of the customer list after the run's last upload: more than one means --wait-ready polled. */
  const listReadsAfterLastUpload = () => {
    const requests = slow.state.requests;
    const lastUpload = requests.map((r) => r.method).lastIndexOf('PATCH');
    return requests.slice(lastUpload + 1).filter((r) => r.method === 'GET' && /\/customer_lists\/\d+$/.test(r.path)).length;
  };

  /** The audience exists and its list is matched: the next upload leaves the list PROCESSING again. */
  async function existingAudience(): Promise<void> {
    expect((await slowSync(300)).code).toBe(0);
    const list = [...slow.state.customerLists.values()][0]!;
    await waitUntil(() => (list.processingUntil ?? 0) <= Date.now(), 'the first upload is matched', 10_000);
  }

  it('polls the list until Pinterest is done, then records the size against the users synced', async () => {
    await existingAudience();
    const result = await slowSync(320, '--wait-ready');
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toContain('Audience "Members": 320 matched of 320 users synced (100%).');
    expect(result.stderr).not.toContain('still matching');
    expect(listReadsAfterLastUpload()).toBeGreaterThanOrEqual(2); // PROCESSING first, READY after a pause
    const [latest] = await runsJsonOf(slow);
    expect(latest!.health).toMatchObject({ audienceSize: 320, usersSynced: 320, listStatus: 'READY' });
  });

  it('a wait shorter than the matching records what it saw and says so; the next run records the final figures', async () => {
    await existingAudience();
    const short = await slowSync(320, '--wait-ready', '1s');
    expect(short.code, short.stderr).toBe(0);
    expect(short.stderr).toContain('(--wait-ready, at most 1 s)');
    expect(short.stderr).toMatch(/Audience "Members": .*; Pinterest is still matching \(list PROCESSING\): the next run records the final figures\./);
    const list = [...slow.state.customerLists.values()][0]!;
    await waitUntil(() => (list.processingUntil ?? 0) <= Date.now(), 'the list is matched', 10_000);

    expect((await slowSync(320)).code).toBe(0);
    const [, shortRun] = await runsJsonOf(slow);
    expect(shortRun!.health).toMatchObject({ audienceSize: 320, usersSynced: 320, listStatus: 'READY' });
  });

  async function runsJsonOf(server: Sandbox) {
    const result = await runInProcess(['runs', '--json'], { env: sandboxEnv(server), home });
    expect(result.code, result.stderr).toBe(0);
    return JSON.parse(result.stdout) as Array<{ health?: Record<string, unknown> }>;
  }
});

