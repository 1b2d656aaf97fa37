// ApiError: a failed Pinterest call turned into one or two sentences a user can act on, with the
// HTTP status, Pinterest's own {code, message}, a kind, the exit code and whether retrying may help.
// Messages never carry the token, request bodies or records.
import { ExitCode, PinsyncError } from '../errors.js';
import { redact } from '../redact.js';

export type ApiErrorKind =
  | 'auth'
  | 'permission'
  | 'not_found'
  | 'rate_limited'
  | 'bad_request'
  | 'conflict'
  | 'server'
  | 'network'
  | 'timeout'
  /** The token's write quota is spent for longer than the call may wait (a daily quota): stop, rerun later. */
  | 'quota'
  /** A 429 that says spam: not a rate limit, retrying cannot help. */
  | 'spam';

/** What a call was about, so a 403/404 can say which ad account or object it concerns. */
export interface CallSubject {
  adAccountId?: string;
  /** e.g. "audience 123", "customer list 9" */
  object?: string;
}

export interface ApiErrorDetails {
  kind: ApiErrorKind;
  status?: number;
  code?: number;
  apiMessage?: string;
  retryable: boolean;
  /** Server's wish (Retry-After / x-ratelimit-reset), in ms from when it was received. */
  retryAfterMs?: number;
  /** For kind 'quota': when Pinterest says the quota refills (epoch ms). */
  resetAt?: number;
  /** The request was never sent (cut while waiting for its slot): its records did not reach Pinterest. */
  unsent?: boolean;
  cause?: unknown;
}

export class ApiError extends PinsyncError {
  readonly kind: ApiErrorKind;
  readonly status?: number;
  /** Pinterest's error code from the body ({ code, message }). */
  readonly code?: number;
  /** Pinterest's error message, scrubbed of anything that looks like a record. */
  readonly apiMessage?: string;
  retryable: boolean;
  readonly retryAfterMs?: number;
  readonly resetAt?: number;
  readonly unsent: boolean;

  constructor(message: string, details: ApiErrorDetails) {
    super(redact(message), exitCodeFor(details.kind), { cause: details.cause });
    this.kind = details.kind;
    this.status = details.status;
    this.code = details.code;
    this.apiMessage = details.apiMessage;
    this.retryable = details.retryable;
    this.retryAfterMs = details.retryAfterMs;
    this.resetAt = details.resetAt;
    this.unsent = details.unsent ?? false;
  }

  /** The same stop, for a request still waiting for its slot: it is not sent, its rows stay pending. */
  asUnsent(): ApiError {
    const { kind, status, code, apiMessage, retryable, retryAfterMs, resetAt } = this;
    return new ApiError(this.message, { kind, status, code, apiMessage, retryable, retryAfterMs, resetAt, unsent: true });
  }
}

export function exitCodeFor(kind: ApiErrorKind): number {
  switch (kind) {
    case 'auth':
    case 'permission':
      return ExitCode.auth;
    case 'not_found':
      return ExitCode.notFound;
    case 'bad_request':
      return ExitCode.usage;
    case 'quota':
    case 'spam':
      return ExitCode.partial;
    default:
      return ExitCode.internal;
  }
}

export function kindForStatus(status: number): ApiErrorKind {
  if (status === 401) return 'auth';
  if (status === 403) return 'permission';
  if (status === 404) return 'not_found';
  if (status === 409) return 'conflict';
  if (status === 429) return 'rate_limited';
  if (status === 408) return 'timeout';
  if (status >= 500) return 'server';
  return 'bad_request';
}

/** Pinterest may echo input in its messages: mask e-mail addresses and digests before showing them. */
export function scrubApiMessage(message: string | undefined): string | undefined {
  if (!message) return undefined;
  const scrubbed = redact(message)
    .replace(/[^\s,;:"'<>()]+@[^\s,;:"'<>()]+/g, '[record]')
    .replace(/\b[0-9a-f]{32,}\b/gi, '[record]')
    .replace(/\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b/gi, '[record]')
    .trim();
  return scrubbed.length > 300 ? `${scrubbed.slice(0, 297)}...` : scrubbed;
}

function withPeriod(text: string): string {
  return /[.!?]$/.test(text) ? text : `${text}.`;
}

/** The user-facing sentence(s) for an HTTP error status. */
export function messageForStatus(
  status: number,
  subject: CallSubject,
  apiMessage: string | undefined,
): string {
  const said = apiMessage ? ` Pinterest said: ${withPeriod(apiMessage)}` : '';
  switch (kindForStatus(status)) {
    case 'auth':
      return 'Pinterest rejected the access token (invalid, expired or revoked). Run `pinsync login`, or set a fresh PINSYNC_ACCESS_TOKEN.';
    case 'permission': {
      const account = subject.adAccountId ? `ad account ${subject.adAccountId}` : 'this ad account';
      return `Pinterest refused access to ${subject.object && subject.adAccountId ? `${subject.object} in ` : ''}${account}. Ask your Pinterest Business admin for access to it, or check the token's scopes (ads:read, ads:write).`;
    }
    case 'not_found':
      return notFoundMessage(subject);
    case 'rate_limited':
      return 'Pinterest kept rate-limiting the requests until the retry window ran out. Run again later, or lower --rate.';
    case 'conflict':
      return `Pinterest reported a conflict (HTTP 409).${said} Check the audience in Ads Manager and run again.`;
    case 'server':
      return `Pinterest answered with a server error (HTTP ${status}) until the retry window ran out. Run again later; what was sent is recorded.`;
    case 'timeout':
      return 'Pinterest did not answer in time until the retry window ran out. Run again later.';
    default:
      return `Pinterest rejected the request (HTTP ${status}).${said || ' Check the flags and input, then run again.'}`;
  }
}

function notFoundMessage(subject: CallSubject): string {
  if (subject.object && subject.adAccountId) {
    return `Pinterest has no ${subject.object} in ad account ${subject.adAccountId}. Run \`pinsync audiences list --ad-account ${subject.adAccountId}\` to see what exists.`;
  }
  if (subject.adAccountId) {
    return `Ad account ${subject.adAccountId} was not found, or this token cannot see it. Run \`pinsync accounts list\` to see the ad accounts you can use.`;
  }
  return `Pinterest could not find ${subject.object ?? 'the requested object'}.`;
}

/** A 401 with Pinterest's code 3: the token works but lacks a scope; a refresh would not add it. */
export const MISSING_SCOPE_CODE = 3;

export function missingScopeError(scope: string, apiMessage: string | undefined): ApiError {
  return new ApiError(
    `The access token lacks the ${scope} scope pinsync needs. Run \`pinsync login\` and grant ${scope}, or set a PINSYNC_ACCESS_TOKEN that has it.`,
    { kind: 'permission', status: 401, code: MISSING_SCOPE_CODE, apiMessage, retryable: false },
  );
}

/** The scope a rate-limit category needs: ads_write → ads:write. */
export function scopeFor(category: string, apiMessage: string | undefined): string {
  const named = /missing scopes?:\s*([a-z_]+:[a-z_]+)/i.exec(apiMessage ?? '')?.[1];
  if (named) return named.toLowerCase();
  return /^[a-z]+_(read|write)$/.test(category) ? category.replace(/_(read|write)$/, ':$1') : 'ads:write';
}

export function spamError(apiMessage: string | undefined): ApiError {
  return new ApiError(
    'Pinterest blocked the upload as spam, so pinsync stopped. Check the audience content with Pinterest (Ads Manager or Pinterest support) before running again.',
    { kind: 'spam', status: 429, apiMessage, retryable: false },
  );
}

/** Spent until `resetAt`: the user learns when, in local time, and that a rerun sends only the rest. */
export function quotaError(resetAt: number, now: number): ApiError {
  const when = new Date(resetAt).toLocaleString();
  return new ApiError(
    `Pinterest's write quota for this token is used up until ${when} (local time, in ${untilText(resetAt - now)}). Run the same command again after that to send the rest.`,
    { kind: 'quota', status: 429, retryable: false, resetAt },
  );
}

function untilText(ms: number): string {
  const minutes = Math.max(1, Math.round(ms / 60_000));
  return minutes < 120 ? `${minutes} min` : `${(minutes / 60).toFixed(1)} h`;
}

/** Network failures (no HTTP answer): DNS, refused, reset, TLS, timeouts. */
export function networkError(apiBase: string, error: unknown, timedOut: boolean): ApiError {
  const code = errorCode(error);
  if (timedOut) {
    return new ApiError(`Pinterest at ${apiBase} did not answer in time. Check your network or proxy settings, then run again.`, {
      kind: 'timeout',
      retryable: true,
      cause: sanitisedCause(error),
    });
  }
  const reason = describeNetworkReason(code, error);
  return new ApiError(`Could not reach Pinterest at ${apiBase}: ${reason}. Check your network or proxy settings (HTTPS_PROXY), then run again.`, {
    kind: 'network',
    retryable: code !== 'ENOTFOUND' && code !== 'ERR_INVALID_URL' && code !== 'UND_ERR_INVALID_ARG',
    cause: sanitisedCause(error),
  });
}

export function errorCode(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 4 && current && typeof current === 'object'; depth += 1) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

function describeNetworkReason(code: string | undefined, error: unknown): string {
  switch (code) {
    case 'ECONNREFUSED':
      return 'connection refused';
    case 'ECONNRESET':
    case 'UND_ERR_SOCKET':
      return 'the connection was reset';
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return 'the host name could not be resolved';
    case 'UND_ERR_CONNECT_TIMEOUT':
      return 'connecting timed out';
    case 'ETIMEDOUT':
      return 'the connection timed out';
    default: {
      const message = error instanceof Error ? error.message : String(error);
      return redact(message).replace(/[.\s]+$/, '') || 'unknown network error';
    }
  }
}

/** Keep only code and message of a network error: undici errors can hold request options (headers). */
function sanitisedCause(error: unknown): Error {
  const message = error instanceof Error ? redact(error.message) : redact(String(error));
  const cause = new Error(message);
  const code = errorCode(error);
  if (code) (cause as Error & { code?: string }).code = code;
  return cause;
}
