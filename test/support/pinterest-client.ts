// A PinterestClient on the sandbox with a static token, and hashed records to send with it (client tests).
import { staticTokenProvider } from '../../src/auth/token-provider.js';
import type { TokenProvider } from '../../src/pinterest/tokens.js';
import { PinterestClient, type PinterestClientOptions } from '../../src/pinterest/client.js';
import type { Sandbox } from '../../src/sandbox/server.js';

/** sha256("a@example.com")-style records: 64 hex chars. */
export function hashedRecords(count: number, offset = 0): string {
  const records: string[] = [];
  for (let i = offset; i < offset + count; i += 1) records.push(i.toString(16).padStart(64, '0'));
  return records.join(',');
}

export function clientFor(
  sandbox: Sandbox,
  options: Partial<PinterestClientOptions> & { token?: string; tokens?: TokenProvider } = {},
): PinterestClient {
  return new PinterestClient({
    apiBase: sandbox.apiBase,
    tokens: options.tokens ?? staticTokenProvider(options.token ?? sandbox.token),
    retryFor: 30_000,
    timeoutMs: 5_000,
    ...options,
  });
}
