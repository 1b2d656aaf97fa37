// A token with a control character in it (a pasted newline or escape) is a malformed token, exit 4,
// not a network failure; nothing reaches Pinterest and the token is never printed.
import { describe, expect, it } from 'vitest';
import { runInProcess } from '../support/in-process.js';
import { sandboxPerFile } from '../support/sandbox.js';

const t = sandboxPerFile();

describe('a malformed access token', () => {
  it('says the token is malformed (exit 4), not that Pinterest cannot be reached', async () => {
    for (const token of [`${t.sandbox.token}\u0001x`, `pina_CANARY\u001b[2Jtoken`]) {
      const requestsBefore = t.sandbox.state.requests.length;
      const result = await runInProcess(['accounts', 'list'], { env: { PINSYNC_API_BASE: t.sandbox.apiBase, PINSYNC_ACCESS_TOKEN: token } });
      expect(result.code, result.stderr).toBe(4);
      expect(result.stderr).toMatch(/^pinsync: The access token is malformed/);
      expect(result.stderr).not.toMatch(/network|reach/i);
      expect(result.stderr).not.toContain('CANARY');
      expect(t.sandbox.state.requests.length).toBe(requestsBefore);
    }
  });
});
