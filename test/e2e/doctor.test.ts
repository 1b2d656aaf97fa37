// `pinsync doctor`: one line per preflight check, and the exit code of the first failure.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeHome } from '../support/home.js';
import { runInProcess } from '../support/in-process.js';
import { sandboxEnv, sandboxPerFile, US } from '../support/sandbox.js';
import { writeUsers } from '../support/users.js';

const t = sandboxPerFile();

describe('pinsync doctor', () => {
  it('passes every check for a good setup and says so line by line', async () => {
    const home = makeHome();
    const file = writeUsers(home, 'users.csv', 0, 10);
    const result = await runInProcess(['doctor', file, '--ad-account', US, '--audience', 'Not yet', '--create'], { home, env: sandboxEnv(t.sandbox) });
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(result.stdout).toMatch(/^ok +credentials found \(PINSYNC_ACCESS_TOKEN\)$/m);
    expect(result.stdout).toMatch(/^ok +token is valid for @sandbox_user/m);
    expect(result.stdout).toMatch(/^ok +ad account 549755885175 \(Sandbox Ads US\) is reachable$/m);
    expect(result.stdout).toMatch(/^ok +audience "Not yet" does not exist yet and will be created/m);
    expect(result.stdout).toMatch(/^ok +.*users\.csv: identifier columns "email" \(email\); list type EMAIL$/m);
    expect(result.stdout).not.toMatch(/FAIL/);
    expect(result.stdout + result.stderr).not.toContain(t.sandbox.token);
  });

  it('fails with exit 4 and the fix when there are no credentials', async () => {
    const result = await runInProcess(['doctor'], { env: { PINSYNC_API_BASE: t.sandbox.apiBase } });
    expect(result.code).toBe(4);
    expect(result.stdout).toMatch(/^FAIL credentials: .*pinsync login/m);
  });

  it('fails with exit 4 for a revoked token, 5 for a missing audience, 2 for a file without identifiers', async () => {
    const home = makeHome();
    const revoked = t.sandbox.state.issueTokens().accessToken;
    t.sandbox.state.revokeToken(revoked);
    const bad = await runInProcess(['doctor', '--ad-account', US], { home, env: sandboxEnv(t.sandbox, revoked) });
    expect(bad.code).toBe(4);
    expect(bad.stdout).toMatch(/^FAIL token: /m);

    const missing = await runInProcess(['doctor', '--ad-account', US, '--audience', 'Nobody here'], { home, env: sandboxEnv(t.sandbox) });
    expect(missing.code).toBe(5);
    expect(missing.stdout).toMatch(/^FAIL audience: No audience named "Nobody here".*--create/m);

    const noIds = path.join(home, 'names.csv');
    fs.writeFileSync(noIds, 'first_name,city\nAda,London\n');
    const file = await runInProcess(['doctor', noIds, '--ad-account', US], { home, env: sandboxEnv(t.sandbox) });
    expect(file.code).toBe(2);
    expect(file.stdout).toMatch(/^FAIL .*names\.csv: /m);
  });

  it('reports a corrupt state file as a failed check (exit 2) instead of crashing', async () => {
    const home = makeHome();
    fs.writeFileSync(path.join(home, 'state.db'), 'garbage '.repeat(1000));
    const result = await runInProcess(['doctor', '--ad-account', US], { home, env: sandboxEnv(t.sandbox) });
    expect(result.code).toBe(2);
    expect(result.stdout).toMatch(/^FAIL The state file .* is corrupt or not a database: move it aside/m);
    expect(result.stderr).not.toMatch(/at .*\.js:\d+/); // no stack trace
  });
});
