// The token endpoint client: form-encoded, HTTP Basic; returned tokens are treated as secrets.
import { describe, expect, it } from 'vitest';
import { requestToken } from '../../src/pinterest/oauth.js';
import { redact } from '../../src/redact.js';
import { sandboxPerFile } from '../support/sandbox.js';

describe('requestToken', () => {
  const t = sandboxPerFile();

  it('trades a refresh token for a new access and refresh token, and redacts them from then on', async () => {
    const { refreshToken } = t.sandbox.state.issueTokens();
    const tokens = await requestToken({
      apiBase: t.sandbox.apiBase,
      appId: t.sandbox.appId,
      appSecret: t.sandbox.appSecret,
      params: { grant_type: 'refresh_token', refresh_token: refreshToken },
    });
    expect(tokens.access_token).toBeTruthy();
    expect(tokens.refresh_token).toBeTruthy();
    expect(tokens.expires_in).toBeGreaterThan(0);
    expect(redact(`token ${tokens.access_token}`)).toBe('token [redacted]');
    expect(t.sandbox.state.violations).toEqual([]);
  });

  it('fails with exit 4 and advice on wrong app credentials, without echoing the secret', async () => {
    const { refreshToken } = t.sandbox.state.issueTokens();
    const secret = 'WRONG-APP-SECRET-987654';
    const error = (await requestToken({
      apiBase: t.sandbox.apiBase,
      appId: t.sandbox.appId,
      appSecret: secret,
      params: { grant_type: 'refresh_token', refresh_token: refreshToken },
    }).catch((e: unknown) => e)) as Error & { exitCode: number };
    expect(error.exitCode).toBe(4);
    expect(error.message).toMatch(/PINTEREST_APP_SECRET/);
    expect(`${error.message}${error.stack}`).not.toContain(secret);
    expect(`${error.message}${error.stack}`).not.toContain(refreshToken);
  });
});
