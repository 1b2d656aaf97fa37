// The consent-page address and the login's options: redirect URI, port, scopes, state.
import { randomBytes } from 'node:crypto';
import { UsageError } from '../errors.js';
import { refuseCleartext, withoutTrailingSlash } from '../pinterest/api-base.js';

export const DEFAULT_OAUTH_BASE = 'https://www.pinterest.com';
export const DEFAULT_PORT = 8085;
export const DEFAULT_SCOPES = ['ads:read', 'ads:write', 'user_accounts:read'];

export function newState(): string {
  return randomBytes(32).toString('base64url');
}

/** PINSYNC_OAUTH_BASE or Pinterest's; the consent page is never fetched over plain http off this machine. */
export function oauthBaseFrom(env: Record<string, string | undefined>): string {
  const base = withoutTrailingSlash(env.PINSYNC_OAUTH_BASE?.trim() || DEFAULT_OAUTH_BASE);
  let url: URL;
  try {
    url = new URL(base);
  } catch {
    throw new UsageError(`PINSYNC_OAUTH_BASE must be an https address such as ${DEFAULT_OAUTH_BASE}, not "${base}".`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new UsageError(`PINSYNC_OAUTH_BASE must be an https address such as ${DEFAULT_OAUTH_BASE}, not "${base}".`);
  }
  refuseCleartext('PINSYNC_OAUTH_BASE', base);
  return base;
}

export function authorizationUrl(oauthBase: string, appId: string, redirectUri: string, scopes: string[], state: string): string {
  const url = new URL('/oauth/', oauthBase.replace(/\/+$/, '') + '/');
  url.searchParams.set('client_id', appId);
  url.searchParams.set('redirect_uri', redirectUri);
  url.searchParams.set('response_type', 'code');
  url.searchParams.set('scope', scopes.join(','));
  url.searchParams.set('state', state);
  return url.toString();
}

export interface RedirectPlan {
  /** Port to listen on (0: any free one, for tests). */
  port: number;
  /** The registered redirect URI; undefined means http://localhost:<actual port>/. */
  redirectUri?: string;
  callbackPath: string;
}

/** --port and --redirect-uri together: the URI must point at this machine and at the listening port. */
export function planRedirect(port: number | undefined, redirectUri: string | undefined): RedirectPlan {
  if (!redirectUri) return { port: port ?? DEFAULT_PORT, callbackPath: '/' };
  let url: URL;
  try {
    url = new URL(redirectUri);
  } catch {
    throw new UsageError(`--redirect-uri must be a full address such as http://localhost:${port ?? DEFAULT_PORT}/, not "${redirectUri}".`);
  }
  if (url.protocol !== 'http:' || !['localhost', '127.0.0.1', '[::1]'].includes(url.hostname)) {
    throw new UsageError('--redirect-uri must be an http://localhost:PORT/ (or 127.0.0.1) address: pinsync receives the answer on this machine.');
  }
  const uriPort = url.port ? Number(url.port) : 80;
  if (port !== undefined && port !== 0 && port !== uriPort) {
    throw new UsageError(`--port ${port} does not match the port of --redirect-uri (${uriPort}): give the same port to both.`);
  }
  return { port: port ?? uriPort, redirectUri: url.toString(), callbackPath: url.pathname };
}

export function redirectUriFor(plan: RedirectPlan, actualPort: number): string {
  if (!plan.redirectUri) return `http://localhost:${actualPort}/`;
  const url = new URL(plan.redirectUri);
  url.port = String(actualPort);
  return url.toString();
}

export function parseScopes(value: string): string[] {
  const scopes = value.split(/[\s,]+/).filter(Boolean);
  if (scopes.length === 0) throw new UsageError('--scopes needs at least one scope, e.g. ads:read,ads:write,user_accounts:read.');
  return scopes;
}
