// login, logout, status: flags and options only; the work lives in src/auth (imported lazily).
import { type Command } from 'commander';
import type { Context } from '../context.js';
import { UsageError } from '../errors.js';
import { durationToMs } from '../duration.js';
import { action, parseDuration, parseInteger } from './action.js';

interface LoginFlags {
  browser: boolean;
  port?: number;
  redirectUri?: string;
  scopes?: string;
  timeout?: number;
}

export function registerAuth(program: Command): void {
  program
    .command('login')
    .description('Sign in to Pinterest in the browser and keep the tokens in the OS keychain (or a 0600 file without one).')
    .option('--no-browser', 'print the consent address instead of opening a browser')
    .option('--port <n>', 'local port for the redirect (default 8085)', parseInteger('--port', 0, 65535))
    .option('--redirect-uri <uri>', 'redirect URI registered with your Pinterest app (default http://localhost:<port>/)')
    .option('--scopes <list>', 'comma-separated OAuth scopes (default ads:read,ads:write,user_accounts:read)')
    .option('--timeout <duration>', 'how long to wait for the browser (default 5m; env PINSYNC_LOGIN_TIMEOUT)', parseDuration('--timeout'))
    .action(
      action<LoginFlags>(async (ctx, flags) => {
        const { runLogin } = await import('../auth/login.js');
        const { parseScopes } = await import('../auth/authorize-url.js');
        return runLogin(ctx, {
          browser: flags.browser,
          port: flags.port,
          redirectUri: flags.redirectUri,
          scopes: flags.scopes === undefined ? undefined : parseScopes(flags.scopes),
          timeout: flags.timeout ?? loginTimeoutFromEnv(ctx),
        });
      }),
    );

  program
    .command('logout')
    .description("Forget the profile's saved tokens.")
    .option('--all', 'also forget the saved app id and secret')
    .action(
      action<{ all?: boolean }>(async (ctx, flags) => {
        const { runLogout } = await import('../auth/logout.js');
        return runLogout(ctx, flags);
      }),
    );

  program
    .command('status')
    .description('Show who is logged in, where the token comes from and when it expires.')
    .option('--json', 'print one JSON object')
    .action(
      action<{ json?: boolean }>(async (ctx, flags) => {
        const { runStatus } = await import('../auth/status.js');
        return runStatus(ctx, flags);
      }),
    );
}

function loginTimeoutFromEnv(ctx: Context): number | undefined {
  const value = ctx.env.PINSYNC_LOGIN_TIMEOUT?.trim();
  if (!value) return undefined;
  const ms = durationToMs(value);
  if (ms === undefined || ms <= 0) throw new UsageError(`PINSYNC_LOGIN_TIMEOUT takes a duration such as 5m or 30s, not "${value}".`);
  return ms;
}
