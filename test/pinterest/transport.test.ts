// The quota headers the transport reads back from an answer.
import { describe, expect, it } from 'vitest';
import { rateLimitResetMs, retryAfterMs } from '../../src/pinterest/transport.js';

describe('quota headers', () => {
  it('reads Retry-After as seconds or an HTTP date, and x-ratelimit-reset as seconds or an epoch', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(retryAfterMs('2', now)).toBe(2000);
    expect(retryAfterMs('Thu, 01 Jan 2026 00:00:05 GMT', now)).toBe(5000);
    expect(retryAfterMs('soon', now)).toBeUndefined();
    expect(rateLimitResetMs('1', now)).toBe(1000);
    expect(rateLimitResetMs(String(now / 1000 + 30), now)).toBe(30_000);
  });
});
