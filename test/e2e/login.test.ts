// `pinsync login` end to end: the built CLI against the sandbox's consent page, answered by a real
// headless Chromium. Credentials go to the 0600 file here (PINSYNC_KEYCHAIN=off); the keychain has
// its own test (login-keychain.test.ts).
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { hasChromium, skipWithout } from '../support/machine.js';
import { answerConsent, chromiumPerFile, loginEnv, startLogin } from '../support/login.js';
import { parseJsonOutput } from '../support/cli.js';
import { makeHome } from '../support/home.js';
import { runInProcess } from '../support/in-process.js';
import { canConnect } from '../support/listening.js';
import { sandboxPerFile } from '../support/sandbox.js';

const skip = skipWithout(hasChromium(), 'Chromium', 'apt-get install chromium (or set PINSYNC_TEST_CHROMIUM)');

const t = sandboxPerFile({ requestsOnSpec: true });
const chromium = chromiumPerFile(skip);

const sandboxEnv = (extra: Record<string, string | undefined> = {}) => loginEnv(t.sandbox, extra);

/** Every file under `dir` except the credential store. */
function filesOtherThanCredentials(dir: string): string[] {
  const out: string[] = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true, recursive: true })) {
    const full = path.join(entry.parentPath, entry.name);
    if (entry.isFile() && entry.name !== 'credentials.json') out.push(full);
  }
  return out;
}

function sentences(text: string): number {
  return text.trim().split(/(?<=[.!?])\s+(?=[A-Z`])/).length;
}

describe.skipIf(skip)('pinsync login (Chromium against the t.sandbox)', () => {
  it('logs in through the consent page, stores the tokens 0600, and status shows the user', async () => {
    const home = makeHome();
    const login = startLogin(['--port', '0', '--debug'], home, sandboxEnv());
    const consentUrl = await login.consentUrl;
    const url = new URL(consentUrl);
    expect(url.pathname).toBe('/oauth/');
    expect(url.searchParams.get('client_id')).toBe(t.sandbox.appId);
    expect(url.searchParams.get('response_type')).toBe('code');
    expect(url.searchParams.get('scope')).toBe('ads:read,ads:write,user_accounts:read');
    expect(url.searchParams.get('state')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const port = await login.port;
    expect(url.searchParams.get('redirect_uri')).toBe(`http://localhost:${port}/`);

    const landed = await answerConsent(chromium.browser, consentUrl, '#allow');
    expect(landed.text).toMatch(/close this tab/);
    const result = await login.done;
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toMatch(/Logged in as @\S+; the tokens are kept in .*credentials\.json/);
    expect(result.stdout).toBe('');

    // The listener is gone: replaying the callback (a second callback) reaches nobody.
    expect(await canConnect(port)).toBe(false);
    await expect(fetch(landed.url)).rejects.toThrow();

    const credentialsFile = path.join(home, 'credentials.json');
    expect(fs.statSync(credentialsFile).mode & 0o777).toBe(0o600);
    const stored = JSON.parse(fs.readFileSync(credentialsFile, 'utf8')).profiles.default;
    expect(stored.accessToken).toBeTruthy();
    expect(stored.refreshToken).toBeTruthy();
    expect(stored.accessTokenExpiresAt).toBeGreaterThan(Date.now());
    expect(stored.refreshTokenExpiresAt).toBeGreaterThan(stored.accessTokenExpiresAt);

    const status = await runInProcess(['--debug', 'status', '--json'], { home, env: { PINSYNC_API_BASE: t.sandbox.apiBase } });
    expect(status.code, status.stderr).toBe(0);
    const report = parseJsonOutput<Record<string, unknown>>(status);
    expect(report).toMatchObject({
      profile: 'default',
      tokenSource: 'file',
      scopes: ['ads:read', 'ads:write', 'user_accounts:read'],
      adAccountId: null,
    });
    expect((report.user as { username?: string }).username).toBeTruthy();
    expect(Date.parse(report.expiresAt as string)).toBeGreaterThan(Date.now());

    // Canary: neither the app secret nor any token shows in output or in any other file.
    const secrets = [t.sandbox.appSecret, stored.accessToken, stored.refreshToken];
    for (const output of [result.stdout, result.stderr, status.stdout, status.stderr]) {
      for (const secret of secrets) expect(output).not.toContain(secret);
    }
    for (const file of filesOtherThanCredentials(home)) {
      const content = fs.readFileSync(file, 'utf8');
      for (const secret of secrets) expect(content, file).not.toContain(secret);
    }

    const logout = await runInProcess(['logout'], { home });
    expect(logout.code).toBe(0);
    expect(logout.stderr).toMatch(/Logged out/);
    const after = await runInProcess(['status'], { home, env: { PINSYNC_API_BASE: t.sandbox.apiBase } });
    expect(after.code).toBe(4);
    expect(after.stderr).toMatch(/Not logged in: run `pinsync login`/);
    // A second logout with a token still in the environment says so, instead of a plain "nothing to forget".
    const again = await runInProcess(['logout'], { home, env: { PINSYNC_ACCESS_TOKEN: 'pina_env_token' } });
    expect(again.code).toBe(0);
    expect(again.stderr).toMatch(/Nothing to forget/);
    expect(again.stderr).toMatch(/PINSYNC_ACCESS_TOKEN or PINSYNC_REFRESH_TOKEN is still set/);
  });

  it('fails cleanly when consent is denied', async () => {
    const home = makeHome();
    const login = startLogin(['--port', '0'], home, sandboxEnv());
    const landed = await answerConsent(chromium.browser, await login.consentUrl, '#deny');
    expect(landed.text).toMatch(/not given access/);
    const result = await login.done;
    expect(result.code).toBe(4);
    expect(result.stderr).toMatch(/^pinsync: Access was declined on Pinterest's consent page.*pinsync login/m);
    expect(await canConnect(await login.port)).toBe(false);
    expect(fs.existsSync(path.join(home, 'credentials.json'))).toBe(false);
  });

  it('refuses a callback with a tampered state (400) and fails cleanly', async () => {
    const home = makeHome();
    const login = startLogin(['--port', '0'], home, sandboxEnv());
    const port = await login.port;
    const forged = await fetch(`http://127.0.0.1:${port}/?code=forged-code&state=tampered`);
    expect(forged.status).toBe(400);
    const result = await login.done;
    expect(result.code).toBe(4);
    const message = result.stderr.split('\n').find((line) => line.startsWith('pinsync: '))!;
    expect(message).toMatch(/state.*refused.*pinsync login/);
    expect(sentences(message)).toBeLessThanOrEqual(2);
    expect(await canConnect(port)).toBe(false);
    expect(fs.existsSync(path.join(home, 'credentials.json'))).toBe(false);
  });

  it('times out with a clear sentence and closes the listener', async () => {
    const home = makeHome();
    const login = startLogin(['--port', '0'], home, sandboxEnv({ PINSYNC_LOGIN_TIMEOUT: '1s' }));
    const port = await login.port;
    const result = await login.done;
    expect(result.code).toBe(4);
    expect(result.stderr).toMatch(/^pinsync: No answer from the browser within 1 second.*pinsync login/m);
    expect(result.durationMs).toBeLessThan(10_000);
    expect(await canConnect(port)).toBe(false);
  });

  it('names the variables when the app credentials are missing off a terminal', async () => {
    const result = await runInProcess(['login', '--no-browser', '--port', '0'], { env: { PINSYNC_OAUTH_BASE: t.sandbox.oauthBase } });
    expect(result.code).toBe(4);
    expect(result.stderr).toMatch(/PINTEREST_APP_ID and PINTEREST_APP_SECRET/);
  });

  it('says what to do when the port is taken', async () => {
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as net.AddressInfo).port;
    try {
      const result = await runInProcess(['login', '--no-browser', '--port', String(port)], { env: sandboxEnv() });
      expect(result.code).toBe(2);
      expect(result.stderr).toMatch(new RegExp(`Port ${port} on 127.0.0.1 is already in use.*--redirect-uri`));
    } finally {
      blocker.close();
    }
  });
});
