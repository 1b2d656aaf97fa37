// `pinsync audiences list|show|create` run as a user would, against the sandbox.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox, type Sandbox } from '../../src/sandbox/server.js';
import { parseJsonOutput } from '../support/cli.js';
import { makeHome } from '../support/home.js';
import { runInProcess } from '../support/in-process.js';
import { CA, US } from '../support/sandbox.js';

describe('pinsync audiences', () => {
  let sandbox: Sandbox;
  let env: Record<string, string>;
  let springId: string;
  let listId: string;
  beforeAll(async () => {
    // Lists are done processing at once, so the arranged ones show their final status (TOO_SMALL, READY).
    sandbox = await startSandbox({ port: 0, listRules: { processingMs: 0 } });
    env = { PINSYNC_API_BASE: sandbox.apiBase, PINSYNC_ACCESS_TOKEN: sandbox.token };
    const list = sandbox.state.createCustomerList(US, { name: 'Spring list', records: ['a'.repeat(64), 'b'.repeat(64)] });
    listId = list.id;
    springId = sandbox.state.createAudience(US, { name: 'Spring buyers', rule: { customer_list_id: list.id } }).id;
    sandbox.state.createAudience(US, { name: 'Autumn buyers', audienceType: 'ACTALIKE', rule: { seed_id: [springId], country: 'GB', percentage: 2 } });
    sandbox.state.createAudience(US, { name: 'Twin' });
    sandbox.state.createAudience(US, { name: 'Twin' });
  });
  afterAll(async () => {
    await sandbox.stop();
  });

  it('lists audiences as a table with id, name, type, status, size (— when unknown) and update time', async () => {
    const result = await runInProcess(['audiences', 'list', '--ad-account', US], { env });
    expect(result.code).toBe(0);
    const [header, ...rows] = result.stdout.trimEnd().split('\n');
    expect(header).toMatch(/^ID\s+NAME\s+TYPE\s+STATUS\s+SIZE\s+UPDATED \(UTC\)$/);
    expect(rows).toHaveLength(4);
    expect(result.stdout).toMatch(new RegExp(`${springId}\\s+Spring buyers\\s+CUSTOMER_LIST\\s+TOO_SMALL\\s+—\\s+\\d{4}-\\d\\d-\\d\\d`));
    expect(result.stdout).toMatch(/Autumn buyers\s+ACTALIKE\s+READY\s+2,000,000/);
  });

  it('filters by a case-insensitive part of the name and prints one JSON array with --json', async () => {
    const result = await runInProcess(['audiences', 'list', '--ad-account', US, '--name', 'BUYERS', '--json'], { env });
    expect(result.code).toBe(0);
    const audiences = parseJsonOutput<Array<{ id: string; name: string; audience_type: string; size: number | null }>>(result);
    expect(audiences.map((a) => a.name).sort()).toEqual(['Autumn buyers', 'Spring buyers']);
    expect(audiences.find((a) => a.name === 'Spring buyers')).toMatchObject({ id: springId, audience_type: 'CUSTOMER_LIST', size: null });
  });

  it('exits 2 naming --ad-account when there is no default and no terminal to ask on', async () => {
    const result = await runInProcess(['audiences', 'list'], { env });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/--ad-account/);
    expect(result.stdout).toBe('');
  });

  it('shows a customer-list audience with its list counters and the TOO_SMALL advice', async () => {
    const result = await runInProcess(['audiences', 'show', 'Spring buyers', '--ad-account', US], { env });
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(new RegExp(`Audience\\s+Spring buyers \\(id ${springId}\\)`));
    expect(result.stdout).toMatch(new RegExp(`Customer list\\s+Spring list \\(id ${listId}\\)`));
    expect(result.stdout).toMatch(/Uploaded records\s+2/);
    expect(result.stdout).toMatch(/Batches\s+1/);
    expect(result.stdout).toContain('Pinterest shows a size after ~100 matched users; sizes can take 24–48 hours to appear in Ads Manager.');
  });

  it('shows one JSON object with the customer list under --json, found by id', async () => {
    const result = await runInProcess(['audiences', 'show', springId, '--ad-account', US, '--json'], { env });
    expect(result.code).toBe(0);
    const audience = parseJsonOutput<{ id: string; customer_list: { id: string; num_uploaded_user_records: number; status: string } }>(result);
    expect(audience.id).toBe(springId);
    expect(audience.customer_list).toMatchObject({ id: listId, num_uploaded_user_records: 2, status: 'TOO_SMALL' });
  });

  it('exits 5 on an unknown audience and says how to create it', async () => {
    const result = await runInProcess(['audiences', 'show', 'Winter buyers', '--ad-account', US], { env });
    expect(result.code).toBe(5);
    expect(result.stderr).toMatch(/No audience named "Winter buyers" in ad account 549755885175\. .*pinsync audiences create NAME --from FILE/);
    expect(result.stderr).not.toMatch(/--create/); // show has no --create flag
  });

  it('exits 2 and asks for the id when two audiences share the name', async () => {
    const result = await runInProcess(['audiences', 'show', 'Twin', '--ad-account', US], { env });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/2 audiences .* named "Twin".*pass the id/);
  });

  it('creates a lookalike of an audience named on the command line', async () => {
    const result = await runInProcess(
      ['audiences', 'create', 'Spring lookalike', '--ad-account', US, '--actalike-of', 'Spring buyers', '--country', 'US', '--percentage', '3', '--json'],
      { env },
    );
    expect(result.code).toBe(0);
    const created = parseJsonOutput<{ id: string; name: string }>(result);
    expect(created.name).toBe('Spring lookalike');
    const stored = sandbox.state.audience(created.id)!;
    expect(stored).toMatchObject({ audienceType: 'ACTALIKE', rule: { seed_id: [springId], country: 'US', percentage: 3 } });
    expect(sandbox.state.violations).toEqual([]);
  });

  it('creates nothing for an empty customer-list audience and says how to seed it (exit 2)', async () => {
    const before = sandbox.state.audiences.size;
    const result = await runInProcess(['audiences', 'create', 'Empty one', '--ad-account', US], { env });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/pinsync push FILE --audience "Empty one" --create/);
    expect(sandbox.state.audiences.size).toBe(before);
  });

  it('creates a customer-list audience seeded from a file with --from (through push), and refuses the same name twice', async () => {
    const dir = makeHome('pinsync-input-');
    const few = path.join(dir, 'few.csv');
    fs.writeFileSync(few, 'email\nann@example.com\nbob@example.com\n');
    // Two users cannot make a Pinterest audience: the list holds them and the audience waits.
    const pending = await runInProcess(['audiences', 'create', 'Seeded', '--ad-account', US, '--from', few, '--no-progress'], { env });
    expect(pending.code, pending.stderr).toBe(0);
    expect(pending.stderr).toMatch(/Audience "Seeded" is not created yet: customer list \d+ holds 2 uploaded records/);
    const shown = await runInProcess(['audiences', 'show', 'Seeded', '--ad-account', US], { env });
    expect(shown.stdout).toMatch(/Status +PENDING/);
    // Enough users for Pinterest (about 70% match): the same list takes them and the audience is made.
    const more = path.join(dir, 'more.csv');
    fs.writeFileSync(more, 'email\n' + Array.from({ length: 300 }, (_, i) => `buyer${i}@example.com`).join('\n') + '\n');
    const result = await runInProcess(['audiences', 'create', 'Seeded', '--ad-account', US, '--from', more, '--no-progress'], { env });
    expect(result.code, result.stderr).toBe(0);
    const seeded = [...sandbox.state.audiences.values()].find((a) => a.name === 'Seeded')!;
    expect(seeded.audienceType).toBe('CUSTOMER_LIST');
    expect(sandbox.state.customerList(seeded.rule.customer_list_id!)!.records.size).toBe(302);
    const again = await runInProcess(['audiences', 'create', 'Seeded', '--ad-account', US, '--from', few], { env });
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/already has an audience named "Seeded" \(id \d+\)\. .*pinsync push FILE --audience \d+/);
  });

  it('exits 2 naming the missing argument or flag off a terminal', async () => {
    const noName = await runInProcess(['audiences', 'create', '--ad-account', US], { env });
    expect(noName.code).toBe(2);
    expect(noName.stderr).toMatch(/<name>/);
    const noCountry = await runInProcess(['audiences', 'create', 'X', '--actalike-of', 'Spring buyers', '--percentage', '3'], { env });
    expect(noCountry.code).toBe(2);
    expect(noCountry.stderr).toMatch(/--country/);
    const badPercentage = await runInProcess(['audiences', 'create', 'X', '--actalike-of', 'Spring buyers', '--country', 'US', '--percentage', '11'], { env });
    expect(badPercentage.code).toBe(2);
    expect(badPercentage.stderr).toMatch(/^pinsync: --percentage must be a whole number from 1 to 10, not "11"\.\n/);
    expect(badPercentage.stderr).not.toMatch(/is invalid/);
    const badCountry = await runInProcess(['audiences', 'create', 'X', '--actalike-of', 'Spring buyers', '--country', 'FR', '--percentage', '1'], { env });
    expect(badCountry.code).toBe(2);
    expect(badCountry.stderr).toMatch(/^pinsync: --country takes one of US, CA, GB, not "FR"\.\n/);
  });

  it('exits 4 and names the ad account when the user may only read it', async () => {
    sandbox.state.createAudience(CA, { name: 'Canada seed' });
    const result = await runInProcess(
      ['audiences', 'create', 'Canada lookalike', '--ad-account', CA, '--actalike-of', 'Canada seed', '--country', 'CA', '--percentage', '1'],
      { env },
    );
    expect(result.code).toBe(4);
    expect(result.stderr).toMatch(new RegExp(`refused access to ad account ${CA}\\. Ask your Pinterest Business admin for access to it`));
  });

  it('exits 4 on a revoked token without printing it', async () => {
    const issued = sandbox.state.issueTokens();
    sandbox.state.revokeToken(issued.accessToken);
    const result = await runInProcess(['--debug', 'audiences', 'list', '--ad-account', US], { env: { ...env, PINSYNC_ACCESS_TOKEN: issued.accessToken } });
    expect(result.code).toBe(4);
    expect(result.stderr).toMatch(/pinsync login/);
    expect(result.stdout + result.stderr).not.toContain(issued.accessToken);
  });
});
