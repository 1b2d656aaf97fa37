// Talks to Pinterest's token endpoint through requestToken (src/pinterest/oauth.ts):
// exchanges the login's authorization code, and refreshes with a refresh token.
import type { Context } from '../context.js';
import { apiBaseFrom } from '../pinterest/api-base.js';
import { AuthError } from '../errors.js';
import { tokensFromResponse, type AppCredentials, type IssuedTokens, type TokenResponse } from './credentials.js';

export async function exchangeAuthorizationCode(
  ctx: Context,
  app: AppCredentials,
  code: string,
  redirectUri: string,
): Promise<IssuedTokens> {
  // continuous_refresh: apps created before 2025-09-25 otherwise get a legacy, non-renewable refresh token.
  const params = { grant_type: 'authorization_code', code, redirect_uri: redirectUri, continuous_refresh: 'true' };
  try {
    return tokensFromResponse(await callTokenEndpoint(ctx, app, params, ctx.signal), ctx.now());
  } catch (error) {
    throw rejectedGrant(error, 'Pinterest did not accept the sign-in (the app id, app secret or redirect URI may not match the app). Check them and run `pinsync login` again.');
  }
}

/**
 * Not cut by Ctrl-C or SIGTERM (only by its own timeout): once Pinterest has rotated the refresh token,
 * the answer holds the only working one, so the caller stores it first and then stops.
 */
export async function refreshAccessToken(ctx: Context, app: AppCredentials, refreshToken: string): Promise<IssuedTokens> {
  const params = { grant_type: 'refresh_token', refresh_token: refreshToken, continuous_refresh: 'true' };
  try {
    return tokensFromResponse(await callTokenEndpoint(ctx, app, params, undefined), ctx.now());
  } catch (error) {
    throw rejectedGrant(error, 'Pinterest refused to renew the saved login (the refresh token expired or was revoked). Run `pinsync login` again.');
  }
}

async function callTokenEndpoint(
  ctx: Context,
  app: AppCredentials,
  params: Record<string, string>,
  signal: AbortSignal | undefined,
): Promise<TokenResponse> {
  const { requestToken } = await import('../pinterest/oauth.js');
  const response: unknown = await requestToken({
    apiBase: apiBaseFrom(ctx.env),
    appId: app.appId,
    appSecret: app.appSecret,
    params,
    env: ctx.env,
    signal,
  });
  return (response ?? {}) as TokenResponse;
}

/** Pinterest refused the code or refresh token itself (expired, used, revoked). */
export class RejectedGrantError extends AuthError {}

const APP_REFUSED =
  'Pinterest did not accept the app credentials (PINTEREST_APP_ID and PINTEREST_APP_SECRET, or the ones saved at login): check them at developers.pinterest.com, then run `pinsync login`.';

/** 4xx from the token endpoint: 401 means the app credentials, anything else a dead grant. */
function rejectedGrant(error: unknown, message: string): unknown {
  if (error instanceof AuthError) return error;
  const status = (error as { status?: unknown } | undefined)?.status;
  if (status === 401) return new AuthError(APP_REFUSED, { cause: error });
  if (typeof status === 'number' && status >= 400 && status < 500 && status !== 429 && status !== 408) {
    return new RejectedGrantError(message, { cause: error });
  }
  return error;
}
