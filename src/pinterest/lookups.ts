// Look-ups that ask nobody: an ad account id checked (flag > profile default), and an audience found
// by id or exact name.
import { NotFoundError, UsageError } from '../errors.js';
import type { PinterestClient } from './client.js';
import { ApiError } from './errors.js';
import type { Audience } from './types.generated.js';

export function validAdAccountId(value: string): string {
  if (!/^\d{1,18}$/.test(value)) {
    throw new UsageError(`--ad-account takes a numeric ad account id, not "${value}". Run \`pinsync accounts list\` to see yours.`);
  }
  return value;
}

/** --ad-account (checked) > the profile's default (`accounts use`); undefined when neither is set. */
export function knownAdAccount(flag: string | undefined, profileDefault: string | undefined): string | undefined {
  const given = flag?.trim();
  return given ? validAdAccountId(given) : profileDefault;
}

/**
 * An audience by id or exact name. All digits: tried as an id first, then as a name. A name must match
 * exactly one audience of the ad account.
 */
export async function findAudience(
  client: PinterestClient,
  adAccountId: string,
  idOrName: string,
  notFoundHint = 'Pass --create to create it, or run `pinsync audiences list`.',
): Promise<Audience> {
  const wanted = idOrName.trim();
  if (/^\d+$/.test(wanted)) {
    try {
      return await client.audience(adAccountId, wanted);
    } catch (error) {
      if (!(error instanceof ApiError && error.kind === 'not_found')) throw error;
    }
  }
  const matches: Audience[] = [];
  for await (const audience of client.audiences(adAccountId)) {
    if (audience.name === wanted) matches.push(audience);
  }
  if (matches.length === 1) return matches[0]!;
  if (matches.length === 0) {
    const what = /^\d+$/.test(wanted) ? 'with id or name' : 'named';
    throw new NotFoundError(
      `No audience ${what} "${wanted}" in ad account ${adAccountId}. ${notFoundHint}`,
    );
  }
  const ids = matches.map((audience) => audience.id).join(', ');
  throw new UsageError(`${matches.length} audiences in ad account ${adAccountId} are named "${wanted}" (ids ${ids}): pass the id instead.`);
}
