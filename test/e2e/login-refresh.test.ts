// Token refresh against the sandbox, through the built CLI: shortly before expiry, once after a 401,
// rotated refresh tokens stored; PINSYNC_ACCESS_TOKEN never stored, PINSYNC_REFRESH_TOKEN a seed whose
// chain is kept (credential-chain.test.ts follows one through a year).
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { sandboxPerFile } from '../support/sandbox.js';
import { storedLogin } from '../support/stored-login.js';
import { parseJsonOutput } from '../support/cli.js';
import { makeHome } from '../support/home.js';
import { runInProcess, startInProcess } from '../support/in-process.js';
import { startSandbox } from '../../src/sandbox/server.js';

const t = sandboxPerFile({ requestsOnSpec: true });

/** A profile as `login` would have left it in the 0600 file (PINSYNC_KEYCHAIN=off). */
function writeStoredLogin(home: string, issued: Parameters<typeof storedLogin>[1], overrides: Record<string, unknown> = {}): string {
  const file = path.join(home, 'credentials.json');
  const profile = { ...storedLogin(t.sandbox, issued), scopes: ['ads:read', 'ads:write', 'user_accounts:read'], ...overrides };
  fs.writeFileSync(file, JSON.stringify({ version: 1, profiles: { default: profile } }), { mode: 0o600 });
  return file;
}

function storedProfile(file: string): Record<string, string & number> {
  return JSON.parse(fs.readFileSync(file, 'utf8')).profiles.default;
}

const status = (home: string, env: Record<string, string | undefined> = {}) =>
  runInProcess(['status', '--json'], { home, env: { PINSYNC_API_BASE: t.sandbox.apiBase, ...env } });

describe('token refresh', () => {
  it('refreshes a token about to expire and stores the rotated refresh token', async () => {
    const home = makeHome();
    const issued = t.sandbox.state.issueTokens({ expiresInSeconds: 120 });
    const file = writeStoredLogin(home, issued);
    const result = await status(home);
    expect(result.code, result.stderr).toBe(0);
    const stored = storedProfile(file);
    expect(stored.accessToken).not.toBe(issued.accessToken);
    expect(stored.refreshToken).not.toBe(issued.refreshToken);
    expect(stored.accessTokenExpiresAt).toBeGreaterThan(Date.now() + 3600_000);
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    expect(Date.parse(parseJsonOutput<{ expiresAt: string }>(result).expiresAt)).toBe(stored.accessTokenExpiresAt);
    // The old refresh token was rotated away: a second run works with the stored new one.
    const again = await status(home);
    expect(again.code, again.stderr).toBe(0);
    for (const output of [result.stdout, result.stderr, again.stdout, again.stderr]) {
      for (const secret of [issued.accessToken, issued.refreshToken, stored.accessToken, stored.refreshToken, t.sandbox.appSecret]) {
        expect(output).not.toContain(secret);
      }
    }
  });

  it('refreshes once after a 401 (token revoked early) and stores the new tokens', async () => {
    const home = makeHome();
    const issued = t.sandbox.state.issueTokens();
    t.sandbox.state.revokeToken(issued.accessToken);
    const file = writeStoredLogin(home, issued);
    const result = await status(home);
    expect(result.code, result.stderr).toBe(0);
    expect(parseJsonOutput(result)).toMatchObject({ tokenSource: 'file' });
    const stored = storedProfile(file);
    expect(stored.accessToken).not.toBe(issued.accessToken);
    expect(stored.refreshToken).not.toBe(issued.refreshToken);
  });

  it('exits 4 telling the user to log in again when the refresh token is dead too', async () => {
    const home = makeHome();
    const issued = t.sandbox.state.issueTokens();
    t.sandbox.state.revokeToken(issued.accessToken);
    t.sandbox.state.revokeToken(issued.refreshToken);
    writeStoredLogin(home, issued);
    const result = await status(home);
    expect(result.code).toBe(4);
    expect(result.stderr).toMatch(/^pinsync: .*[Rr]un `pinsync login` again\.\n$/);
  });

  it('renews PINSYNC_REFRESH_TOKEN with the app credentials and keeps the chain it starts in a 0600 file', async () => {
    const home = makeHome();
    const issued = t.sandbox.state.issueTokens();
    const result = await status(home, {
      PINSYNC_REFRESH_TOKEN: issued.refreshToken,
      PINTEREST_APP_ID: t.sandbox.appId,
      PINTEREST_APP_SECRET: t.sandbox.appSecret,
    });
    expect(result.code, result.stderr).toBe(0);
    expect(parseJsonOutput(result)).toMatchObject({ tokenSource: 'refresh-token', keptIn: path.join(home, 'credentials.json') });
    const kept = storedProfile(path.join(home, 'credentials.json'));
    expect(kept.refreshToken).not.toBe(issued.refreshToken);
    expect(fs.statSync(path.join(home, 'credentials.json')).mode & 0o777).toBe(0o600);
  });

  it('PINSYNC_REFRESH_TOKEN without app credentials names the variables', async () => {
    const result = await status(makeHome(), { PINSYNC_REFRESH_TOKEN: 'pinr_whatever_123456' });
    expect(result.code).toBe(4);
    expect(result.stderr).toMatch(/PINTEREST_APP_ID and PINTEREST_APP_SECRET/);
  });

  it('PINSYNC_ACCESS_TOKEN wins over a stored login, is never stored, and never printed (canary)', async () => {
    const home = makeHome();
    writeStoredLogin(home, t.sandbox.state.issueTokens());
    const before = fs.readFileSync(path.join(home, 'credentials.json'), 'utf8');
    const canary = t.sandbox.state.issueTokens({ accessToken: `pina_CANARY_${Date.now()}_do_not_print` }).accessToken;
    const result = await runInProcess(['--debug', 'status', '--json'], { home, env: { PINSYNC_API_BASE: t.sandbox.apiBase, PINSYNC_ACCESS_TOKEN: canary } });
    expect(result.code, result.stderr).toBe(0);
    expect(parseJsonOutput(result)).toMatchObject({ tokenSource: 'env', expiresAt: null });
    expect(result.stdout + result.stderr).not.toContain(canary);
    expect(fs.readFileSync(path.join(home, 'credentials.json'), 'utf8')).toBe(before);
  });

  it('a revoked PINSYNC_ACCESS_TOKEN exits 4 with a sentence saying what to do', async () => {
    const issued = t.sandbox.state.issueTokens();
    t.sandbox.state.revokeToken(issued.accessToken);
    const result = await status(makeHome(), { PINSYNC_ACCESS_TOKEN: issued.accessToken });
    expect(result.code).toBe(4);
    expect(result.stderr).toMatch(/pinsync login/);
    expect(result.stderr).not.toContain(issued.accessToken);
  });

  it('prints a readable status table', async () => {
    const home = makeHome();
    writeStoredLogin(home, t.sandbox.state.issueTokens());
    const result = await runInProcess(['status'], { home, env: { PINSYNC_API_BASE: t.sandbox.apiBase } });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/^Profile\s+default$/m);
    expect(result.stdout).toMatch(/^User\s+@\S+/m);
    expect(result.stdout).toMatch(/^Token from\s+the credentials file/m);
    expect(result.stdout).toMatch(/^Expires\s+\d{4}-\d\d-\d\d \d\d:\d\d UTC \(in \d+ days\)$/m);
    expect(result.stdout).toMatch(/^Scopes\s+ads:read, ads:write, user_accounts:read$/m);
  });
});

describe('refresh failures say what to do', () => {
  it('a dead PINSYNC_REFRESH_TOKEN names the variable', async () => {
    const issued = t.sandbox.state.issueTokens();
    t.sandbox.state.revokeToken(issued.refreshToken);
    const result = await status(makeHome(), {
      PINSYNC_REFRESH_TOKEN: issued.refreshToken,
      PINTEREST_APP_ID: t.sandbox.appId,
      PINTEREST_APP_SECRET: t.sandbox.appSecret,
    });
    expect(result.code).toBe(4);
    expect(result.stderr).toMatch(/^pinsync: The refresh token in PINSYNC_REFRESH_TOKEN has expired, was revoked or was already used, and PINSYNC_HOME keeps no newer one from it: run `pinsync login`/m);
  });

  it('a wrong app secret is named as such, and never printed', async () => {
    const home = makeHome();
    writeStoredLogin(home, t.sandbox.state.issueTokens({ expiresInSeconds: 30 }), { appSecret: 'wrong-secret-canary-123' });
    const result = await status(home);
    expect(result.code).toBe(4);
    expect(result.stderr).toMatch(/did not accept the app credentials/);
    expect(result.stderr).not.toContain('wrong-secret-canary-123');
  });
});

describe('a stop during a renewal', () => {
  it('Ctrl-C after Pinterest rotated the refresh token still stores the new pair: the next run works', async () => {
    const box = await startSandbox({ port: 0, strictRefresh: true }); // a spent refresh token revokes its login
    try {
      const home = makeHome();
      const issued = box.state.issueTokens({ expiresInSeconds: 60 });
      const file = path.join(home, 'credentials.json');
      fs.writeFileSync(file, JSON.stringify({ version: 1, profiles: { default: storedLogin(box, issued) } }), { mode: 0o600 });
      box.setFaults({ tokenAnswerDelayMs: 1_000 });
      const env = { PINSYNC_API_BASE: box.apiBase, PINSYNC_KEYCHAIN: 'off' };
      const tokensBefore = box.state.issuedTokenValues().length;
      const run = startInProcess(['status', '--json'], { home, env });
      await waitFor(() => box.state.issuedTokenValues().length > tokensBefore); // granted, the answer on its way
      run.stop();
      const stopped = await run.result;
      expect(stopped.code).toBe(130);
      expect(storedProfile(file).refreshToken).not.toBe(issued.refreshToken);
      box.setFaults({});
      const next = await runInProcess(['status', '--json'], { home, env });
      expect(next.code, next.stderr).toBe(0);
    } finally {
      await box.stop();
    }
  });
});

async function waitFor(condition: () => boolean): Promise<void> {
  const until = Date.now() + 10_000;
  while (!condition()) {
    if (Date.now() > until) throw new Error('gave up waiting');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
