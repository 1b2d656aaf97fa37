// Audiences on fresh lists, as Pinterest behaves (the sandbox default): `--create` makes the customer
// list from the first batch and the audience once Pinterest accepts it; when it does not, the run ends
// with exit 0 and `audiencePending`, and the next run of the name (or `audiences create --list`) finishes
// it on the same list. Archived audiences are never written to; two runs of one name make one audience.
import { afterEach, describe, expect, it } from 'vitest';
import { startSandbox, type Sandbox } from '../../src/sandbox/server.js';
import { parseJsonOutput } from '../support/cli.js';
import { writeFile } from '../support/files.js';
import { makeHome } from '../support/home.js';
import { runInProcess, startInProcess } from '../support/in-process.js';
import { waitWhileRunning } from '../support/interrupt.js';
import { countsAddUp } from '../support/reports.js';
import { sandboxEnv, US } from '../support/sandbox.js';
import { sha256 } from '../support/users.js';

const emails = (from: number, count: number) => Array.from({ length: count }, (_, i) => `user${from + i}@example.com`);
const csv = (rows: string[]) => `email\n${rows.join('\n')}\n`;

let sandbox: Sandbox | undefined;
afterEach(async () => {
  await sandbox?.stop();
  sandbox = undefined;
});

/**
 * The sandbox's default rules (audiences need READY lists, a list processes a while after each write),
 * every record a Pinterest user unless told; processing lasts half a second unless told (the sandbox's
 * default is 3 s, which only makes the runs slower).
 */
async function realisticSandbox(options: { processingMs?: number; matchedShare?: number; now?: () => number } = {}): Promise<Sandbox> {
  sandbox = await startSandbox({
    port: 0,
    writeRate: 1000,
    now: options.now,
    listRules: { matchedShare: options.matchedShare ?? 1, processingMs: options.processingMs ?? 500 },
  });
  return sandbox;
}

function push(box: Sandbox, file: string, name: string, home: string, extra: string[] = []) {
  return runInProcess(['push', file, '--audience', name, '--ad-account', US, '--create', '--json', ...extra], { env: sandboxEnv(box), home, timeoutMs: 60_000 });
}

const listsNamed = (box: Sandbox, name: string) => [...box.state.customerLists.values()].filter((list) => list.name === name);
const audiencesNamed = (box: Sandbox, name: string) => [...box.state.audiences.values()].filter((a) => a.name === name && !a.archived);

describe('push --create on a fresh list', () => {
  it('waits while the list is processing, then creates the audience on it (exit 0, not pending)', async () => {
    const box = await realisticSandbox({ processingMs: 1500 });
    const home = makeHome();
    const file = writeFile(home, 'buyers.csv', csv(emails(0, 250)));
    const result = await push(box, file, 'Buyers', home);
    expect(result.code, result.stderr).toBe(0);
    const report = parseJsonOutput<Record<string, any>>(result);
    expect(report).toMatchObject({ synced: 250, audiencePending: false, createdAudience: true });
    expect(countsAddUp(report)).toBe(true);
    expect(listsNamed(box, 'Buyers')).toHaveLength(1);
    expect(audiencesNamed(box, 'Buyers').map((a) => a.rule.customer_list_id)).toEqual([report.customerListId]);
    expect(box.state.violations).toEqual([]);
  });

  it('ends at once, pending, under 100 records; the next run adds to the same list and creates the audience', async () => {
    const box = await realisticSandbox();
    const home = makeHome();
    const first = await push(box, writeFile(home, 'a.csv', csv(emails(0, 60))), 'Young', home);
    expect(first.code, first.stderr).toBe(0);
    const pending = parseJsonOutput<Record<string, any>>(first);
    expect(pending).toMatchObject({ synced: 60, audiencePending: true, audienceId: null });
    expect(countsAddUp(pending)).toBe(true);
    expect(first.durationMs).toBeLessThan(20_000); // no 2-minute wait: waiting cannot make 60 records 100
    expect(first.stderr).toContain(`audiences create "Young" --list ${pending.customerListId}`);
    expect(audiencesNamed(box, 'Young')).toHaveLength(0);

    const shown = await runInProcess(['audiences', 'show', 'Young', '--ad-account', US], { env: sandboxEnv(box) });
    expect(shown.code, shown.stderr).toBe(0);
    expect(shown.stdout).toContain('PENDING');
    expect(shown.stdout).toContain(`id ${pending.customerListId}`);
    expect(shown.stdout).toMatch(/fewer than the 100/);

    const second = await push(box, writeFile(home, 'b.csv', csv(emails(60, 150))), 'Young', home);
    expect(second.code, second.stderr).toBe(0);
    const done = parseJsonOutput<Record<string, any>>(second);
    expect(done).toMatchObject({ customerListId: pending.customerListId, audiencePending: false, createdAudience: true });
    expect(listsNamed(box, 'Young')).toHaveLength(1); // never a second list of the same name
    expect(box.state.customerList(pending.customerListId)!.records.size).toBe(210);
    expect(audiencesNamed(box, 'Young').map((a) => a.rule.customer_list_id)).toEqual([pending.customerListId]);
  });

  it('stops waiting after --audience-wait; `audiences create NAME --list ID` finishes it once the list is ready', async () => {
    let skewMs = 0;
    const box = await realisticSandbox({ processingMs: 3_600_000, now: () => Date.now() + skewMs });
    const home = makeHome();
    const result = await push(box, writeFile(home, 'c.csv', csv(emails(0, 150))), 'Slow', home, ['--audience-wait', '1s']);
    expect(result.code, result.stderr).toBe(0);
    const report = parseJsonOutput<Record<string, any>>(result);
    expect(report).toMatchObject({ audiencePending: true, synced: 150 });
    expect(report.audiencePendingReason).toMatch(/still processing/);
    expect(result.durationMs).toBeLessThan(20_000);

    const early = await runInProcess(['audiences', 'create', 'Slow', '--list', report.customerListId, '--ad-account', US], { env: sandboxEnv(box) });
    expect(early.code).toBe(2);
    expect(early.stderr).toMatch(/did not accept an audience on customer list \d+: customer list \d+ is still processing/);

    skewMs = 2 * 3_600_000; // the list finished processing
    const byHand = await runInProcess(['audiences', 'create', 'Slow', '--list', report.customerListId, '--ad-account', US, '--json'], { env: sandboxEnv(box) });
    expect(byHand.code, byHand.stderr).toBe(0);
    expect(parseJsonOutput<Record<string, any>>(byHand).rule.customer_list_id).toBe(report.customerListId);
    expect(audiencesNamed(box, 'Slow')).toHaveLength(1);
  });

  it('creates the audience of a stream on stdin while the stream is still open', async () => {
    const box = await realisticSandbox({ processingMs: 300 });
    const run = startInProcess(['push', '-', '--audience', 'Live', '--ad-account', US, '--create', '--flush-interval', '0.2', '--json'], {
      env: sandboxEnv(box),
      keepInputOpen: true,
    });
    run.write(csv(emails(0, 200)));
    await waitWhileRunning(run, () => audiencesNamed(box, 'Live').length === 1, 'the audience exists while stdin is open');
    run.end(`${emails(200, 5).join('\n')}\n`);
    const result = await run.result;
    expect(result.code, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ synced: 205, audiencePending: false });
  });
});

describe('archived audiences', () => {
  function arrangeArchived(box: Sandbox, name: string) {
    const list = box.state.createCustomerList(US, { name, records: [sha256('old@example.com')] });
    const audience = box.state.createAudience(US, { name, audienceType: 'CUSTOMER_LIST', rule: { customer_list_id: list.id } });
    audience.archived = true;
    return { list, audience };
  }

  it('are not found by name without --create (exit 5, saying archived), and never written to', async () => {
    const box = await realisticSandbox();
    const { list } = arrangeArchived(box, 'Gone');
    const file = writeFile(makeHome(), 'x.csv', csv(emails(0, 5)));
    const result = await runInProcess(['push', file, '--audience', 'Gone', '--ad-account', US], { env: sandboxEnv(box) });
    expect(result.code).toBe(5);
    expect(result.stderr).toMatch(/"Gone" .* is archived/);
    expect(box.state.customerList(list.id)!.records.size).toBe(1);
    expect(box.state.requests.filter((r) => r.method !== 'GET')).toEqual([]);
  });

  it('with --create, a new list and audience are made; the archived one is untouched', async () => {
    const box = await realisticSandbox();
    const { list, audience } = arrangeArchived(box, 'Reborn');
    const home = makeHome();
    const result = await push(box, writeFile(home, 'r.csv', csv(emails(0, 120))), 'Reborn', home);
    expect(result.code, result.stderr).toBe(0);
    const report = parseJsonOutput<Record<string, any>>(result);
    expect(report.customerListId).not.toBe(list.id);
    expect(report.audienceId).not.toBe(audience.id);
    expect(report.audiencePending).toBe(false);
    expect(box.state.customerList(list.id)!.records.size).toBe(1);
  });
});

describe('two --create runs of one name at once', () => {
  it('end with one customer list and one audience holding both files', async () => {
    const box = await realisticSandbox({ processingMs: 500 });
    box.setFaults({ latencyMs: 1000 }); // each create is in flight long enough for the other run to look the name up
    const home = makeHome();
    const a = writeFile(home, 'a.csv', csv(emails(0, 150)));
    const b = writeFile(home, 'b.csv', csv(emails(1000, 150)));
    const [first, second] = await Promise.all([push(box, a, 'Twin', home), push(box, b, 'Twin', home)]);
    expect(first.code, first.stderr).toBe(0);
    expect(second.code, second.stderr).toBe(0);
    expect(listsNamed(box, 'Twin')).toHaveLength(1);
    expect(audiencesNamed(box, 'Twin')).toHaveLength(1);
    const reports = [first, second].map((r) => parseJsonOutput<Record<string, any>>(r));
    expect(new Set(reports.map((r) => r.customerListId)).size).toBe(1);
    expect(box.state.customerList(reports[0]!.customerListId)!.records.size).toBe(300);
  });
});
