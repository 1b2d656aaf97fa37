// The API root every call goes under: PINSYNC_API_BASE or Pinterest's. Read by the client factory and
// by the token endpoint (auth), so it depends on neither.
import { UsageError } from '../errors.js';

export const DEFAULT_API_BASE = 'https://api.pinterest.com/v5';

type Env = Record<string, string | undefined>;

/** PINSYNC_API_BASE or Pinterest's; a value that is no http(s) address is a setup mistake (exit 2), not a network error. */
export function apiBaseFrom(env: Env): string {
  const base = withoutTrailingSlash(env.PINSYNC_API_BASE?.trim() || DEFAULT_API_BASE);
  if (!isHttpAddress(base)) {
    throw new UsageError(`PINSYNC_API_BASE must be an http(s) address such as ${DEFAULT_API_BASE}, not "${base}".`);
  }
  return base;
}

export function withoutTrailingSlash(base: string): string {
  return base.replace(/\/+$/, '');
}

function isHttpAddress(value: string): boolean {
  try {
    const url = new URL(value);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname !== '';
  } catch {
    return false;
  }
}
