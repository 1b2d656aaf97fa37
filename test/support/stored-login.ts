// The credentials `pinsync login` would have stored for tokens the sandbox issued, so a test can
// start from "logged in" without driving the browser.
import type { StoredCredentials } from '../../src/auth/credentials.js';
import type { Sandbox } from '../../src/sandbox/server.js';

type Issued = ReturnType<Sandbox['state']['issueTokens']>;

export function storedLogin(sandbox: Sandbox, issued: Issued): StoredCredentials {
  return {
    appId: sandbox.appId,
    appSecret: sandbox.appSecret,
    accessToken: issued.accessToken,
    accessTokenExpiresAt: issued.expiresAt,
    refreshToken: issued.refreshToken,
    refreshTokenExpiresAt: issued.refreshExpiresAt,
  };
}
