// The sandbox keeps time: one virtual clock for token lifetimes (30-day access tokens, 60-day continuous
// refresh tokens) and the daily write quota, moved by days from a test, the admin call or a flag; and
// strict refresh tokens that work once.
import { afterEach, describe, expect, it } from 'vitest';
import { startSandbox, type Sandbox } from '../../src/sandbox/server.js';

import { US } from '../support/sandbox.js';
import { call, createList } from '../support/sandbox-api.js';
import { hashedEmails } from '../support/users.js';

let sandbox: Sandbox | undefined;
afterEach(async () => {
  await sandbox?.stop();
  sandbox = undefined;
});

async function refresh(box: Sandbox, refreshToken: string) {
  const response = await fetch(`${box.apiBase}/oauth/token`, {
    method: 'POST',
    headers: {
      authorization: `Basic ${Buffer.from(`${box.appId}:${box.appSecret}`).toString('base64')}`,
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: refreshToken }).toString(),
  });
  const body = (await response.json()) as { access_token: string; refresh_token: string; expires_in: number; refresh_token_expires_in: number; refresh_token_expires_at: number };
  return { status: response.status, body };
}

const DAY_S = 24 * 3600;

describe('the sandbox clock', () => {
  it('expires access tokens after 30 days and refresh tokens 60 days after their refresh, each refresh renewing both', async () => {
    const box = (sandbox = await startSandbox({ port: 0 }));
    const issued = box.state.issueTokens();
    box.clock.advanceDays(29);
    expect((await call(box, 'GET', '/user_account', { token: issued.accessToken })).status).toBe(200);
    box.clock.advanceDays(2);
    expect((await call(box, 'GET', '/user_account', { token: issued.accessToken })).status).toBe(401);

    const renewed = await refresh(box, issued.refreshToken);
    expect(renewed.status).toBe(200);
    expect(renewed.body.expires_in).toBe(30 * DAY_S);
    expect(renewed.body.refresh_token_expires_in).toBe(60 * DAY_S);
    expect(renewed.body.refresh_token_expires_at * 1000).toBeGreaterThanOrEqual(box.clock.now() + 60 * DAY_S * 1000 - 1000);

    box.clock.advanceDays(59); // 90 days after the first login: the renewed refresh token still works
    expect((await refresh(box, renewed.body.refresh_token)).status).toBe(200);
    box.clock.advanceDays(61);
    expect((await refresh(box, issued.refreshToken)).status).toBe(400); // 151 days old
  });

  it('moves forward by the admin call and shows where it is; never backward', async () => {
    const box = (sandbox = await startSandbox({ port: 0, advanceDays: 10 }));
    const shown = await fetch(`${box.oauthBase}/sandbox/clock`).then((r) => r.json() as Promise<{ now: string; offsetDays: number }>);
    expect(shown.offsetDays).toBe(10);
    const moved = await fetch(`${box.oauthBase}/sandbox/clock`, { method: 'POST', body: JSON.stringify({ advanceDays: 31 }) });
    expect(moved.status).toBe(200);
    expect(((await moved.json()) as { offsetDays: number }).offsetDays).toBe(41);
    expect(Math.abs(box.clock.now() - (Date.now() + 41 * DAY_S * 1000))).toBeLessThan(5_000);
    const back = await fetch(`${box.oauthBase}/sandbox/clock`, { method: 'POST', body: JSON.stringify({ advanceDays: -1 }) });
    expect(back.status).toBe(400);
    expect((await call(box, 'GET', '/user_account')).status).toBe(401); // the default token was issued 41 days ago
  });

  it('counts the daily write quota in the days of the sandbox clock', async () => {
    const box = (sandbox = await startSandbox({ port: 0, dailyWriteQuota: { limit: 2 } }));
    const list = await createList(box, hashedEmails(3));
    const patch = () => call(box, 'PATCH', `/ad_accounts/${US}/customer_lists/${list.id}`, { body: { operation_type: 'ADD', records: hashedEmails(1, 'more')[0] } });
    expect((await patch()).status).toBe(200);
    const spent = await patch();
    expect(spent.status).toBe(429);
    expect(Number(spent.headers.get('x-ratelimit-reset'))).toBeGreaterThan(23 * 3600);
    box.clock.advanceDays(1);
    expect((await patch()).status).toBe(200);
  });
});

describe('strict refresh tokens', () => {
  it('work once; a spent one presented again is refused and revokes every token of its login', async () => {
    const box = (sandbox = await startSandbox({ port: 0, strictRefresh: true }));
    const issued = box.state.issueTokens();
    const first = await refresh(box, issued.refreshToken);
    expect(first.status).toBe(200);
    expect(box.state.liveRefreshTokensOf(issued.refreshToken)).toBe(1);
    expect((await refresh(box, issued.refreshToken)).status).toBe(400);
    expect(box.state.liveRefreshTokensOf(issued.refreshToken)).toBe(0);
    expect((await refresh(box, first.body.refresh_token)).status).toBe(400);
    expect((await call(box, 'GET', '/user_account', { token: first.body.access_token })).status).toBe(401);
  });

  it('leave other logins alone', async () => {
    const box = (sandbox = await startSandbox({ port: 0, strictRefresh: true }));
    const mine = box.state.issueTokens();
    const other = box.state.issueTokens();
    await refresh(box, mine.refreshToken);
    await refresh(box, mine.refreshToken);
    expect((await refresh(box, other.refreshToken)).status).toBe(200);
  });
});
