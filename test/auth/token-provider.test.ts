// The token provider in-process against the sandbox's token endpoint: precedence, refresh before
// expiry during a long run, one shared refresh for concurrent requests, and rotated tokens saved.
import { describe, expect, it } from 'vitest';
import { FileStore } from '../../src/auth/file-store.js';
import { REFRESH_MARGIN_MS, resolveTokenProvider } from '../../src/auth/token-provider.js';
import { AuthError } from '../../src/errors.js';
import { sandboxPerFile } from '../support/sandbox.js';
import { testContext } from '../support/test-context.js';
import { storedLogin } from '../support/stored-login.js';

const t = sandboxPerFile({ requestsOnSpec: true });

async function loggedInContext(expiresInSeconds: number) {
  const ctx = testContext({ PINSYNC_API_BASE: t.sandbox.apiBase });
  const issued = t.sandbox.state.issueTokens({ expiresInSeconds });
  const store = new FileStore(ctx.paths.credentialsFile);
  await store.write('default', storedLogin(t.sandbox, issued));
  return { ctx, issued, store };
}

const tokenRequests = () => t.sandbox.state.requests.filter((request) => request.path.endsWith('/oauth/token')).length;

describe('resolveTokenProvider', () => {
  it('follows the contract precedence: env token > env refresh token > stored', async () => {
    const { ctx } = await loggedInContext(3600);
    const refresh = t.sandbox.state.issueTokens().refreshToken;
    ctx.env.PINTEREST_APP_ID = t.sandbox.appId;
    ctx.env.PINTEREST_APP_SECRET = t.sandbox.appSecret;
    ctx.env.PINSYNC_REFRESH_TOKEN = refresh;
    ctx.env.PINSYNC_ACCESS_TOKEN = 'pina_env_token_123';
    expect((await resolveTokenProvider(ctx)).source).toBe('env');
    delete ctx.env.PINSYNC_ACCESS_TOKEN;
    expect((await resolveTokenProvider(ctx)).source).toBe('refresh-token');
    delete ctx.env.PINSYNC_REFRESH_TOKEN;
    expect((await resolveTokenProvider(ctx)).source).toBe('file');
  });

  it('says to log in when nothing is stored', async () => {
    await expect(resolveTokenProvider(testContext())).rejects.toThrow(AuthError);
    await expect(resolveTokenProvider(testContext({}, 'work'))).rejects.toThrow(/Not logged in \(profile work\): run `pinsync login`/);
  });

  it('refreshes during a long run once less than the margin is left, and saves the rotated tokens', async () => {
    const { ctx, issued, store } = await loggedInContext(3600);
    const tokens = await resolveTokenProvider(ctx);
    expect(await tokens.accessToken()).toBe(issued.accessToken);
    ctx.advance(3600_000 - REFRESH_MARGIN_MS + 1000);
    const fresh = await tokens.accessToken();
    expect(fresh).not.toBe(issued.accessToken);
    const saved = await store.read('default');
    expect(saved).toMatchObject({ accessToken: fresh });
    expect(saved?.refreshToken).not.toBe(issued.refreshToken);
  });

  it('shares one refresh between concurrent requests (rotating refresh tokens survive)', async () => {
    const { ctx, issued } = await loggedInContext(60);
    const before = tokenRequests();
    const tokens = await resolveTokenProvider(ctx);
    const all = await Promise.all(Array.from({ length: 5 }, () => tokens.accessToken()));
    expect(new Set(all).size).toBe(1);
    expect(all[0]).not.toBe(issued.accessToken);
    expect(tokenRequests() - before).toBe(1);
  });

  it('after a 401: refreshes once, and a burst of 401s on the old token shares that refresh', async () => {
    const { ctx, issued } = await loggedInContext(3600);
    const tokens = await resolveTokenProvider(ctx);
    const before = tokenRequests();
    const answers = await Promise.all([tokens.refreshAfterUnauthorized(), tokens.refreshAfterUnauthorized()]);
    expect(answers).toEqual([true, true]);
    expect(await tokens.accessToken()).not.toBe(issued.accessToken);
    expect(tokenRequests() - before).toBe(1);
  });

  it('picks up tokens another process refreshed instead of refreshing with a rotated-away token', async () => {
    const { ctx } = await loggedInContext(3600);
    const processA = await resolveTokenProvider(ctx);
    const processB = await resolveTokenProvider(ctx); // both hold the same tokens in memory
    await processA.refreshAfterUnauthorized(); // rotates the refresh token and saves the new pair
    const before = tokenRequests();
    expect(await processB.refreshAfterUnauthorized()).toBe(true); // would fail with the rotated-away refresh token
    expect(tokenRequests() - before).toBe(0);
    expect(await processB.accessToken()).toBe(await processA.accessToken());
  });
});
