// A token with a control character in it (a pasted newline or escape) is a malformed token, exit 4,
// not a network failure; nothing reaches Pinterest and the token is never printed.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox, type Sandbox } from '../../src/sandbox/server.js';
import { runCli } from '../support/cli.js';

let sandbox: Sandbox;
beforeAll(async () => {
  sandbox = await startSandbox({ port: 0 });
});
afterAll(async () => {
  await sandbox.stop();
});

describe('a malformed access token', () => {
  it('says the token is malformed (exit 4), not that Pinterest cannot be reached', async () => {
    for (const token of [`${sandbox.token}\u0001x`, `pina_CANARY\u001b[2Jtoken`]) {
      const requestsBefore = sandbox.state.requests.length;
      const result = await runCli(['accounts', 'list'], { env: { PINSYNC_API_BASE: sandbox.apiBase, PINSYNC_ACCESS_TOKEN: token } });
      expect(result.code, result.stderr).toBe(4);
      expect(result.stderr).toMatch(/^pinsync: The access token is malformed/);
      expect(result.stderr).not.toMatch(/network|reach/i);
      expect(result.stderr).not.toContain('CANARY');
      expect(sandbox.state.requests.length).toBe(requestsBefore);
    }
  });
});
