// The API client against the sandbox over loopback: every call stays on the OpenAPI contract,
// lists come back whole and in order, and errors turn into the contract's kinds and exit codes.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collect } from '../../src/pinterest/pages.js';
import { ApiError } from '../../src/pinterest/errors.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/server.js';
import { clientFor, hashedRecords } from '../support/pinterest-client.js';
import { CA, US } from '../support/sandbox.js';

describe('PinterestClient against the sandbox', () => {
  let sandbox: Sandbox;
  beforeAll(async () => {
    // Every operation on small lists: the ready-list rule is not what these tests are about.
    sandbox = await startSandbox({ port: 0, listRules: { audiencesNeedReadyList: false } });
  });
  afterAll(async () => {
    await sandbox.stop();
  });

  it('calls every operation pinsync uses without a single request off the OpenAPI subset', async () => {
    const client = clientFor(sandbox);
    try {
      const user = await client.userAccount();
      expect(user.username).toBeTruthy();
      const accounts = await collect(client.adAccounts());
      expect(accounts.map((a) => a.id)).toEqual(expect.arrayContaining([US, CA]));
      expect((await client.adAccount(US)).name).toBe('Sandbox Ads US');

      const list = await client.createCustomerList(US, { name: 'Contract list', records: hashedRecords(5), list_type: 'EMAIL' });
      expect(list.id).toMatch(/^\d+$/);
      const audience = await client.createAudience(US, {
        name: 'Contract audience',
        audience_type: 'CUSTOMER_LIST',
        rule: { customer_list_id: list.id! },
        description: 'made by the contract test',
      });
      expect(audience.id).toMatch(/^\d+$/);

      const added = await client.updateCustomerList(US, list.id!, { operation_type: 'ADD', records: hashedRecords(3, 100) });
      expect(added.num_batches).toBe(2);
      await client.updateCustomerList(US, list.id!, { operation_type: 'REMOVE', records: hashedRecords(1, 100) });
      expect(sandbox.state.customerList(list.id!)!.records.size).toBe(7);

      expect((await client.audience(US, audience.id!)).name).toBe('Contract audience');
      expect((await client.customerList(US, list.id!)).num_uploaded_user_records).toBe(8);
      expect((await collect(client.customerLists(US))).map((l) => l.id)).toContain(list.id);
      expect((await collect(client.audiences(US))).map((a) => a.id)).toContain(audience.id);

      const lookalike = await client.createAudience(US, {
        name: 'Contract lookalike',
        audience_type: 'ACTALIKE',
        rule: { seed_id: [audience.id!], country: 'US', percentage: 5 },
      });
      expect(lookalike.status).toBe('READY');
      await client.archiveAudience(US, lookalike.id!);

      expect(sandbox.state.violations).toEqual([]);
      expect(client.stats.retries).toBe(0);
    } finally {
      await client.close();
    }
  });

  it('pages through 300 audiences and returns every one, in order', async () => {
    const local = await startSandbox({ port: 0 });
    const client = clientFor(local);
    try {
      const names = Array.from({ length: 300 }, (_, i) => `Paged ${String(i).padStart(3, '0')}`);
      const created = names.map((name) => local.state.createAudience(US, { name, audienceType: 'CUSTOMER_LIST' }).id);
      const listed = await collect(client.audiences(US));
      expect(listed.map((a) => a.id)).toEqual(created);
      const pages = local.state.requests.filter((r) => r.path.endsWith('/audiences'));
      expect(pages.length).toBe(2); // 250 + 50
      expect(local.state.violations).toEqual([]);
    } finally {
      await client.close();
      await local.stop();
    }
  });

  it('maps 401, 403, 404 and 400 to error kinds, exit codes and advice', async () => {
    const bad = clientFor(sandbox, { token: 'not-a-valid-token-0000' });
    const good = clientFor(sandbox);
    const readOnly = clientFor(sandbox, { token: sandbox.state.issueTokens({ scopes: ['ads:read'] }).accessToken });
    try {
      const unauthorized = await bad.adAccount(US).catch((e: unknown) => e);
      expect(unauthorized).toBeInstanceOf(ApiError);
      expect(unauthorized).toMatchObject({ kind: 'auth', status: 401, exitCode: 4, retryable: false });
      expect((unauthorized as ApiError).message).toMatch(/pinsync login/);

      const forbidden = await readOnly
        .createCustomerList(US, { name: 'x', records: hashedRecords(1), list_type: 'EMAIL' })
        .catch((e: unknown) => e);
      // A missing scope is Pinterest's 401 code 3: a permission problem naming the scope, not a bad token.
      expect(forbidden).toMatchObject({ kind: 'permission', status: 401, code: 3, exitCode: 4, retryable: false });
      expect((forbidden as ApiError).message).toMatch(/lacks the ads:write scope.*pinsync login/);

      const missing = await good.audience(US, '999999999').catch((e: unknown) => e);
      expect(missing).toMatchObject({ kind: 'not_found', status: 404, exitCode: 5 });
      expect((missing as ApiError).message).toContain('audience 999999999');

      const before = sandbox.state.violations.length;
      const invalid = await good
        .createAudience(US, { name: 'bad', audience_type: 'ACTALIKE', rule: { seed_id: ['1'], country: 'US', percentage: 50 } })
        .catch((e: unknown) => e);
      expect(invalid).toMatchObject({ kind: 'bad_request', status: 400, exitCode: 2, retryable: false });
      expect((invalid as ApiError).message).toMatch(/Pinterest said/);
      sandbox.state.violations.splice(before); // that request was meant to be off the contract
      expect(good.stats.retries).toBe(0);
    } finally {
      await Promise.all([bad.close(), good.close(), readOnly.close()]);
    }
  });

  it('retries a 401 once after the token provider refreshes, then succeeds', async () => {
    let token = 'expired-token-000000';
    let refreshes = 0;
    const client = clientFor(sandbox, {
      tokens: {
        accessToken: async () => token,
        refreshAfterUnauthorized: async () => {
          refreshes += 1;
          token = sandbox.token;
          return true;
        },
      },
    });
    try {
      expect((await client.adAccount(US)).id).toBe(US);
      expect(refreshes).toBe(1);
    } finally {
      await client.close();
    }
  });

  it('never puts the token in an error message, stack or cause', async () => {
    const canary = 'CANARY-TOKEN-123456789';
    const client = clientFor(sandbox, { token: canary });
    const unreachable = clientFor(sandbox, { token: canary, apiBase: 'http://127.0.0.1:1/v5', retryFor: 0 });
    try {
      for (const error of [await client.userAccount().catch((e) => e), await unreachable.userAccount().catch((e) => e)]) {
        expect(error).toBeInstanceOf(ApiError);
        const everything = `${error.message}\n${error.stack}\n${JSON.stringify(error)}\n${String(error.cause?.stack ?? '')}`;
        expect(everything).not.toContain(canary);
      }
      const network = await unreachable.userAccount().catch((e) => e);
      expect(network).toMatchObject({ kind: 'network', exitCode: 1 });
      expect(network.message).toMatch(/^Could not reach Pinterest at http:\/\/127\.0\.0\.1:1\/v5: connection refused/);
    } finally {
      await Promise.all([client.close(), unreachable.close()]);
    }
  });
});
