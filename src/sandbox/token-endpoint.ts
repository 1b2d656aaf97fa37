// POST /v5/oauth/token: HTTP Basic with the sandbox app, then the authorization_code grant (single-use
// code, same redirect_uri) or the refresh_token grant (rotating refresh tokens), answered in the spec's shape.
import { timingSafeEqual } from 'node:crypto';
import { parseScopes } from './consent.js';
import { ApiProblem, badRequest, ErrorCode } from './problems.js';
import type { IssuedTokens, SandboxState } from './state.js';

export interface AppCredentials {
  appId: string;
  appSecret: string;
}

export function answerTokenRequest(
  state: SandboxState,
  app: AppCredentials,
  authorization: string | undefined,
  form: URLSearchParams,
): Record<string, unknown> {
  const now = state.now();
  checkAppCredentials(app, authorization);
  const grantType = form.get('grant_type');
  if (grantType === 'authorization_code') {
    const code = form.get('code');
    const redirectUri = form.get('redirect_uri');
    if (!code || !redirectUri) throw badRequest('The authorization_code grant needs code and redirect_uri.');
    const entry = state.redeemAuthorizationCode(code, redirectUri);
    if (!entry) {
      throw badRequest('Invalid authorization code: it is unknown, expired, already used or was issued for another redirect_uri.');
    }
    return tokenResponse(state.issueTokens({ scopes: entry.scopes }), 'authorization_code', now);
  }
  if (grantType === 'refresh_token') {
    const refreshToken = form.get('refresh_token');
    if (!refreshToken) throw badRequest('The refresh_token grant needs refresh_token.');
    const scope = form.get('scope');
    const issued = state.rotateRefreshToken(refreshToken, scope ? parseScopes(scope) : undefined);
    if (!issued) {
      throw badRequest('Invalid refresh token: it is unknown, expired, revoked or already used. Log in again.');
    }
    return tokenResponse(issued, 'refresh_token', now);
  }
  throw badRequest('The sandbox supports the authorization_code and refresh_token grants only.');
}

function checkAppCredentials(app: AppCredentials, authorization: string | undefined): void {
  const match = /^Basic\s+(\S+)$/i.exec(authorization ?? '');
  const expected = Buffer.from(`${app.appId}:${app.appSecret}`);
  const given = Buffer.from(match ? Buffer.from(match[1]!, 'base64').toString('utf8') : '');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    throw new ApiProblem(
      401,
      ErrorCode.authenticationFailed,
      'Authentication failed: the token endpoint needs HTTP Basic with the sandbox app id and secret.',
    );
  }
}

function tokenResponse(issued: IssuedTokens, responseType: string, now: number): Record<string, unknown> {
  const access = {
    access_token: issued.accessToken,
    token_type: 'bearer',
    expires_in: Math.max(0, Math.round((issued.expiresAt - now) / 1000)),
    scope: issued.scopes.join(','),
    response_type: responseType,
  };
  if (issued.rotated === false) return access; // a legacy refresh token: no new one
  return {
    ...access,
    refresh_token: issued.refreshToken,
    refresh_token_expires_in: Math.max(0, Math.round((issued.refreshExpiresAt - now) / 1000)),
    refresh_token_expires_at: Math.floor(issued.refreshExpiresAt / 1000),
  };
}
