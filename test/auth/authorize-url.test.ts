// The consent address and the redirect plan: what Pinterest sees, and flag combinations refused early.
import { describe, expect, it } from 'vitest';
import { authorizationUrl, newState, parseScopes, planRedirect, redirectUriFor } from '../../src/auth/authorize-url.js';
import { UsageError } from '../../src/errors.js';

describe('authorization URL', () => {
  it('carries client_id, redirect_uri, response_type=code, scopes and state under /oauth/', () => {
    const url = new URL(authorizationUrl('https://www.pinterest.com', 'app-1', 'http://localhost:8085/', ['ads:read', 'ads:write'], 's1'));
    expect(url.origin + url.pathname).toBe('https://www.pinterest.com/oauth/');
    expect(Object.fromEntries(url.searchParams)).toEqual({
      client_id: 'app-1',
      redirect_uri: 'http://localhost:8085/',
      response_type: 'code',
      scope: 'ads:read,ads:write',
      state: 's1',
    });
  });

  it('makes a fresh, unguessable state each time', () => {
    const states = new Set(Array.from({ length: 20 }, newState));
    expect(states.size).toBe(20);
    for (const state of states) expect(state).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });
});

describe('redirect plan', () => {
  it('defaults to http://localhost:8085/', () => {
    const plan = planRedirect(undefined, undefined);
    expect(plan.port).toBe(8085);
    expect(redirectUriFor(plan, 8085)).toBe('http://localhost:8085/');
  });

  it('takes the port from --redirect-uri and listens on its path', () => {
    const plan = planRedirect(undefined, 'http://localhost:9000/pinsync/callback');
    expect(plan).toMatchObject({ port: 9000, callbackPath: '/pinsync/callback' });
    expect(redirectUriFor(plan, 9000)).toBe('http://localhost:9000/pinsync/callback');
  });

  it('refuses a redirect URI that is not this machine or not the listening port', () => {
    expect(() => planRedirect(undefined, 'https://example.com/cb')).toThrow(UsageError);
    expect(() => planRedirect(8085, 'http://localhost:9000/')).toThrow(/does not match/);
    expect(() => planRedirect(undefined, 'not a url')).toThrow(UsageError);
  });

  it('parses --scopes', () => {
    expect(parseScopes('ads:read, user_accounts:read')).toEqual(['ads:read', 'user_accounts:read']);
    expect(() => parseScopes(' , ')).toThrow(UsageError);
  });
});
