// The sandbox's stand-in for Pinterest's OAuth consent page (GET /oauth/): checks the app and redirect
// URI, shows the app and scopes with "Give access" / "Cancel", and redirects back with a code or an error.
import { randomBytes } from 'node:crypto';
import type { SandboxState } from './state.js';

/** Every scope Pinterest's spec knows; the sandbox grants any of them but only checks the three pinsync uses. */
export const KNOWN_SCOPES = [
  'ads:read', 'ads:write', 'billing:read', 'billing:write', 'biz_access:read', 'biz_access:write',
  'boards:read', 'boards:read_secret', 'boards:write', 'boards:write_secret', 'catalogs:read',
  'catalogs:write', 'msot:write', 'pins:read', 'pins:read_secret', 'pins:write', 'pins:write_secret',
  'user_accounts:read', 'user_accounts:write',
];

const PENDING_TTL_MS = 10 * 60 * 1000;

export interface PageAnswer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

interface PendingConsent {
  redirectUri: string;
  scopes: string[];
  state: string | null;
  expiresAt: number;
}

export class ConsentDesk {
  private readonly pending = new Map<string, PendingConsent>();

  constructor(
    private readonly state: SandboxState,
    private readonly appId: string,
  ) {}

  /** GET /oauth/?client_id&redirect_uri&response_type=code&scope&state */
  showPage(query: URLSearchParams): PageAnswer {
    const problem = this.requestProblem(query);
    if (problem) return errorPage(problem);
    const scopes = parseScopes(query.get('scope'));
    const id = randomBytes(16).toString('hex');
    this.pending.set(id, {
      redirectUri: query.get('redirect_uri')!,
      scopes,
      state: query.get('state'),
      expiresAt: this.state.now() + PENDING_TTL_MS,
    });
    return { status: 200, headers: htmlHeaders(), body: consentPage(id, this.appId, scopes) };
  }

  /** POST /oauth/decision from the page's form: redirect with a code, or with error=access_denied. */
  decide(form: URLSearchParams): PageAnswer {
    const id = form.get('request') ?? '';
    const consent = this.pending.get(id);
    this.pending.delete(id);
    if (!consent || this.state.now() >= consent.expiresAt) {
      return errorPage('This consent request is unknown or has expired. Start the login again.');
    }
    const target = new URL(consent.redirectUri);
    if (form.get('decision') === 'allow') {
      target.searchParams.set('code', this.state.createAuthorizationCode(consent.redirectUri, consent.scopes));
    } else {
      target.searchParams.set('error', 'access_denied');
    }
    if (consent.state !== null) target.searchParams.set('state', consent.state);
    return { status: 302, headers: { location: target.toString(), 'cache-control': 'no-store' }, body: '' };
  }

  private requestProblem(query: URLSearchParams): string | undefined {
    if (query.get('client_id') !== this.appId) return 'Unknown client_id: it must be the sandbox app id.';
    if (query.get('response_type') !== 'code') return 'response_type must be code.';
    const redirectUri = query.get('redirect_uri');
    if (!redirectUri || !isLoopbackHttpUri(redirectUri)) {
      return 'redirect_uri must be an http://localhost or http://127.0.0.1 address.';
    }
    const unknown = parseScopes(query.get('scope')).filter((scope) => !KNOWN_SCOPES.includes(scope));
    if (unknown.length > 0) return `Unknown scope: ${unknown.join(', ')}.`;
    return undefined;
  }
}

export function parseScopes(text: string | null): string[] {
  return (text ?? '')
    .split(/[,\s]+/)
    .map((scope) => scope.trim())
    .filter(Boolean);
}

function isLoopbackHttpUri(text: string): boolean {
  try {
    const url = new URL(text);
    return url.protocol === 'http:' && (url.hostname === 'localhost' || url.hostname === '127.0.0.1');
  } catch {
    return false;
  }
}

function htmlHeaders(): Record<string, string> {
  return { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' };
}

function errorPage(message: string): PageAnswer {
  const body = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Pinterest sandbox: cannot continue</title></head>
<body><h1>Cannot continue</h1><p id="error">${escapeHtml(message)}</p></body></html>
`;
  return { status: 400, headers: htmlHeaders(), body };
}

function consentPage(requestId: string, appId: string, scopes: string[]): string {
  const scopeItems = scopes.map((scope) => `<li>${escapeHtml(scope)}</li>`).join('');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Pinterest sandbox: give access?</title>
<style>body{font-family:sans-serif;max-width:32rem;margin:3rem auto}button{font-size:1rem;padding:.5rem 1rem;margin-right:.5rem}</style>
</head><body>
<h1>Give access to your Pinterest (sandbox) account?</h1>
<p>App <strong id="app-id">${escapeHtml(appId)}</strong> asks for these permissions:</p>
<ul id="scopes">${scopeItems || '<li>(none)</li>'}</ul>
<form method="post" action="/oauth/decision">
<input type="hidden" name="request" value="${escapeHtml(requestId)}">
<button id="allow" type="submit" name="decision" value="allow">Give access</button>
<button id="deny" type="submit" name="decision" value="deny">Cancel</button>
</form>
<p><small>This is the local pinsync sandbox, not Pinterest.</small></p>
</body></html>
`;
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
