// A year of cron: an unattended daily sync whose only credential is a seed (PINSYNC_REFRESH_TOKEN and
// the app), with a kept PINSYNC_HOME sealed by PINSYNC_STORE_KEY, against Pinterest's lifetimes on the
// sandbox clock (30-day access tokens, 60-day refresh tokens that work once). In-process runs share the
// sandbox's clock, so 365 days pass in seconds.
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FileStore } from '../../src/auth/file-store.js';
import { seedChainProvider } from '../../src/auth/seed-chain.js';
import { startSandbox, type Sandbox, type SandboxOptions } from '../../src/sandbox/server.js';

import { parseJsonOutput, type CliResult } from '../support/cli.js';
import { runInProcess } from '../support/in-process.js';
import { US } from '../support/sandbox.js';
import { makeHome } from '../support/home.js';
import { listRecords, sameSet } from '../support/sandbox-records.js';
import { storedLogin } from '../support/stored-login.js';
import { testContext } from '../support/test-context.js';
import { hashesOf, writeUsers } from '../support/users.js';


const STORE_KEY = 'correct horse battery staple, but from the CI secret store';
const USERS = 150;

let sandbox: Sandbox | undefined;
afterEach(async () => {
  await sandbox?.stop();
  sandbox = undefined;
});

async function cronSandbox(options: SandboxOptions = {}): Promise<Sandbox> {
  sandbox = await startSandbox({ port: 0, writeRate: 1000, strictRefresh: true, listRules: { audiencesNeedReadyList: false }, ...options });
  return sandbox;
}

/** The job's environment: a seed, the app, a kept home sealed with a key; no access token. */
function jobEnv(box: Sandbox, seed: string, extra: Record<string, string | undefined> = {}): Record<string, string | undefined> {
  return {
    PINSYNC_API_BASE: box.apiBase,
    PINSYNC_REFRESH_TOKEN: seed,
    PINTEREST_APP_ID: box.appId,
    PINTEREST_APP_SECRET: box.appSecret,
    PINSYNC_STORE_KEY: STORE_KEY,
    PINSYNC_KEYCHAIN: 'off',
    PINSYNC_PROGRESS_INTERVAL: '3600',
    ...extra,
  };
}

/** One day's sync of users day..day+USERS (one user joins and one leaves each day). */
function dailySync(box: Sandbox, home: string, day: number, env: Record<string, string | undefined>): Promise<CliResult> {
  const file = writeUsers(home, 'users.csv', day, day + USERS);
  const args = ['sync', file, '--audience', 'Daily customers', '--create', '--ad-account', US, '--rate', '100', '--json'];
  return runInProcess(args, { home, env, now: box.clock.now });
}

function writesIn(box: Sandbox, since: number): number {
  return box.state.requests.slice(since).filter((r) => r.method !== 'GET' && r.path.includes('/ad_accounts/')).length;
}

function tokenGrants(box: Sandbox): number {
  return box.state.requests.filter((r) => r.path.endsWith('/oauth/token')).length;
}

/** Every file under `dir`, with its bytes. */
function filesUnder(dir: string): Array<{ file: string; bytes: Buffer }> {
  return fs.readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => path.join(entry.parentPath, entry.name))
    .map((file) => ({ file, bytes: fs.readFileSync(file) }));
}

function filesHoldingAny(dir: string, secrets: string[]): string[] {
  return filesUnder(dir)
    .filter(({ bytes }) => secrets.some((secret) => bytes.includes(secret)) || /pin[ar]_sandbox_/.test(bytes.toString('latin1')))
    .map(({ file }) => path.relative(dir, file));
}

describe('a year of cron', () => {
  it('syncs every day for 365 days on one seed: every run exits 0, the audience is exact, and no file holds a token in clear', async () => {
    const box = await cronSandbox();
    const seed = box.state.issueTokens().refreshToken;
    const home = makeHome();
    const env = jobEnv(box, seed);
    for (let day = 0; day < 365; day++) {
      if (day > 0) box.clock.advanceDays(1);
      const run = await dailySync(box, home, day, env);
      expect(run.code, `day ${day}: ${run.stderr}`).toBe(0);
      expect(sameSet(listRecords(box, 'Daily customers'), hashesOf(day, day + USERS)), `day ${day}`).toBe(true);
      if (day === 364) expect(parseJsonOutput<{ refreshExpiresAt: string }>(run).refreshExpiresAt).toMatch(/^\d{4}-/);
    }
    // Renewed about once a month (an access token lasts 30 days), each time with a refresh token used once.
    expect(tokenGrants(box)).toBeGreaterThanOrEqual(12);
    expect(tokenGrants(box)).toBeLessThanOrEqual(14);
    expect(box.state.violations).toEqual([]);
    expect(filesHoldingAny(home, [...box.state.issuedTokenValues(), seed, box.appSecret])).toEqual([]);

    // The state stayed bounded: 90 days of history (the default retention), no journal rows of completed runs.
    const runs = parseJsonOutput<unknown[]>(await runInProcess(['runs', '--json', '--limit', '1000'], { home, env, now: box.clock.now }));
    expect(runs.length).toBeGreaterThanOrEqual(89);
    expect(runs.length).toBeLessThanOrEqual(91);

    const status = await runInProcess(['status', '--json'], { home, env, now: box.clock.now });
    expect(status.code, status.stderr).toBe(0);
    const shown = parseJsonOutput<{ tokenSource: string; expiresAt: string; refreshExpiresAt: string }>(status);
    expect(shown.tokenSource).toBe('refresh-token');
    expect(Date.parse(shown.expiresAt)).toBeGreaterThan(box.clock.now());
    expect(Date.parse(shown.refreshExpiresAt)).toBeGreaterThan(box.clock.now() + 29 * 24 * 3600_000);
  }, 180_000);

  it('with PINSYNC_HOME lost after the seed was spent: exit 4 naming the refresh token and `pinsync login`, and no write call', async () => {
    const box = await cronSandbox();
    const seed = box.state.issueTokens().refreshToken;
    const first = await dailySync(box, makeHome(), 0, jobEnv(box, seed));
    expect(first.code, first.stderr).toBe(0);
    box.clock.advanceDays(1);
    const before = box.state.requests.length;
    const lost = await dailySync(box, makeHome(), 1, jobEnv(box, seed));
    expect(lost.code).toBe(4);
    expect(lost.stderr).toMatch(
      /^pinsync: The refresh token in PINSYNC_REFRESH_TOKEN has expired, was revoked or was already used, and PINSYNC_HOME keeps no newer one from it: run `pinsync login` and set PINSYNC_REFRESH_TOKEN to the new refresh token\.\n$/,
    );
    expect(writesIn(box, before)).toBe(0);
  });
});

describe('the chain a seed starts', () => {
  it('takes a new seed (the user logged in again) over from the chain of the old one', async () => {
    const box = await cronSandbox();
    const home = makeHome();
    const oldSeed = box.state.issueTokens().refreshToken;
    expect((await dailySync(box, home, 0, jobEnv(box, oldSeed))).code).toBe(0);
    const newSeed = box.state.issueTokens().refreshToken;
    const grants = tokenGrants(box);
    const run = await dailySync(box, home, 1, jobEnv(box, newSeed));
    expect(run.code, run.stderr).toBe(0);
    expect(tokenGrants(box) - grants).toBe(1); // the new seed, renewed once
    expect(box.state.liveRefreshTokensOf(newSeed)).toBe(1);
    box.clock.advanceDays(31);
    const later = await dailySync(box, home, 2, jobEnv(box, newSeed));
    expect(later.code, later.stderr).toBe(0);
  });

  it('a run still on the old seed that renews after a new seed took over keeps its renewal to itself', async () => {
    const box = await cronSandbox();
    const home = makeHome();
    const oldSeed = box.state.issueTokens().refreshToken;
    const debug: string[] = [];
    // A long run on the old seed, started before the secret was updated.
    const oldRun = testContext({ ...jobEnv(box, oldSeed), PINSYNC_HOME: home }, 'default', { now: box.clock.now, debugLog: (line) => debug.push(line) });
    const oldChain = await seedChainProvider(oldRun, oldSeed);
    const newSeed = box.state.issueTokens().refreshToken;
    const takeover = await runInProcess(['status', '--json'], { home, env: jobEnv(box, newSeed), now: box.clock.now });
    expect(takeover.code, takeover.stderr).toBe(0);
    // The old run meets a 401 and renews its own chain.
    const before = await oldChain.accessToken();
    expect(await oldChain.refreshAfterUnauthorized(before)).toBe(true);
    expect(await oldChain.accessToken()).not.toBe(before);
    expect(debug.join('\n')).toMatch(/another seed or login replaced the one kept in .*credentials\.json since this run started: the renewed login serves this run only/);
    // The next run on the new seed finds the new seed's chain, not the old one put back.
    const next = await runInProcess(['status', '--json'], { home, env: jobEnv(box, newSeed), now: box.clock.now });
    expect(next.code, next.stderr).toBe(0);
    expect(next.stderr).not.toMatch(/refused/);
    expect(box.state.liveRefreshTokensOf(newSeed)).toBe(1);
  });

  it('keeps the earlier chain (and says so) when Pinterest refuses a new seed', async () => {
    const box = await cronSandbox();
    const home = makeHome();
    expect((await dailySync(box, home, 0, jobEnv(box, box.state.issueTokens().refreshToken))).code).toBe(0);
    const refused = box.state.issueTokens().refreshToken;
    box.state.revokeToken(refused);
    const run = await dailySync(box, home, 1, jobEnv(box, refused));
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toMatch(/warning: Pinterest refused the refresh token in PINSYNC_REFRESH_TOKEN .* the login kept in .*credentials\.json goes on being used/);
  });

  it('meets a 401 on an access token it believed fresh with one renewal, and repeats the call', async () => {
    const box = await cronSandbox();
    const home = makeHome();
    const seed = box.state.issueTokens().refreshToken;
    expect((await dailySync(box, home, 0, jobEnv(box, seed))).code).toBe(0);
    for (const token of box.state.tokens.values()) token.revoked = true; // every access token: revoked early by Pinterest
    const grants = tokenGrants(box);
    const run = await dailySync(box, home, 1, jobEnv(box, seed));
    expect(run.code, run.stderr).toBe(0);
    expect(tokenGrants(box) - grants).toBe(1);
    expect(sameSet(listRecords(box, 'Daily customers'), hashesOf(1, 1 + USERS))).toBe(true);
  });

  it('stops at once (exit 4, stoppedBy auth) when the chain dies mid-run, asking Pinterest for a token once', async () => {
    const box = await cronSandbox();
    const home = makeHome();
    const env = jobEnv(box, box.state.issueTokens().refreshToken);
    expect((await dailySync(box, home, 0, env)).code).toBe(0);
    for (const token of box.state.issuedTokenValues()) if (token.startsWith('pinr_')) box.state.revokeToken(token);
    box.setFaults({ revokeTokenAfterWrites: 2 });
    const file = writeUsers(home, 'many.csv', 0, 5000);
    const grants = tokenGrants(box);
    const run = await runInProcess(['push', file, '--audience', 'Many', '--create', '--ad-account', US, '--batch-size', '500', '--rate', '100', '--json'], { home, env, now: box.clock.now });
    expect(run.code).toBe(4);
    expect(parseJsonOutput<{ stoppedBy: string; pending: number }>(run)).toMatchObject({ stoppedBy: 'auth' });
    expect(run.stderr).toMatch(/The refresh token kept in .*credentials\.json for PINSYNC_REFRESH_TOKEN has expired or was revoked: run `pinsync login`/);
    expect(tokenGrants(box) - grants).toBe(1);
  });

  it('works for a job that last ran 50 days ago, renewing its refresh token in time, and says so', async () => {
    const box = await cronSandbox();
    const home = makeHome();
    const env = jobEnv(box, box.state.issueTokens().refreshToken);
    expect((await dailySync(box, home, 0, env)).code).toBe(0);
    box.clock.advanceDays(50);
    const run = await dailySync(box, home, 1, env);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toMatch(/Renewed the Pinterest login in time: its refresh token had 10 days left; the new one lasts until \d{4}-\d\d-\d\d \(60 days\)\./);
    expect(Date.parse(parseJsonOutput<{ refreshExpiresAt: string }>(run).refreshExpiresAt)).toBeGreaterThan(box.clock.now() + 59 * 24 * 3600_000);
  });

  it('warns in the summary when the refresh token expires within 14 days and renewing it does not extend it', async () => {
    const box = await cronSandbox({ continuousRefresh: false }); // a legacy refresh token: renewals bring no new one
    const home = makeHome();
    const issued = box.state.issueTokens({ refreshExpiresInSeconds: 20 * 24 * 3600 });
    await new FileStore(path.join(home, 'credentials.json')).write('default', storedLogin(box, issued));
    const env = { PINSYNC_API_BASE: box.apiBase, PINSYNC_KEYCHAIN: 'off', PINSYNC_PROGRESS_INTERVAL: '3600' };
    const first = await dailySync(box, home, 0, env);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stderr).not.toMatch(/refresh token expires/);
    box.clock.advanceDays(10);
    const grants = tokenGrants(box);
    const run = await dailySync(box, home, 1, env);
    expect(run.code, run.stderr).toBe(0);
    expect(tokenGrants(box) - grants).toBe(1); // it tried to renew it
    expect(run.stderr).toMatch(/warning: the Pinterest refresh token expires on \d{4}-\d\d-\d\d \(in 9 days\) and renewing it did not extend it: run `pinsync login` before then/);
    expect(Date.parse(parseJsonOutput<{ refreshExpiresAt: string }>(run).refreshExpiresAt)).toBe(issued.refreshExpiresAt);
  });
});

describe('PINSYNC_STORE_KEY', () => {
  it('a wrong key is exit 4 in one sentence, and the sealed file is left as it was', async () => {
    const box = await cronSandbox();
    const home = makeHome();
    const env = jobEnv(box, box.state.issueTokens().refreshToken);
    expect((await dailySync(box, home, 0, env)).code).toBe(0);
    const file = path.join(home, 'credentials.json');
    const sealed = fs.readFileSync(file);
    const before = box.state.requests.length;
    for (const key of ['not the key', undefined]) {
      const run = await dailySync(box, home, 1, { ...env, PINSYNC_STORE_KEY: key });
      expect(run.code).toBe(4);
      expect(run.stderr).toMatch(key ? /^pinsync: PINSYNC_STORE_KEY does not open .*credentials\.json .*: set the right key; the file is left as it is\.\n$/ : /^pinsync: The credentials in .* are sealed with PINSYNC_STORE_KEY, which is not set: set it to the key they were sealed with\.\n$/);
      expect(fs.readFileSync(file).equals(sealed)).toBe(true);
    }
    expect(box.state.requests.length).toBe(before);
    expect((await dailySync(box, home, 1, env)).code).toBe(0);
  });

  it('a sealed file whose tag was cut to 4 bytes is exit 4 in the sentence of other damage, and left as it was', async () => {
    const box = await cronSandbox();
    const home = makeHome();
    const env = jobEnv(box, box.state.issueTokens().refreshToken);
    expect((await dailySync(box, home, 0, env)).code).toBe(0);
    const file = path.join(home, 'credentials.json');
    const sealed = JSON.parse(fs.readFileSync(file, 'utf8'));
    // A cut tag still matches its first bytes: accepted, it would let a forger try 2^32 guesses, not 2^128.
    const cut = JSON.stringify({ ...sealed, tag: Buffer.from(sealed.tag, 'base64').subarray(0, 4).toString('base64') });
    fs.writeFileSync(file, cut);
    const before = box.state.requests.length;
    const run = await runInProcess(['status', '--json'], { home, env, now: box.clock.now });
    expect(run.code).toBe(4);
    expect(run.stderr).toMatch(/^pinsync: .*credentials\.json is sealed in a form this pinsync does not know \(written by a newer pinsync, or altered\): upgrade pinsync; the file is left as it is\.\n$/);
    expect(fs.readFileSync(file, 'utf8')).toBe(cut);
    expect(box.state.requests.length).toBe(before);
  });

  it('seals a credentials file kept in clear as soon as a key is set', async () => {
    const box = await cronSandbox();
    const home = makeHome();
    const env = jobEnv(box, box.state.issueTokens().refreshToken, { PINSYNC_STORE_KEY: undefined });
    expect((await dailySync(box, home, 0, env)).code).toBe(0);
    expect(filesHoldingAny(home, box.state.issuedTokenValues())).toEqual(['credentials.json']);
    const status = await runInProcess(['status', '--json'], { home, env: { ...env, PINSYNC_STORE_KEY: STORE_KEY }, now: box.clock.now });
    expect(status.code, status.stderr).toBe(0);
    expect(filesHoldingAny(home, box.state.issuedTokenValues())).toEqual([]);
    expect(JSON.parse(fs.readFileSync(path.join(home, 'credentials.json'), 'utf8'))).toMatchObject({
      format: 'pinsync-sealed-credentials',
      version: 1,
      cipher: 'aes-256-gcm',
      kdf: { name: 'scrypt' },
    });
  });
});
