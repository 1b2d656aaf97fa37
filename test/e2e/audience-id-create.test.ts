// `--audience 12345 --create`: digits read as an audience id, and an id cannot name a new audience.
// The message says so, instead of asking for the --create that was given; nothing is created.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeHome } from '../support/home.js';
import { runInProcess } from '../support/in-process.js';
import { sandboxPerFile } from '../support/sandbox.js';

const US = '549755885175';
const t = sandboxPerFile();

describe('--create with a digits-only --audience that matches nothing', () => {
  it('says a new audience needs a name, not an id (exit 5), for push and sync', async () => {
    const home = makeHome();
    const file = path.join(home, 'users.csv');
    fs.writeFileSync(file, 'email\na@example.com\n');
    const env = { PINSYNC_API_BASE: t.sandbox.apiBase, PINSYNC_ACCESS_TOKEN: t.sandbox.token };
    for (const command of ['push', 'sync']) {
      const result = await runInProcess([command, file, '--audience', '12345', '--ad-account', US, '--create'], { env, home });
      expect(result.code, result.stderr).toBe(5);
      expect(result.stderr).toContain('A new audience needs a name, not an id');
      expect(result.stderr).not.toContain('Pass --create');
    }
    expect(t.sandbox.state.audiences.size).toBe(0);
  });
});
