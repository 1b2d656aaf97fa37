// `pinsync accounts list|use` run as a user would, against the sandbox.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox, type Sandbox } from '../../src/sandbox/server.js';
import { parseJsonOutput } from '../support/cli.js';
import { makeHome } from '../support/home.js';
import { runInProcess } from '../support/in-process.js';
import { CA, US } from '../support/sandbox.js';

describe('pinsync accounts', () => {
  let sandbox: Sandbox;
  let env: Record<string, string>;
  beforeAll(async () => {
    sandbox = await startSandbox({ port: 0 });
    env = { PINSYNC_API_BASE: sandbox.apiBase, PINSYNC_ACCESS_TOKEN: sandbox.token };
  });
  afterAll(async () => {
    await sandbox.stop();
  });

  it('lists the ad accounts as a table with id, name, country, currency and role', async () => {
    const result = await runInProcess(['accounts', 'list'], { env });
    expect(result.code).toBe(0);
    const lines = result.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^ID\s+NAME\s+COUNTRY\s+CURRENCY\s+ROLE/);
    expect(result.stdout).toMatch(new RegExp(`${US}\\s+Sandbox Ads US\\s+US\\s+USD\\s+OWNER`));
    expect(result.stdout).toMatch(new RegExp(`${CA}\\s+Sandbox Ads CA\\s+CA\\s+CAD`));
    expect(result.stdout).not.toContain('\u001b[');
    expect(result.stderr).toMatch(/accounts use/);
  });

  it('prints one JSON array with the API fields under --json', async () => {
    const result = await runInProcess(['accounts', 'list', '--json'], { env });
    expect(result.code).toBe(0);
    const accounts = parseJsonOutput<Array<{ id: string; name: string; permissions: string[] }>>(result);
    expect(accounts.map((a) => a.id)).toEqual([US, CA]);
    expect(accounts[0]).toMatchObject({ name: 'Sandbox Ads US', country: 'US', currency: 'USD' });
    expect(accounts[0]!.permissions).toContain('OWNER');
  });

  it('`accounts use` stores the default, marks it in the list, and audiences list then needs no --ad-account', async () => {
    const home = makeHome();
    const use = await runInProcess(['accounts', 'use', US], { env, home });
    expect(use.code).toBe(0);
    expect(use.stderr).toContain(US);
    const list = await runInProcess(['accounts', 'list'], { env, home });
    expect(list.stdout).toMatch(new RegExp(`^\\*\\s+${US}`, 'm'));
    sandbox.state.createAudience(US, { name: 'Default account audience' });
    const audiences = await runInProcess(['audiences', 'list', '--json'], { env, home });
    expect(audiences.code).toBe(0);
    expect(parseJsonOutput<Array<{ name: string }>>(audiences).map((a) => a.name)).toContain('Default account audience');
  });

  it('`accounts use` refuses an ad account that does not exist (exit 5) and keeps no default', async () => {
    const home = makeHome();
    const result = await runInProcess(['accounts', 'use', '123456789'], { env, home });
    expect(result.code).toBe(5);
    expect(result.stderr).toMatch(/123456789 was not found/);
    const audiences = await runInProcess(['audiences', 'list'], { env, home });
    expect(audiences.code).toBe(2);
  });

  it('exits 4 with advice on a bad token, and never prints the token, even with --debug', async () => {
    const canary = 'CANARY-TOKEN-123456789';
    const result = await runInProcess(['--debug', 'accounts', 'list'], { env: { ...env, PINSYNC_ACCESS_TOKEN: canary } });
    expect(result.code).toBe(4);
    expect(result.stderr).toMatch(/rejected the access token.*pinsync login/s);
    expect(result.stderr).toMatch(/debug: GET \/ad_accounts -> 401/);
    expect(result.stdout + result.stderr).not.toContain(canary);
  });

  it('says once that it is retrying when Pinterest pushes back, then lists as usual', async () => {
    sandbox.setFaults({ burst429: { every: 1, length: 1 }, applyTo: 'all' });
    try {
      // The first eligible request passes; the CLI's first one is then the 429 of the burst.
      await fetch(`${sandbox.apiBase}/user_account`, { headers: { authorization: `Bearer ${sandbox.token}` } });
      const result = await runInProcess(['accounts', 'list', '--json'], { env });
      expect(result.code).toBe(0);
      expect(parseJsonOutput<Array<{ id: string }>>(result).map((a) => a.id)).toEqual([US, CA]);
      expect(result.stderr.match(/retrying for up to a minute/g)).toHaveLength(1);
    } finally {
      sandbox.setFaults({});
    }
  });

  it('exits 2 naming PINSYNC_API_BASE when it is not an address, instead of a network error', async () => {
    const result = await runInProcess(['accounts', 'list'], { env: { ...env, PINSYNC_API_BASE: 'api.pinterest.com/v5' } });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^pinsync: PINSYNC_API_BASE must be an http\(s\) address such as https:\/\/api\.pinterest\.com\/v5, not "api\.pinterest\.com\/v5"\.\n$/);
  });
});

