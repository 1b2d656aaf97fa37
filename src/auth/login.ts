// `pinsync login`: the loopback OAuth flow. Listen on 127.0.0.1, send the user to Pinterest's consent
// page, take the one callback with our state, exchange the code, store the tokens, confirm the user.
import type { Context } from '../context.js';
import { obtainAppCredentials } from './app-credentials.js';
import {
  authorizationUrl,
  DEFAULT_SCOPES,
  newState,
  oauthBaseFrom,
  planRedirect,
  redirectUriFor,
} from './authorize-url.js';
import { canOpenBrowser, openBrowser } from './browser.js';
import { loadCredentials, saveCredentials, storeForWriting, type CredentialStore } from './credential-store.js';
import type { StoredCredentials } from './credentials.js';
import { listenForCallback } from './loopback.js';
import { apiBaseFrom } from '../pinterest/api-base.js';
import { exchangeAuthorizationCode } from './token-exchange.js';
import { StoredTokenProvider } from './stored-tokens.js';
import { chooseDefaultAdAccount, describeUser } from './account-lookup.js';

export const DEFAULT_LOGIN_TIMEOUT_MS = 5 * 60_000;

export interface LoginOptions {
  /** commander's --no-browser */
  browser?: boolean;
  port?: number;
  redirectUri?: string;
  scopes?: string[];
  /** ms to wait for the browser; --timeout or PINSYNC_LOGIN_TIMEOUT (parsed by the command). */
  timeout?: number;
}

export async function runLogin(ctx: Context, options: LoginOptions): Promise<number> {
  const plan = planRedirect(options.port, options.redirectUri);
  // Both bases are checked before any prompt, browser or request: the code and app secret go to the API base.
  const oauthBase = oauthBaseFrom(ctx.env);
  apiBaseFrom(ctx.env);
  const timeoutMs = options.timeout ?? DEFAULT_LOGIN_TIMEOUT_MS;
  const store = await storeForWriting(ctx); // fail before the browser when PINSYNC_KEYCHAIN=require cannot be met
  const previous = await loadCredentials(ctx);
  const app = await obtainAppCredentials(ctx, previous?.credentials);
  const state = newState();

  const listener = await listenForCallback({
    port: plan.port,
    callbackPath: plan.callbackPath,
    state,
    timeoutMs,
    signal: ctx.signal,
    redirectUri: plan.redirectUri,
  });
  const redirectUri = redirectUriFor(plan, listener.port);
  let code: string;
  try {
    const url = authorizationUrl(oauthBase, app.appId, redirectUri, options.scopes ?? DEFAULT_SCOPES, state);
    await sendUserTo(ctx, url, options.browser !== false);
    ctx.info(`Waiting for Pinterest to send you back to ${redirectUri} (Ctrl-C to cancel)…`);
    code = await listener.code();
  } finally {
    await listener.close();
  }

  const issued = await exchangeAuthorizationCode(ctx, app, code, redirectUri);
  const credentials: StoredCredentials = { ...app, ...issued };
  await saveCredentials(ctx, store, credentials);
  if (ctx.env.PINSYNC_ACCESS_TOKEN?.trim()) {
    ctx.warn('PINSYNC_ACCESS_TOKEN is set and takes precedence over this login: unset it to use the saved one.');
  }
  await confirmLogin(ctx, new StoredTokenProvider(ctx, credentials, store), store);
  return 0;
}

async function sendUserTo(ctx: Context, url: string, browserAllowed: boolean): Promise<void> {
  if (browserAllowed && canOpenBrowser(ctx.env) && (await openBrowser(url))) {
    ctx.info(`Opening Pinterest in your browser to allow pinsync access. If it does not open, visit:\n  ${url}`);
    return;
  }
  ctx.info(`Open this address in a browser to allow pinsync access to your Pinterest account:\n  ${url}`);
}

async function confirmLogin(ctx: Context, tokens: StoredTokenProvider, store: CredentialStore): Promise<void> {
  const where = store.kind === 'keychain' ? 'the OS keychain' : store.description;
  const profile = ctx.profile === 'default' ? '' : ` (profile ${ctx.profile})`;
  const user = await describeUser(ctx, tokens).catch((error: Error) => {
    ctx.warn(`logged in, but the user account could not be read: ${error.message}`);
    return undefined;
  });
  ctx.info(`Logged in${user ? ` as ${user}` : ''}${profile}; the tokens are kept in ${where}.`);
  if (ctx.canPrompt) await chooseDefaultAdAccount(ctx, tokens);
}
