// `--audience 12345 --create`: digits read as an audience id, and an id cannot name a new audience.
// The message says so, instead of asking for the --create that was given; nothing is created.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox, type Sandbox } from '../../src/sandbox/server.js';
import { makeHome, runCli } from '../support/cli.js';

const US = '549755885175';
let sandbox: Sandbox;
beforeAll(async () => {
  sandbox = await startSandbox({ port: 0 });
});
afterAll(async () => {
  await sandbox.stop();
});

describe('--create with a digits-only --audience that matches nothing', () => {
  it('says a new audience needs a name, not an id (exit 5), for push and sync', async () => {
    const home = makeHome();
    const file = path.join(home, 'users.csv');
    fs.writeFileSync(file, 'email\na@example.com\n');
    const env = { PINSYNC_API_BASE: sandbox.apiBase, PINSYNC_ACCESS_TOKEN: sandbox.token };
    for (const command of ['push', 'sync']) {
      const result = await runCli([command, file, '--audience', '12345', '--ad-account', US, '--create'], { env, home });
      expect(result.code, result.stderr).toBe(5);
      expect(result.stderr).toContain('A new audience needs a name, not an id');
      expect(result.stderr).not.toContain('Pass --create');
    }
    expect(sandbox.state.audiences.size).toBe(0);
  });
});
