// Processes of one PINSYNC_HOME that renew the login at once must end with one working chain: with
// refresh tokens that work once (and a spent one revoking its login), two renewals with the same token
// would lock the job out. Four real processes, started together.
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FileStore } from '../../src/auth/file-store.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/server.js';
import { runCli } from '../support/cli.js';
import { runInProcess } from '../support/in-process.js';
import { makeHome } from '../support/home.js';
import { storedLogin } from '../support/stored-login.js';


let sandbox: Sandbox | undefined;
afterEach(async () => {
  await sandbox?.stop();
  sandbox = undefined;
});

const tokenGrants = (box: Sandbox) => box.state.requests.filter((r) => r.path.endsWith('/oauth/token')).length;

async function fourAtOnce(home: string, env: Record<string, string>) {
  const runs = await Promise.all(Array.from({ length: 4 }, () => runCli(['status', '--json'], { home, env })));
  for (const run of runs) expect(run.code, run.stderr).toBe(0);
  return runs;
}

describe('the refresh lock', () => {
  it('four processes whose stored access token has expired renew it once and share the new pair', async () => {
    const box = (sandbox = await startSandbox({ port: 0, strictRefresh: true }));
    const home = makeHome();
    const issued = box.state.issueTokens();
    await new FileStore(path.join(home, 'credentials.json')).write('default', { ...storedLogin(box, issued), accessTokenExpiresAt: Date.now() - 1000 });
    const env = { PINSYNC_API_BASE: box.apiBase };
    const grants = tokenGrants(box);
    await fourAtOnce(home, env);
    expect(tokenGrants(box) - grants).toBe(1);
    expect(box.state.liveRefreshTokensOf(issued.refreshToken)).toBe(1);
    const kept = JSON.parse(fs.readFileSync(path.join(home, 'credentials.json'), 'utf8')).profiles.default;
    expect(box.state.liveRefreshTokensOf(kept.refreshToken)).toBe(1);
    expect((await runCli(['status', '--json'], { home, env })).code).toBe(0);
  }, 60_000);

  it('four processes of a seed job meeting a 401 on a token they believed fresh end with one working chain', async () => {
    const box = (sandbox = await startSandbox({ port: 0, strictRefresh: true }));
    const home = makeHome();
    const seed = box.state.issueTokens().refreshToken;
    const env = {
      PINSYNC_API_BASE: box.apiBase,
      PINSYNC_REFRESH_TOKEN: seed,
      PINTEREST_APP_ID: box.appId,
      PINTEREST_APP_SECRET: box.appSecret,
      PINSYNC_STORE_KEY: 'four processes, one key',
    };
    expect((await runInProcess(['status', '--json'], { home, env })).code).toBe(0);
    box.clock.advanceDays(31); // Pinterest's clock: the access token has expired; the processes' clock says it has not
    const grants = tokenGrants(box);
    await fourAtOnce(home, env);
    expect(tokenGrants(box) - grants).toBe(1);
    expect(box.state.liveRefreshTokensOf(seed)).toBe(1);
    box.clock.advanceDays(31);
    expect((await runCli(['status', '--json'], { home, env })).code).toBe(0);
  }, 60_000);
});
