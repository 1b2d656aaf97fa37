// The OAuth token endpoint (POST {apiBase}/oauth/token): form-encoded, HTTP Basic with the app id and
// secret. Used for the authorization_code and refresh_token grants; every returned token is registered
// as a secret before anything else can print it.
import { registerSecret } from '../redact.js';
import { DEFAULT_API_BASE, withoutTrailingSlash } from './api-base.js';
import { ApiError, scrubApiMessage } from './errors.js';
import { createDispatcher, DEFAULT_TIMEOUT_MS, exchange, USER_AGENT } from './transport.js';
import type { OauthAccessTokenResponse } from './types.generated.js';

/** The response of the code and refresh grants (the spec's OauthAccessTokenResponseCode/Refresh). */
export interface OAuthTokenResponse extends OauthAccessTokenResponse {
  refresh_token?: string;
  refresh_token_expires_in?: number;
  refresh_token_expires_at?: number;
}

export interface TokenRequest {
  apiBase?: string;
  appId: string;
  appSecret: string;
  /** e.g. { grant_type: 'authorization_code', code, redirect_uri } or { grant_type: 'refresh_token', refresh_token }. */
  params: Record<string, string | undefined>;
  env?: Record<string, string | undefined>;
  signal?: AbortSignal;
  timeoutMs?: number;
}

export async function requestToken(options: TokenRequest): Promise<OAuthTokenResponse> {
  const apiBase = withoutTrailingSlash(options.apiBase || DEFAULT_API_BASE);
  registerSecret(options.appSecret);
  for (const key of ['code', 'refresh_token'] as const) registerSecret(options.params[key]);
  const form = new URLSearchParams();
  for (const [key, value] of Object.entries(options.params)) {
    if (value !== undefined) form.set(key, value);
  }
  const basic = Buffer.from(`${options.appId}:${options.appSecret}`).toString('base64');
  registerSecret(basic);
  const dispatcher = createDispatcher(options.env ?? {});
  try {
    const answer = await exchange(dispatcher, apiBase, {
      method: 'POST',
      url: `${apiBase}/oauth/token`,
      headers: {
        authorization: `Basic ${basic}`,
        'content-type': 'application/x-www-form-urlencoded',
        accept: 'application/json',
        'user-agent': USER_AGENT,
      },
      body: form.toString(),
      timeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
      signal: options.signal,
    });
    const body = safeJson(answer.text);
    if (answer.status >= 200 && answer.status < 300 && typeof body.access_token === 'string') {
      const tokens = body as unknown as OAuthTokenResponse;
      registerSecret(tokens.access_token);
      registerSecret(tokens.refresh_token);
      return tokens;
    }
    throw tokenError(answer.status, body);
  } finally {
    await dispatcher.close();
  }
}

function tokenError(status: number, body: Record<string, unknown>): ApiError {
  const said = scrubApiMessage(typeof body.message === 'string' ? body.message : undefined);
  const detail = said ? ` Pinterest said: ${said.replace(/[.\s]*$/, '.')}` : '';
  if (status === 400 || status === 401 || status === 403) {
    return new ApiError(
      `Pinterest refused to issue a token (HTTP ${status}).${detail} Check PINTEREST_APP_ID and PINTEREST_APP_SECRET, then run \`pinsync login\` again.`,
      { kind: status === 403 ? 'permission' : 'auth', status, code: numberOrUndefined(body.code), apiMessage: said, retryable: false },
    );
  }
  return new ApiError(`Pinterest's token endpoint failed (HTTP ${status}).${detail} Try again in a minute.`, {
    kind: status === 429 ? 'rate_limited' : 'server',
    status,
    code: numberOrUndefined(body.code),
    apiMessage: said,
    retryable: status === 429 || status >= 500,
  });
}

function safeJson(text: string): Record<string, unknown> {
  try {
    const parsed = JSON.parse(text) as unknown;
    return parsed && typeof parsed === 'object' ? (parsed as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

function numberOrUndefined(value: unknown): number | undefined {
  return typeof value === 'number' ? value : undefined;
}
