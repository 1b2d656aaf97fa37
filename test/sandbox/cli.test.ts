// `pinsync sandbox` as a user runs it: prints eval-able exports, serves the API, exits 0 on SIGTERM.
// The serving ones run the built CLI in a process (npm run build first; `npm test` does); the refusals run in-process.
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { spawnCli } from '../support/cli.js';
import { makeHome } from '../support/home.js';
import { runInProcess } from '../support/in-process.js';
import { waitWhileRunning } from '../support/interrupt.js';

/** `pinsync sandbox …` in its own process (it serves until a signal), and the exports it prints once ready. */
function startCli(args: string[], env: Record<string, string> = {}) {
  const cli = spawnCli(['sandbox', ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const ready = waitWhileRunning(cli, () => cli.stderr().includes('Ctrl-C'), 'the sandbox says it is ready', 15_000).then(() => parseExports(cli.stdout()));
  ready.catch(() => {});
  return Object.assign(cli, { ready, exited: cli.result.then((r) => r.code) });
}

function parseExports(text: string): Record<string, string> {
  const vars: Record<string, string> = {};
  for (const match of text.matchAll(/^export ([A-Z_]+)=(\S+)$/gm)) vars[match[1]!] = match[2]!;
  return vars;
}

describe('pinsync sandbox', () => {
  it('prints the exports, serves the API with that token and exits 0 on SIGTERM', async () => {
    const readyFile = path.join(makeHome(), 'ready.env');
    const cli = startCli(['--port', '0', '--ready-file', readyFile]);
    const vars = await cli.ready;
    expect(Object.keys(vars).sort()).toEqual([
      'PINSYNC_ACCESS_TOKEN',
      'PINSYNC_API_BASE',
      'PINSYNC_OAUTH_BASE',
      'PINSYNC_SANDBOX_REFRESH_TOKEN',
      'PINTEREST_APP_ID',
      'PINTEREST_APP_SECRET',
    ]);
    expect(vars.PINSYNC_API_BASE).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/v5$/);
    expect(readFileSync(readyFile, 'utf8')).toBe(cli.stdout());

    const response = await fetch(`${vars.PINSYNC_API_BASE}/ad_accounts`, {
      headers: { authorization: `Bearer ${vars.PINSYNC_ACCESS_TOKEN}` },
    });
    expect(response.status).toBe(200);
    expect(((await response.json()) as { items: unknown[] }).items).toHaveLength(2);

    cli.kill('SIGTERM');
    expect(await cli.exited).toBe(0);
    expect(cli.stderr()).toContain('Sandbox listening');
  });

  it('takes faults from PINSYNC_SANDBOX_FAULTS and a fixed token from --token', async () => {
    const cli = startCli(['--port', '0', '--token', 'pina_sandbox_fixed_for_tests'], {
      PINSYNC_SANDBOX_FAULTS: '{"serverErrorRate":1}',
    });
    const vars = await cli.ready;
    expect(vars.PINSYNC_ACCESS_TOKEN).toBe('pina_sandbox_fixed_for_tests');
    const response = await fetch(`${vars.PINSYNC_API_BASE}/ad_accounts/549755885175/customer_lists`, {
      method: 'POST',
      headers: { authorization: 'Bearer pina_sandbox_fixed_for_tests', 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'l', records: 'a@b.co' }),
    });
    expect(response.status).toBe(503);
    cli.kill('SIGINT');
    expect(await cli.exited).toBe(0);
  });

  it("takes Pinterest's real behaviours from flags: a write quota, audiences only on ready lists", async () => {
    const cli = startCli([
      '--port', '0',
      '--write-quota', '2/60s',
      '--audiences-need-ready-lists', 'on',
      '--list-processing', '1m',
      '--missing-scope-status', '401',
    ]);
    const vars = await cli.ready;
    const post = (path: string, body: unknown) =>
      fetch(`${vars.PINSYNC_API_BASE}/ad_accounts/549755885175${path}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${vars.PINSYNC_ACCESS_TOKEN}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    const list = await post('/customer_lists', { name: 'l', records: 'a@b.co' });
    expect(list.status).toBe(200);
    expect(list.headers.get('x-ratelimit-limit')).toBe('2');
    const { id, status } = (await list.json()) as { id: string; status: string };
    expect(status).toBe('PROCESSING');
    const audience = await post('/audiences', { name: 'a', audience_type: 'CUSTOMER_LIST', rule: { customer_list_id: id } });
    expect(audience.status).toBe(400);
    const spent = await post('/customer_lists', { name: 'm', records: 'a@b.co' });
    expect(spent.status).toBe(429);
    expect(((await spent.json()) as { code: number }).code).toBe(8);
    cli.kill('SIGTERM');
    expect(await cli.exited).toBe(0);
    expect(cli.stderr()).toContain('2 writes per 60s');
  });

  it('starts its clock days ahead (--advance-days), moves it by the admin call, and makes refresh tokens single-use (--strict-refresh)', async () => {
    const cli = startCli(['--port', '0', '--advance-days', '40', '--strict-refresh']);
    const vars = await cli.ready;
    const clock = `${vars.PINSYNC_OAUTH_BASE}/sandbox/clock`;
    expect(((await (await fetch(clock)).json()) as { offsetDays: number }).offsetDays).toBe(40);
    await fetch(clock, { method: 'POST', body: JSON.stringify({ advanceDays: 31 }) });
    // The printed access token was issued when the sandbox started: 31 days later it has expired.
    const expired = await fetch(`${vars.PINSYNC_API_BASE}/user_account`, { headers: { authorization: `Bearer ${vars.PINSYNC_ACCESS_TOKEN}` } });
    expect(expired.status).toBe(401);
    const refresh = () =>
      fetch(`${vars.PINSYNC_API_BASE}/oauth/token`, {
        method: 'POST',
        headers: {
          authorization: `Basic ${Buffer.from(`${vars.PINTEREST_APP_ID}:${vars.PINTEREST_APP_SECRET}`).toString('base64')}`,
          'content-type': 'application/x-www-form-urlencoded',
        },
        body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: vars.PINSYNC_SANDBOX_REFRESH_TOKEN! }).toString(),
      });
    expect((await refresh()).status).toBe(200);
    expect((await refresh()).status).toBe(400);
    cli.kill('SIGTERM');
    expect(await cli.exited).toBe(0);
    expect(cli.stderr()).toMatch(/clock 40 days ahead, single-use refresh tokens/);
  });

  it('exits 2 naming the flag when a quota is malformed', async () => {
    const result = await runInProcess(['sandbox', '--port', '0', '--write-quota', '400 per minute']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--write-quota');
    expect(result.stdout).toBe('');
  });

  it('exits 2 with a sentence when the port is busy', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as { port: number }).port;
    try {
      const result = await runInProcess(['sandbox', '--port', String(port)]);
      expect(result.code).toBe(2);
      expect(result.stderr).toContain(`Port ${port} is already in use`);
      expect(result.stdout).toBe('');
    } finally {
      blocker.close();
    }
  });
});
