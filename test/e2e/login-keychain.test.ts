// The OS keychain for real: gnome-keyring's Secret Service on a private D-Bus session (run the suite
// via `dbus-run-session -- bash .ci/with-keyring …`). Tokens land in the Secret Service and in no file;
// PINSYNC_KEYCHAIN=require without a Secret Service exits 4. Every run here is a process: the keychain
// library finds the Secret Service through the process's own D-Bus address, not the env a run is given.
import fs from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { parseJsonOutput, runCli } from '../support/cli.js';
import { makeHome } from '../support/home.js';
import { sandboxPerFile } from '../support/sandbox.js';
import { hasChromium, hasSecretService, secretServiceLookup, skipWithout } from '../support/machine.js';
import { answerConsent, chromiumPerFile, loginEnv, startLogin } from '../support/login.js';
import { storedLogin } from '../support/stored-login.js';

const HOW = 'run the tests inside `dbus-run-session -- bash .ci/with-keyring npx vitest run …` (packages gnome-keyring, dbus, libsecret-tools)';
const skipKeychain = skipWithout(hasSecretService(), 'a Secret Service (gnome-keyring)', HOW);
const skipBrowser = skipWithout(hasChromium(), 'Chromium', 'apt-get install chromium');

const t = sandboxPerFile();
const chromium = chromiumPerFile(skipKeychain || skipBrowser);

const sandboxEnv = (extra: Record<string, string | undefined> = {}) => loginEnv(t.sandbox, extra);

function allFileContents(dir: string): string {
  let text = '';
  for (const entry of fs.readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) text += fs.readFileSync(path.join(entry.parentPath, entry.name), 'utf8');
  }
  return text;
}

describe.skipIf(skipKeychain || skipBrowser)('login with the Secret Service', () => {
  it('keeps the tokens in the keychain and in no file; status and logout use it', async () => {
    const profile = `kc-${randomBytes(4).toString('hex')}`;
    const home = makeHome();
    const env = sandboxEnv({ PINSYNC_KEYCHAIN: 'require', PINSYNC_PROFILE: profile });
    const login = startLogin(['--port', '0'], home, env);
    await answerConsent(chromium.browser, await login.consentUrl, '#allow');
    const result = await login.done;
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toMatch(new RegExp(`Logged in as @\\S+ \\(profile ${profile}\\); the tokens are kept in the OS keychain`));
    expect(result.stderr).not.toMatch(/warning/);

    const stored = JSON.parse(secretServiceLookup(profile));
    expect(stored.accessToken).toMatch(/\S{20,}/);
    expect(stored.refreshToken).toMatch(/\S{20,}/);
    expect(stored.appSecret).toBe(t.sandbox.appSecret);
    expect(fs.existsSync(path.join(home, 'credentials.json'))).toBe(false);
    const files = allFileContents(home);
    for (const secret of [stored.accessToken, stored.refreshToken, t.sandbox.appSecret]) {
      expect(files).not.toContain(secret);
      expect(result.stderr + result.stdout).not.toContain(secret);
    }

    // Later runs need neither the environment's app credentials nor any file.
    const status = await runCli(['status', '--json'], { home, env: { PINSYNC_API_BASE: t.sandbox.apiBase, PINSYNC_KEYCHAIN: 'auto', PINSYNC_PROFILE: profile } });
    expect(status.code, status.stderr).toBe(0);
    expect(parseJsonOutput(status)).toMatchObject({ profile, tokenSource: 'keychain' });

    const logout = await runCli(['logout', '--all'], { home, env: { PINSYNC_KEYCHAIN: 'auto', PINSYNC_PROFILE: profile } });
    expect(logout.code).toBe(0);
    expect(logout.stderr).toMatch(/removed its tokens and app credentials from the OS keychain/);
    expect(secretServiceLookup(profile)).toBe('');
  });

  it('refreshes an expiring keychain token and stores the rotated one in the keychain', async () => {
    const profile = `kc-${randomBytes(4).toString('hex')}`;
    const home = makeHome();
    const issued = t.sandbox.state.issueTokens({ expiresInSeconds: 60 });
    const { Entry } = await import('@napi-rs/keyring');
    new Entry('pinsync', profile, { linux: { store: 'secret-service' } }).setPassword(JSON.stringify(storedLogin(t.sandbox, issued)));
    const status = await runCli(['status', '--json'], { home, env: { PINSYNC_API_BASE: t.sandbox.apiBase, PINSYNC_KEYCHAIN: 'require', PINSYNC_PROFILE: profile } });
    expect(status.code, status.stderr).toBe(0);
    const stored = JSON.parse(secretServiceLookup(profile));
    expect(stored.accessToken).not.toBe(issued.accessToken);
    expect(stored.refreshToken).not.toBe(issued.refreshToken);
    expect(stored.accessTokenExpiresAt).toBeGreaterThan(Date.now() + 3600_000);
    expect(fs.existsSync(path.join(home, 'credentials.json'))).toBe(false);
    await runCli(['logout', '--all'], { home, env: { PINSYNC_KEYCHAIN: 'require', PINSYNC_PROFILE: profile } });
  });
});

describe.skipIf(skipKeychain)('a seed with the Secret Service', () => {
  it("keeps a PINSYNC_REFRESH_TOKEN seed's chain in the keychain and in no file; the next run uses it", async () => {
    const profile = `kc-${randomBytes(4).toString('hex')}`;
    const home = makeHome();
    const seed = t.sandbox.state.issueTokens().refreshToken;
    const env = {
      PINSYNC_API_BASE: t.sandbox.apiBase,
      PINSYNC_KEYCHAIN: 'require',
      PINSYNC_PROFILE: profile,
      PINSYNC_REFRESH_TOKEN: seed,
      PINTEREST_APP_ID: t.sandbox.appId,
      PINTEREST_APP_SECRET: t.sandbox.appSecret,
    };
    const grants = () => t.sandbox.state.requests.filter((r: { path: string }) => r.path.endsWith('/oauth/token')).length;
    const first = await runCli(['status', '--json'], { home, env });
    expect(first.code, first.stderr).toBe(0);
    expect(parseJsonOutput(first)).toMatchObject({ tokenSource: 'refresh-token', keptIn: 'the OS keychain' });
    const kept = JSON.parse(secretServiceLookup(profile));
    expect(kept.refreshToken).not.toBe(seed);
    expect(kept.seed).toMatch(/^[0-9a-f]{32}$/);
    expect(allFileContents(home)).not.toContain(kept.refreshToken);
    const before = grants();
    const second = await runCli(['status', '--json'], { home, env });
    expect(second.code, second.stderr).toBe(0);
    expect(grants()).toBe(before); // the kept chain, not the spent seed
    await runCli(['logout', '--all'], { home, env: { PINSYNC_KEYCHAIN: 'require', PINSYNC_PROFILE: profile } });
  });
});

describe('PINSYNC_KEYCHAIN', () => {
  it('require without a Secret Service exits 4 before any browser step', async () => {
    const result = await runCli(['login', '--no-browser', '--port', '0'], {
      env: sandboxEnv({ PINSYNC_KEYCHAIN: 'require', DBUS_SESSION_BUS_ADDRESS: 'unix:path=/nonexistent/pinsync-test-bus' }),
    });
    expect(result.code).toBe(4);
    expect(result.stderr).toMatch(/^pinsync: PINSYNC_KEYCHAIN=require, but no OS keychain is reachable/m);
    expect(result.stderr).not.toMatch(/oauth/);
    const status = await runCli(['status'], {
      env: { PINSYNC_KEYCHAIN: 'require', DBUS_SESSION_BUS_ADDRESS: 'unix:path=/nonexistent/pinsync-test-bus' },
    });
    expect(status.code).toBe(4);
  });

  it('auto without a Secret Service falls back to the 0600 file with a one-line warning', async () => {
    const home = makeHome();
    const result = await runCli(['login', '--no-browser', '--port', '0', '--timeout', '1s'], {
      home,
      env: sandboxEnv({ PINSYNC_KEYCHAIN: 'auto', DBUS_SESSION_BUS_ADDRESS: 'unix:path=/nonexistent/pinsync-test-bus' }),
    });
    const warnings = result.stderr.split('\n').filter((line) => line.startsWith('warning:'));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/no OS keychain is reachable, so credentials are kept in .*credentials\.json \(mode 0600\)/);
    expect(result.code).toBe(4); // nobody answered the consent page within the second
  });

  it('rejects an unknown value', async () => {
    const result = await runCli(['status'], { env: { PINSYNC_KEYCHAIN: 'sometimes' } });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/PINSYNC_KEYCHAIN must be auto, off or require/);
  });
});
