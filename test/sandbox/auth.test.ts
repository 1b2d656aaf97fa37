// A client without a valid token, or with too few scopes, or without access to the ad account, is refused.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startSandbox, type Sandbox } from '../../src/sandbox/server.js';
import { call } from '../support/sandbox-api.js';
import { hashedEmails } from '../support/users.js';
import { CA, US } from '../support/sandbox.js';

let sandbox: Sandbox;
beforeEach(async () => {
  sandbox = await startSandbox({ port: 0 });
});
afterEach(async () => {
  await sandbox.stop();
});

describe('authentication', () => {
  it('answers 401 with a JSON error when no token is sent', async () => {
    const answer = await call(sandbox, 'GET', '/ad_accounts', { token: null });
    expect(answer.status).toBe(401);
    expect(answer.body).toEqual({ code: expect.any(Number), message: expect.stringContaining('no bearer token') });
  });

  it('answers 401 for an unknown token', async () => {
    const answer = await call(sandbox, 'GET', '/ad_accounts', { token: 'pina_not_a_real_token' });
    expect(answer.status).toBe(401);
    expect(answer.body.message).toContain('not valid');
  });

  it('answers 401 once a token is revoked', async () => {
    const { accessToken } = sandbox.state.issueTokens();
    expect((await call(sandbox, 'GET', '/ad_accounts', { token: accessToken })).status).toBe(200);
    sandbox.state.revokeToken(accessToken);
    const answer = await call(sandbox, 'GET', '/ad_accounts', { token: accessToken });
    expect(answer.status).toBe(401);
    expect(answer.body.message).toContain('revoked');
  });

  it('answers 401 for an expired token', async () => {
    const { accessToken, expiresAt } = sandbox.state.issueTokens({ expiresInSeconds: 0 });
    expect(expiresAt).toBeLessThanOrEqual(Date.now());
    const answer = await call(sandbox, 'GET', '/ad_accounts', { token: accessToken });
    expect(answer.status).toBe(401);
    expect(answer.body.message).toContain('expired');
  });

  it('answers 403 naming the missing scope when missingScopeStatus is 403', async () => {
    const lenient = await startSandbox({ port: 0, missingScopeStatus: 403 });
    try {
      const { accessToken } = lenient.state.issueTokens({ scopes: ['ads:read'] });
      expect((await call(lenient, 'GET', `/ad_accounts/${US}/audiences`, { token: accessToken })).status).toBe(200);
      const write = await call(lenient, 'POST', `/ad_accounts/${US}/customer_lists`, {
        token: accessToken,
        body: { name: 'x', records: hashedEmails(1).join(',') },
      });
      expect(write.status).toBe(403);
      expect(write.body.message).toContain('ads:write');
      const user = await call(lenient, 'GET', '/user_account', { token: accessToken });
      expect(user.status).toBe(403);
      expect(user.body.message).toContain('user_accounts:read');
    } finally {
      await lenient.stop();
    }
  });

  it('answers 401 code 3 with the spec\'s message naming the scope by default (as Pinterest does)', async () => {
    const strict = await startSandbox({ port: 0 });
    try {
      const { accessToken } = strict.state.issueTokens({ scopes: ['ads:read', 'user_accounts:read'] });
      expect((await call(strict, 'GET', `/ad_accounts/${US}/audiences`, { token: accessToken })).status).toBe(200);
      const write = await call(strict, 'PATCH', `/ad_accounts/${US}/customer_lists/1`, {
        token: accessToken,
        body: { operation_type: 'ADD', records: hashedEmails(1).join(',') },
      });
      expect(write.status).toBe(401);
      expect(write.body).toEqual({ code: 3, message: expect.stringContaining('does not have sufficient permissions') });
      expect(write.body.message).toContain('ads:write');
      expect(strict.state.violations).toEqual([]);
    } finally {
      await strict.stop();
    }
  });

  it('lets the default token read the user account', async () => {
    const answer = await call(sandbox, 'GET', '/user_account');
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ account_type: 'BUSINESS', username: expect.any(String), id: expect.any(String) });
  });
});

describe('ad accounts and permissions', () => {
  it('lists the two default ad accounts with their permissions', async () => {
    const answer = await call(sandbox, 'GET', '/ad_accounts');
    expect(answer.status).toBe(200);
    expect(answer.body.bookmark).toBeNull();
    expect(answer.body.items.map((a: any) => [a.id, a.name])).toEqual([
      [US, 'Sandbox Ads US'],
      [CA, 'Sandbox Ads CA'],
    ]);
    expect((await call(sandbox, 'GET', `/ad_accounts/${CA}`)).body.permissions).not.toContain('OWNER');
  });

  it('refuses writes to the read-only account with 403 but allows reads', async () => {
    expect((await call(sandbox, 'GET', `/ad_accounts/${CA}/audiences`)).status).toBe(200);
    const write = await call(sandbox, 'POST', `/ad_accounts/${CA}/customer_lists`, {
      body: { name: 'x', records: hashedEmails(1).join(',') },
    });
    expect(write.status).toBe(403);
    expect(write.body.message).toContain('read-only');
  });
});

describe('not found', () => {
  it('answers 404 for an unknown ad account, audience or customer list', async () => {
    expect((await call(sandbox, 'GET', '/ad_accounts/123')).status).toBe(404);
    expect((await call(sandbox, 'GET', `/ad_accounts/123/audiences`)).status).toBe(404);
    expect((await call(sandbox, 'GET', `/ad_accounts/${US}/audiences/999`)).status).toBe(404);
    expect((await call(sandbox, 'GET', `/ad_accounts/${US}/customer_lists/999`)).status).toBe(404);
    const patch = await call(sandbox, 'PATCH', `/ad_accounts/${US}/customer_lists/999`, {
      body: { operation_type: 'ADD', records: hashedEmails(1).join(',') },
    });
    expect(patch.status).toBe(404);
    expect(patch.body).toEqual({ code: expect.any(Number), message: expect.stringContaining('not found') });
  });

  it('does not show one account’s list through another account', async () => {
    const list = sandbox.state.createCustomerList(US, { name: 'US list', records: hashedEmails(3) });
    expect((await call(sandbox, 'GET', `/ad_accounts/${CA}/customer_lists/${list.id}`)).status).toBe(404);
  });
});
