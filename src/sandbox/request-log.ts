// What tests and `pinsync sandbox --log` inspect about the traffic: the recent requests (never a body
// or token), the requests that broke the OpenAPI subset or the records rules, and counters over all.

export const DEFAULT_REQUEST_LOG_SIZE = 100_000;
const MAX_VIOLATIONS = 10_000;

export interface RecordedRequest {
  method: string;
  /** Path without the query string, e.g. /v5/ad_accounts/549755885175/customer_lists/1. */
  path: string;
  /** HTTP status; 0 when the sandbox reset the connection instead of answering. */
  status: number;
  /** Number of records in the body (comma-separated entries), 0 when none. */
  records: number;
  /** The id of the token used (TokenState.id), never the token. */
  tokenId?: string;
  /** Epoch milliseconds when the request's body had arrived (the instant the rate limit counts). */
  time: number;
  durationMs: number;
}

export interface SandboxStats {
  requests: number;
  writes: number;
  successfulWrites: number;
  rateLimited: number;
  serverErrors: number;
  resets: number;
  badRequests: number;
  unauthorized: number;
  forbidden: number;
  notFound: number;
  recordsReceived: number;
  maxRecordsInRequest: number;
}

export class RequestLog {
  /** Last `size` requests, oldest first. Aggregates over all requests are in `stats`. */
  readonly requests: RecordedRequest[] = [];
  /** One sentence per request that broke the OpenAPI subset or the records rules (never a body). */
  readonly violations: string[] = [];
  readonly stats: SandboxStats = {
    requests: 0,
    writes: 0,
    successfulWrites: 0,
    rateLimited: 0,
    serverErrors: 0,
    resets: 0,
    badRequests: 0,
    unauthorized: 0,
    forbidden: 0,
    notFound: 0,
    recordsReceived: 0,
    maxRecordsInRequest: 0,
  };

  constructor(private readonly size = DEFAULT_REQUEST_LOG_SIZE) {}

  record(request: RecordedRequest): void {
    this.requests.push(request);
    // Trim in chunks so the log stays a plain array without shifting on every request.
    if (this.requests.length > this.size + Math.ceil(this.size / 10)) {
      this.requests.splice(0, this.requests.length - this.size);
    }
    this.count(request);
  }

  recordViolation(sentence: string): void {
    if (this.violations.length < MAX_VIOLATIONS) this.violations.push(sentence);
  }

  private count(request: RecordedRequest): void {
    const stats = this.stats;
    stats.requests++;
    // Writes are the ads_write calls: the OAuth endpoints and the consent form do not count.
    const isWrite = (request.method === 'POST' || request.method === 'PATCH') && request.path.startsWith('/v5/ad_accounts/');
    if (isWrite) {
      stats.writes++;
      if (request.status >= 200 && request.status < 300) stats.successfulWrites++;
    }
    if (request.status === 429) stats.rateLimited++;
    if (request.status >= 500) stats.serverErrors++;
    if (request.status === 0) stats.resets++;
    if (request.status === 400) stats.badRequests++;
    if (request.status === 401) stats.unauthorized++;
    if (request.status === 403) stats.forbidden++;
    if (request.status === 404) stats.notFound++;
    stats.recordsReceived += request.records;
    stats.maxRecordsInRequest = Math.max(stats.maxRecordsInRequest, request.records);
  }
}
