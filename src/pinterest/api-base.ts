// The API root every call goes under: PINSYNC_API_BASE or Pinterest's. Read by the client factory and
// by the token endpoint (auth), so it depends on neither. Credentials never travel in clear: a plain
// http:// base is refused unless it is this machine (the sandbox).
import { UsageError } from '../errors.js';

export const DEFAULT_API_BASE = 'https://api.pinterest.com/v5';

type Env = Record<string, string | undefined>;

/** PINSYNC_API_BASE or Pinterest's; a value that is no http(s) address is a setup mistake (exit 2), not a network error. */
export function apiBaseFrom(env: Env): string {
  const base = withoutTrailingSlash(env.PINSYNC_API_BASE?.trim() || DEFAULT_API_BASE);
  if (!isHttpAddress(base)) {
    throw new UsageError(`PINSYNC_API_BASE must be an http(s) address such as ${DEFAULT_API_BASE}, not "${base}".`);
  }
  refuseCleartext('PINSYNC_API_BASE', base);
  return base;
}

/** Exit 2 for an http:// address off this machine: tokens and app secrets sent there could be read on the way. */
export function refuseCleartext(variable: string, base: string): void {
  const url = new URL(base);
  if (url.protocol !== 'http:' || isLoopback(url.hostname)) return;
  throw new UsageError(
    `${variable} points at ${url.host} over plain http, which would send your credentials in clear text: use https:// (plain http is only for this machine, e.g. the sandbox).`,
  );
}

/** 127.0.0.0/8, ::1 and localhost (URL has already normalised forms such as 127.1 and [0:0::1]). */
function isLoopback(hostname: string): boolean {
  return hostname === 'localhost' || hostname === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(hostname);
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
