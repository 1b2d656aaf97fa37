// The Pinterest app that login and refresh use: PINTEREST_APP_ID / PINTEREST_APP_SECRET, else the
// ones saved with the profile, else asked on a terminal (the secret masked); off a terminal, exit 4.
import type { Context } from '../context.js';
import { AuthError } from '../errors.js';
import { registerSecret } from '../redact.js';
import type { AppCredentials, StoredCredentials } from './credentials.js';

export function appCredentialsFromEnv(ctx: Context): AppCredentials | undefined {
  const appId = ctx.env.PINTEREST_APP_ID?.trim();
  const appSecret = ctx.env.PINTEREST_APP_SECRET?.trim();
  if (!appId || !appSecret) return undefined;
  registerSecret(appSecret);
  return { appId, appSecret };
}

export function appCredentialsFrom(ctx: Context, stored: StoredCredentials | undefined): AppCredentials | undefined {
  const fromEnv = appCredentialsFromEnv(ctx);
  if (fromEnv) return fromEnv;
  if (stored?.appId && stored.appSecret) return { appId: stored.appId, appSecret: stored.appSecret };
  return undefined;
}

export function missingAppCredentialsError(): AuthError {
  return new AuthError(
    'No Pinterest app credentials: set PINTEREST_APP_ID and PINTEREST_APP_SECRET (from your app at developers.pinterest.com).',
  );
}

/** For login: known credentials, else a prompt on a terminal. */
export async function obtainAppCredentials(ctx: Context, stored: StoredCredentials | undefined): Promise<AppCredentials> {
  const known = appCredentialsFrom(ctx, stored);
  if (known) return known;
  if (!ctx.canPrompt) throw missingAppCredentialsError();
  ctx.info('pinsync needs your Pinterest app (developers.pinterest.com → My apps); they are kept in the credential store.');
  const appId = (await ctx.prompter.input('Pinterest app id:', { validate: nonEmpty })).trim();
  const appSecret = (await ctx.prompter.password('Pinterest app secret:')).trim();
  if (!appSecret) throw missingAppCredentialsError();
  registerSecret(appSecret);
  return { appId, appSecret };
}

function nonEmpty(value: string): true | string {
  return value.trim() ? true : 'Enter the app id.';
}
