// pinsync on a real terminal (a pty from util-linux `script`): a missing choice is asked with a
// prompt, and a push shows the cli-progress bar, redrawn in place, before the summary.
import { describe, expect, it } from 'vitest';
import { KEY, plain, runInTerminal } from '../support/terminal.js';
import { makeHome } from '../support/home.js';
import { runInProcess } from '../support/in-process.js';
import { sandboxEnv, sandboxPerFile, US } from '../support/sandbox.js';
import { listRecords, sameSet } from '../support/sandbox-records.js';
import { hashesOf, writeUsers } from '../support/users.js';

const t = sandboxPerFile({ writeRate: 1000 });

describe('on a terminal', () => {
  it('asks for the ad account and audience, creates the new one, and shows a live progress bar', async () => {
    const home = makeHome();
    const file = writeUsers(home, 'users.csv', 0, 3000);
    const session = runInTerminal(['push', file, '--batch-size', '200', '--rate', '8'], { home, env: sandboxEnv(t.sandbox) });

    await session.waitFor(/Which ad account\?/);
    await session.waitFor(/Sandbox Ads US \(549755885175\)/);
    session.type(KEY.enter); // the first: Sandbox Ads US
    await session.waitFor(/Which audience\?[\s\S]*A new audience…/);
    session.type(KEY.up + KEY.enter); // the list loops: up from the first is the last, "A new audience…"
    await session.waitFor(/Name of the new audience:/);
    session.type('Terminal fans' + KEY.enter);

    expect(await session.exit, plain(session.raw())).toBe(0);
    const screen = plain(session.raw());
    expect(screen).toContain(`Next time pass --audience "Terminal fans" --ad-account ${US} --create to skip these questions.`);
    // The bar is redrawn in place (cursor back to column 1, no new lines), grows with the rows done
    // (not the bytes read, which reach 100% long before the upload ends) and ends complete.
    const frames = session.raw().split('\u001b[1G').map(plain).filter((frame) => /rows\/s done \| synced/.test(frame));
    expect(frames.length).toBeGreaterThan(3);
    const percents = frames.map((frame) => Number(/ (\d+)% \|/.exec(frame)?.[1]));
    expect(percents).toEqual([...percents].sort((a, b) => a - b));
    expect(frames.some((frame) => /\b([1-9]|[1-9]\d)% \| 3,000 rows read, .* pending [1-9]/.test(frame))).toBe(true);
    expect(frames.at(-1)).toMatch(/100% \| 3,000 rows read, [\d,]+ rows\/s done \| synced 3,000 · pending 0 · not synced 0 · errored 0 \| ETA/);
    expect(screen).toMatch(/Entered\s+3,000/);
    expect(screen).not.toContain('user1@example.com');
    expect(sameSet(listRecords(t.sandbox, 'Terminal fans'), hashesOf(0, 3000))).toBe(true);
  }, 60_000);

  it('sync shows the reading of the file, then the sending of the difference, each up to 100%', async () => {
    const home = makeHome();
    const file = writeUsers(home, 'mirror.csv', 0, 3000);
    const args = ['sync', file, '--audience', 'Terminal mirror', '--ad-account', US, '--create', '--batch-size', '200', '--rate', '8'];
    const session = runInTerminal(args, { home, env: sandboxEnv(t.sandbox) });
    expect(await session.exit, plain(session.raw())).toBe(0);
    const frames = session.raw().split('\u001b[1G').map(plain);
    const reading = frames.filter((frame) => /rows\/s read \|/.test(frame));
    const sending = frames.filter((frame) => /rows\/s done \|/.test(frame));
    expect(reading.at(-1)).toMatch(/100% \| 3,000 rows read/);
    const percents = sending.map((frame) => Number(/ (\d+)% \|/.exec(frame)?.[1]));
    expect(percents.length).toBeGreaterThan(3);
    expect(percents).toEqual([...percents].sort((a, b) => a - b));
    expect(percents.some((p) => p > 0 && p < 100)).toBe(true);
    expect(sending.at(-1)).toMatch(/100% \| 3,000 rows read, [\d,]+ rows\/s done \| synced 3,000 · pending 0/);
    expect(sameSet(listRecords(t.sandbox, 'Terminal mirror'), hashesOf(0, 3000))).toBe(true);
  }, 60_000);

  it('lists the existing audiences to pick from, and Ctrl-C at the prompt exits 130 sending nothing', async () => {
    const home = makeHome();
    const file = writeUsers(home, 'more.csv', 0, 10);
    const list = t.sandbox.state.createCustomerList(US, { name: 'Pick me', records: ['c'.repeat(64)] });
    t.sandbox.state.createAudience(US, { name: 'Pick me', rule: { customer_list_id: list.id } });
    const writesBefore = t.sandbox.state.stats.writes;
    const session = runInTerminal(['push', file, '--ad-account', US], { home, env: sandboxEnv(t.sandbox) });
    await session.waitFor(/Which audience\?[\s\S]*Pick me \(\d+\)[\s\S]*A new audience…/);
    session.type('\u0003');
    expect(await session.exit).toBe(130);
    expect(t.sandbox.state.stats.writes).toBe(writesBefore);
  }, 30_000);

  it('audiences show without an audience lists them to pick from', async () => {
    const canada = '549755885176'; // an ad account of its own, so only these two are listed
    for (const name of ['Show first', 'Show second']) {
      const list = t.sandbox.state.createCustomerList(canada, { name, records: ['a'.repeat(64)] });
      t.sandbox.state.createAudience(canada, { name, rule: { customer_list_id: list.id } });
    }
    const session = runInTerminal(['audiences', 'show', '--ad-account', canada], { env: sandboxEnv(t.sandbox) });
    await session.waitFor(/Which audience\?[\s\S]*Show first \(\d+\)[\s\S]*Show second \(\d+\)/);
    session.type(KEY.down + KEY.enter);
    expect(await session.exit, plain(session.raw())).toBe(0);
    expect(plain(session.raw())).toMatch(/Audience\s+Show second \(id \d+\)/);
  }, 30_000);

  it('accounts use without an id lists the ad accounts and saves the pick as the default', async () => {
    const home = makeHome();
    const session = runInTerminal(['accounts', 'use'], { home, env: sandboxEnv(t.sandbox) });
    await session.waitFor(/Which ad account should be the default\?[\s\S]*Sandbox Ads US \(549755885175\)[\s\S]*Sandbox Ads CA \(549755885176\)/);
    session.type(KEY.down + KEY.enter);
    expect(await session.exit, plain(session.raw())).toBe(0);
    expect(plain(session.raw())).toContain('Default ad account for profile "default" is now 549755885176 (Sandbox Ads CA).');
    const list = await runInProcess(['accounts', 'list'], { home, env: sandboxEnv(t.sandbox) });
    expect(list.stdout).toMatch(/^\*\s+549755885176/m);
    const offTerminal = await runInProcess(['accounts', 'use'], { home, env: sandboxEnv(t.sandbox) });
    expect(offTerminal.code).toBe(2);
    expect(offTerminal.stderr).toMatch(/^pinsync: No ad account given: pass its id/);
  }, 30_000);

  it('runs show without an id lists the recent runs, newest first', async () => {
    const home = makeHome();
    const env = sandboxEnv(t.sandbox);
    const file = writeUsers(home, 'runs.csv', 0, 20);
    for (const audience of ['Runs older', 'Runs newer']) {
      expect((await runInProcess(['push', file, '--audience', audience, '--ad-account', US, '--create'], { home, env })).code).toBe(0);
    }
    const session = runInTerminal(['runs', 'show'], { home, env });
    await session.waitFor(/Which run\?[\s\S]*push Runs newer[\s\S]*push Runs older/);
    session.type(KEY.down + KEY.enter); // the second: the older run
    expect(await session.exit, plain(session.raw())).toBe(0);
    expect(plain(session.raw())).toMatch(/audienceName\s+Runs older/);
  }, 30_000);

  it('off a terminal, a missing audience exits 2 naming the flag or argument', async () => {
    const show = await runInProcess(['audiences', 'show', '--ad-account', US], { env: sandboxEnv(t.sandbox) });
    expect(show.code).toBe(2);
    expect(show.stderr).toMatch(/^pinsync: No audience given: pass its id or name/);
    const result = await runInProcess(['push', writeUsers(makeHome(), 'x.csv', 0, 5), '--ad-account', US], { env: sandboxEnv(t.sandbox) });
    expect(result.code).toBe(2);
    expect(result.stderr).toBe('pinsync: No audience given: pass --audience (no terminal to ask on).\n');
  });
});
