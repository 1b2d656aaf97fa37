// The OAuth flow the login command drives: consent page, redirect with code or error, the code grant
// (single use, same redirect_uri) and the refresh grant (a new refresh token each time; strict mode: clock.test.ts).
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startSandbox, type Sandbox } from '../../src/sandbox/server.js';
import { call } from '../support/sandbox-api.js';

const REDIRECT = 'http://localhost:8085/';
let sandbox: Sandbox;
beforeEach(async () => {
  sandbox = await startSandbox({ port: 0 });
});
afterEach(async () => {
  await sandbox.stop();
});

function consentUrl(params: Record<string, string> = {}): string {
  const url = new URL('/oauth/', sandbox.oauthBase);
  const query = { client_id: sandbox.appId, redirect_uri: REDIRECT, response_type: 'code', scope: 'ads:read,ads:write', state: 'xyz', ...params };
  for (const [key, value] of Object.entries(query)) url.searchParams.set(key, value);
  return url.toString();
}

/** Opens the consent page and presses a button; returns where the browser would be sent. */
async function consent(decision: 'allow' | 'deny', params: Record<string, string> = {}): Promise<URL> {
  const page = await fetch(consentUrl(params));
  expect(page.status).toBe(200);
  const html = await page.text();
  const requestId = /name="request" value="([^"]+)"/.exec(html)![1]!;
  const answer = await fetch(new URL('/oauth/decision', sandbox.oauthBase), {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ request: requestId, decision }).toString(),
    redirect: 'manual',
  });
  expect(answer.status).toBe(302);
  return new URL(answer.headers.get('location')!);
}

function tokenRequest(form: Record<string, string>, credentials = `${sandbox.appId}:${sandbox.appSecret}`) {
  return fetch(`${sandbox.apiBase}/oauth/token`, {
    method: 'POST',
    headers: {
      authorization: `Basic ${Buffer.from(credentials).toString('base64')}`,
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: new URLSearchParams(form).toString(),
  });
}

describe('consent page', () => {
  it('shows the app id, the scopes and the two buttons', async () => {
    const html = await (await fetch(consentUrl())).text();
    expect(html).toContain(sandbox.appId);
    expect(html).toContain('ads:write');
    expect(html).toMatch(/<button id="allow"[^>]*>Give access<\/button>/);
    expect(html).toMatch(/<button id="deny"[^>]*>Cancel<\/button>/);
  });

  it('redirects with a code and the state on "Give access"', async () => {
    const target = await consent('allow');
    expect(target.origin + target.pathname).toBe(REDIRECT);
    expect(target.searchParams.get('code')).toMatch(/\w{10,}/);
    expect(target.searchParams.get('state')).toBe('xyz');
  });

  it('redirects with error=access_denied on "Cancel"', async () => {
    const target = await consent('deny');
    expect(target.searchParams.get('error')).toBe('access_denied');
    expect(target.searchParams.get('state')).toBe('xyz');
    expect(target.searchParams.has('code')).toBe(false);
  });

  it('refuses another app id and non-loopback redirect URIs', async () => {
    expect((await fetch(consentUrl({ client_id: 'someone-else' }))).status).toBe(400);
    expect((await fetch(consentUrl({ redirect_uri: 'https://evil.example/' }))).status).toBe(400);
    expect((await fetch(consentUrl({ redirect_uri: 'http://127.0.0.1:9999/callback' }))).status).toBe(200);
  });
});

describe('token endpoint', () => {
  it('exchanges a code once, for tokens in the spec shape that work', async () => {
    const code = (await consent('allow')).searchParams.get('code')!;
    const response = await tokenRequest({ grant_type: 'authorization_code', code, redirect_uri: REDIRECT });
    expect(response.status).toBe(200);
    const tokens = (await response.json()) as Record<string, string>;
    expect(tokens).toMatchObject({
      access_token: expect.any(String),
      token_type: 'bearer',
      expires_in: expect.any(Number),
      scope: 'ads:read,ads:write',
      refresh_token: expect.any(String),
      refresh_token_expires_in: expect.any(Number),
      refresh_token_expires_at: expect.any(Number),
      response_type: 'authorization_code',
    });
    expect((await call(sandbox, 'GET', '/ad_accounts', { token: tokens.access_token })).status).toBe(200);
    // Granted scopes only: no user_accounts:read here (Pinterest answers 401, code 3, naming the scope).
    const missingScope = await call(sandbox, 'GET', '/user_account', { token: tokens.access_token });
    expect(missingScope.status).toBe(401);
    expect(missingScope.body).toMatchObject({ code: 3 });

    const again = await tokenRequest({ grant_type: 'authorization_code', code, redirect_uri: REDIRECT });
    expect(again.status).toBe(400);
    expect(sandbox.state.violations).toEqual([]);
  });

  it('refuses a code with another redirect_uri and wrong app credentials', async () => {
    const code = (await consent('allow')).searchParams.get('code')!;
    expect((await tokenRequest({ grant_type: 'authorization_code', code, redirect_uri: 'http://localhost:9999/' })).status).toBe(400);
    const code2 = (await consent('allow')).searchParams.get('code')!;
    expect((await tokenRequest({ grant_type: 'authorization_code', code: code2, redirect_uri: REDIRECT }, `${sandbox.appId}:wrong`)).status).toBe(401);
  });

  it('answers a refresh with a new pair; without strict refresh the used refresh token still works', async () => {
    const issued = sandbox.state.issueTokens();
    const first = await tokenRequest({ grant_type: 'refresh_token', refresh_token: issued.refreshToken });
    expect(first.status).toBe(200);
    const body = (await first.json()) as Record<string, string>;
    expect(body.response_type).toBe('refresh_token');
    expect(body.refresh_token).not.toBe(issued.refreshToken);
    expect(body.access_token).not.toBe(issued.accessToken);
    expect((await call(sandbox, 'GET', '/user_account', { token: body.access_token })).status).toBe(200);
    expect((await tokenRequest({ grant_type: 'refresh_token', refresh_token: issued.refreshToken })).status).toBe(200);
  });

  it('lets codes expire after 10 minutes', async () => {
    await sandbox.stop();
    let now = Date.now();
    sandbox = await startSandbox({ port: 0, now: () => now });
    const fresh = sandbox.state.createAuthorizationCode(REDIRECT, ['ads:read']);
    const stale = sandbox.state.createAuthorizationCode(REDIRECT, ['ads:read']);
    now += 9 * 60 * 1000;
    expect((await tokenRequest({ grant_type: 'authorization_code', code: fresh, redirect_uri: REDIRECT })).status).toBe(200);
    now += 2 * 60 * 1000;
    expect((await tokenRequest({ grant_type: 'authorization_code', code: stale, redirect_uri: REDIRECT })).status).toBe(400);
  });

  it('expires access tokens on the sandbox clock, and refresh still works', async () => {
    await sandbox.stop();
    let now = Date.now();
    sandbox = await startSandbox({ port: 0, now: () => now });
    const issued = sandbox.state.issueTokens({ expiresInSeconds: 60 });
    now += 61_000;
    const expired = await call(sandbox, 'GET', '/ad_accounts', { token: issued.accessToken });
    expect(expired.status).toBe(401);
    expect(expired.body.message).toContain('expired');
    const refreshed = await tokenRequest({ grant_type: 'refresh_token', refresh_token: issued.refreshToken });
    const body = (await refreshed.json()) as { access_token: string; expires_in: number };
    expect(body.expires_in).toBe(30 * 24 * 3600);
    expect((await call(sandbox, 'GET', '/ad_accounts', { token: body.access_token })).status).toBe(200);
  });

  it('refuses a grant_type outside the spec as a violation', async () => {
    const response = await tokenRequest({ grant_type: 'password' });
    expect(response.status).toBe(400);
    expect(sandbox.state.violations).toHaveLength(1);
  });
});
