// `pinsync logout`: forget the profile's tokens in every store (and, with --all, its app credentials).
// Pinterest offers no revocation for user tokens, so forgetting them locally is what logout can do.
import type { Context } from '../context.js';
import { appCredentialsOnly } from './credentials.js';
import { removeCredentials } from './credential-store.js';

export async function runLogout(ctx: Context, options: { all?: boolean }): Promise<number> {
  const removedFrom = await removeCredentials(ctx, (credentials) => (options.all ? undefined : appCredentialsOnly(credentials)));
  const profile = ctx.profile === 'default' ? 'the default profile' : `profile ${ctx.profile}`;
  if (removedFrom.length === 0) {
    ctx.info(`Nothing to forget: ${profile} has no saved login.`);
  } else {
    const where = removedFrom.map((store) => (store.kind === 'keychain' ? 'the OS keychain' : store.description)).join(' and ');
    const what = options.all ? 'its tokens and app credentials' : 'its tokens';
    ctx.info(`Logged out of ${profile}: removed ${what} from ${where}.`);
  }
  // Either way the user expects to be logged out; a token in the environment would still work.
  if (ctx.env.PINSYNC_ACCESS_TOKEN?.trim() || ctx.env.PINSYNC_REFRESH_TOKEN?.trim()) {
    ctx.warn('PINSYNC_ACCESS_TOKEN or PINSYNC_REFRESH_TOKEN is still set in this environment and will keep being used; unset it to log out fully.');
  }
  return 0;
}
