// A local Pinterest-compatible API on 127.0.0.1 (Node's http only): auth, rate limits, OpenAPI checks,
// injected faults, then the operations in routes.ts. Used by tests as a library and by `pinsync sandbox`.
import { randomBytes } from 'node:crypto';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { DAY_MS, SandboxClock } from './clock.js';
import { ConsentDesk } from './consent.js';
import { loadSavedSandbox, saveSandbox, type SavedSandbox } from './persistence.js';
import { FaultInjector, type SandboxFaults } from './faults.js';
import { isPlainObject, OpenApiSpec, type Operation } from './openapi.js';
import { ApiProblem, badRequest, ErrorCode, unauthorized } from './problems.js';
import { listRulesFrom, type ListRules } from './list-readiness.js';
import { SlidingWindowLimiter, type RateDecision } from './ratelimit.js';
import { answerApiCall } from './routes.js';
import { DEFAULT_REQUEST_LOG_SIZE, SandboxState, type RecordedRequest, type TokenState } from './state.js';
import { answerTokenRequest } from './token-endpoint.js';
import { WriteQuota, type QuotaName, type WriteDecision, type WriteQuotaOptions } from './write-quota.js';

export type { SandboxFaults } from './faults.js';
export type { RecordedRequest, SandboxState } from './state.js';

export interface SandboxOptions {
  /** 0 (the default) picks a free port. */
  port?: number;
  host?: string;
  /** ads_write requests per second per token (at most this many in any 1-second window). Default 7. */
  writeRate?: number;
  /** At most `limit` writes per token in any `windowMs`, on top of writeRate (Standard access: 400/60,000). */
  writeQuota?: WriteQuotaOptions['writeQuota'];
  /** At most `limit` writes per token per day (Trial access: 300); `dayMs` shortens the day for tests. */
  dailyWriteQuota?: WriteQuotaOptions['dailyWriteQuota'];
  /** Send Retry-After on rate-limit 429s (no source shows Pinterest sending it). Default false. */
  retryAfter?: boolean;
  /** Status of a call whose token lacks a scope: Pinterest's spec says 401 (code 3). Default 403 for now. */
  missingScopeStatus?: 401 | 403;
  /** Matching share, processing time, and whether audiences need a READY list (list-readiness.ts). */
  listRules?: Partial<ListRules>;
  /** ads_read (and other read) requests per minute per token. Default 1000. */
  readRatePerMinute?: number;
  /** Records (or records_v2 rows) per customer-list request. Default 1,900. */
  maxRecords?: number;
  /**
   * Strict API 5.28: creates answer 201 (5.28 added it; pinsync takes 200 and 201), a request body may
   * hold only the properties the spec names, and records_v2 rows only the fields 5.28 names. Either way
   * the sandbox takes records_v2 and lists shared audiences without `ownership_type`, as 5.28 does.
   */
  strict528?: boolean;
  /** Names of audiences another business shares into ad account 549755885175 (listed as RECEIVED). */
  sharedAudiences?: string[];
  /** Seed of the PRNG behind random faults. Default 1. */
  seed?: number;
  faults?: SandboxFaults;
  /** Fix the value of `sandbox.token` (all scopes). Default: random. */
  token?: string;
  appId?: string;
  appSecret?: string;
  /** How many requests `state.requests` keeps (the oldest drop off). Default 100,000. */
  requestLogSize?: number;
  /**
   * The base of the sandbox clock (token and code expiry, timestamps, daily-quota days; not the per-second
   * rate limits). Default Date.now. The clock runs `advanceDays` ahead of it and moves on with `sandbox.clock`.
   */
  now?: () => number;
  /** Start the clock this many days ahead (added to an offset saved with `stateFile`). */
  advanceDays?: number;
  /** Refresh tokens work once, and a spent one presented again revokes its login (SandboxState.strictRefresh). */
  strictRefresh?: boolean;
  /** false: legacy refresh tokens, whose refresh answers no new refresh token (SandboxState.continuousRefresh). Default true. */
  continuousRefresh?: boolean;
  /** Load lists, audiences, tokens and the app secret from this JSON file if it exists; save them on stop. */
  stateFile?: string;
  /** Called after every request is answered (e.g. the CLI's --log). */
  onRequest?: (request: RecordedRequest) => void;
}

export interface Sandbox {
  /** http://127.0.0.1:PORT/v5 (PINSYNC_API_BASE) */
  apiBase: string;
  /** http://127.0.0.1:PORT (PINSYNC_OAUTH_BASE; consent page at /oauth/) */
  oauthBase: string;
  port: number;
  /** A valid access token of the sandbox user with every scope pinsync uses. */
  token: string;
  /** The refresh token issued with `token` (a seed for PINSYNC_REFRESH_TOKEN). */
  refreshToken: string;
  /** The virtual clock: `sandbox.clock.advanceDays(31)` expires every access token issued today. */
  clock: SandboxClock;
  appId: string;
  appSecret: string;
  state: SandboxState;
  /** Replaces the faults (pass {} to clear); restarts the write and burst counters. */
  setFaults(faults: SandboxFaults): void;
  faults(): SandboxFaults;
  /** Requests received and not yet answered (a test can wait until a write is in flight). */
  requestsInProgress(): number;
  /** Closes the server and every socket, keep-alive ones too. */
  stop(): Promise<void>;
}

export const DEFAULT_WRITE_RATE = 7;
export const DEFAULT_READ_RATE_PER_MINUTE = 1000;
export const DEFAULT_MAX_RECORDS = 1900;
export const DEFAULT_APP_ID = '1500001';
/**
 * Pinterest answers a missing scope with 401 code 3 (its spec's example); pinsync's client tells it from
 * a bad token by the code (no refresh, the scope named). `missingScopeStatus: 403` keeps the older answer.
 */
export const MISSING_SCOPE_STATUS_BY_DEFAULT: 401 | 403 = 401;
const MISSING_SCOPE_MESSAGE =
  'Your token does not have sufficient permissions to perform this operation. Please ensure your token is authorized with the correct set of scopes.';
const SPAM_DETAIL = 'Your request was blocked because it looks like spam. Check the audience content with Pinterest.';
const QUOTA_MESSAGES: Record<QuotaName, string> = {
  rate: 'You have exceeded your rate limit. Try again later.',
  window: 'You have exceeded your write quota for this period. Try again later.',
  daily: 'You have exceeded your daily rate limit. Try again tomorrow.',
};
const MAX_BODY_BYTES = 16 * 1024 * 1024;
const API_PREFIX = '/v5';
/** The admin call that shows and moves the sandbox clock (outside /v5: not part of Pinterest's API). */
export const CLOCK_PATH = '/sandbox/clock';

export async function startSandbox(options: SandboxOptions = {}): Promise<Sandbox> {
  const saved = options.stateFile ? await loadSavedSandbox(options.stateFile) : undefined;
  const server = new SandboxServer(options, saved);
  const port = await server.listen(options.port ?? 0, options.host ?? '127.0.0.1');
  const origin = `http://127.0.0.1:${port}`;
  return {
    apiBase: origin + API_PREFIX,
    oauthBase: origin,
    port,
    token: server.defaultToken.accessToken,
    refreshToken: server.defaultToken.refreshToken,
    clock: server.clock,
    appId: server.app.appId,
    appSecret: server.app.appSecret,
    state: server.state,
    setFaults: (faults) => server.faults.set(faults),
    faults: () => server.faults.current(),
    requestsInProgress: () => server.inProgress,
    stop: () => server.stop(),
  };
}

interface Exchange {
  /** When the body was fully read: the time the rate limit counts and `requests` records. */
  receivedAt: number;
  method: string;
  url: URL;
  raw: Buffer;
  tokenId?: string;
  records: number;
  headers: Record<string, string>;
}

/** What a request ends in: an answer, or a connection reset (the reset fault). */
type Outcome = { status: number; body: unknown; contentType?: string } | { reset: true };

class SandboxServer {
  inProgress = 0;
  readonly state: SandboxState;
  readonly faults: FaultInjector;
  readonly app: { appId: string; appSecret: string };
  readonly defaultToken: { accessToken: string; refreshToken: string };
  readonly clock: SandboxClock;
  private readonly spec = OpenApiSpec.load();
  private readonly consent: ConsentDesk;
  private readonly writeQuota: WriteQuota;
  private readonly readLimiter: SlidingWindowLimiter;
  private readonly maxRecords: number;
  private readonly http: http.Server;
  private readonly sockets = new Set<Socket>();
  private readonly stopping = new AbortController();

  constructor(
    private readonly options: SandboxOptions,
    saved?: SavedSandbox,
  ) {
    this.clock = new SandboxClock(options.now, saved?.clockOffsetMs ?? 0);
    this.clock.advanceDays(options.advanceDays ?? 0);
    this.state = new SandboxState(options.requestLogSize ?? DEFAULT_REQUEST_LOG_SIZE, this.clock.now, listRulesFrom(options.listRules));
    this.state.strictRefresh = Boolean(options.strictRefresh);
    this.state.continuousRefresh = options.continuousRefresh ?? true;
    if (saved) this.state.restore(saved.state);
    for (const name of options.sharedAudiences ?? []) this.state.seedSharedAudience(name);
    this.faults = new FaultInjector(options.seed ?? 1, options.faults ?? {});
    this.app = {
      appId: options.appId ?? saved?.app.appId ?? DEFAULT_APP_ID,
      appSecret: options.appSecret ?? saved?.app.appSecret ?? randomBytes(20).toString('hex'),
    };
    this.defaultToken = this.pickDefaultToken(saved);
    this.consent = new ConsentDesk(this.state, this.app.appId);
    this.writeQuota = new WriteQuota({
      writeRate: options.writeRate ?? DEFAULT_WRITE_RATE,
      writeQuota: options.writeQuota,
      dailyWriteQuota: options.dailyWriteQuota,
    });
    this.readLimiter = new SlidingWindowLimiter(options.readRatePerMinute ?? DEFAULT_READ_RATE_PER_MINUTE, 60_000);
    this.maxRecords = options.maxRecords ?? DEFAULT_MAX_RECORDS;
    this.http = http.createServer((req, res) => void this.serve(req, res));
    this.http.keepAliveTimeout = 5000;
    this.http.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
  }

  /** --token wins; else the saved token while it still works; else a new one. */
  private pickDefaultToken(saved: SavedSandbox | undefined): { accessToken: string; refreshToken: string } {
    if (!this.options.token && saved && typeof this.state.authenticate(saved.defaultToken) !== 'string') {
      return { accessToken: saved.defaultToken, refreshToken: saved.defaultRefreshToken ?? '' };
    }
    const issued = this.state.issueTokens({ accessToken: this.options.token });
    return { accessToken: issued.accessToken, refreshToken: issued.refreshToken };
  }

  listen(port: number, host: string): Promise<number> {
    return new Promise((resolve, reject) => {
      const onError = (error: Error) => reject(error);
      this.http.once('error', onError);
      this.http.listen(port, host, () => {
        this.http.off('error', onError);
        const address = this.http.address();
        resolve(typeof address === 'object' && address ? address.port : port);
      });
    });
  }

  async stop(): Promise<void> {
    if (this.stopping.signal.aborted) return;
    this.stopping.abort();
    const closed = new Promise<void>((resolve) => this.http.close(() => resolve()));
    for (const socket of this.sockets) socket.destroy();
    this.http.closeAllConnections();
    await closed;
    if (this.options.stateFile) {
      await saveSandbox(this.options.stateFile, {
        app: this.app,
        defaultToken: this.defaultToken.accessToken,
        defaultRefreshToken: this.defaultToken.refreshToken,
        clockOffsetMs: this.clock.offsetMs,
        state: this.state.snapshot(),
      });
    }
  }

  private async serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    this.inProgress++;
    try {
      await this.answer(req, res);
    } finally {
      this.inProgress--;
    }
  }

  private async answer(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = Date.now();
    const exchange: Exchange = {
      receivedAt: started,
      method: req.method ?? 'GET',
      url: new URL(req.url ?? '/', 'http://127.0.0.1'),
      raw: Buffer.alloc(0),
      records: 0,
      headers: {},
    };
    let outcome: Outcome;
    try {
      exchange.raw = await readBody(req);
      exchange.receivedAt = Date.now();
      outcome = await this.route(req, exchange);
    } catch (error) {
      outcome = this.problemOutcome(error, exchange);
    }
    const status = this.send(req, res, exchange, outcome);
    const recorded: RecordedRequest = {
      method: exchange.method,
      path: exchange.url.pathname,
      status,
      records: exchange.records,
      tokenId: exchange.tokenId,
      time: exchange.receivedAt,
      durationMs: Date.now() - started,
    };
    this.state.log.record(recorded);
    this.options.onRequest?.(recorded);
  }

  private async route(req: IncomingMessage, exchange: Exchange): Promise<Outcome> {
    const path = exchange.url.pathname;
    if ((path === '/oauth/' || path === '/oauth') && exchange.method === 'GET') {
      return pageOutcome(this.consent.showPage(exchange.url.searchParams), exchange);
    }
    if (path === '/oauth/decision' && exchange.method === 'POST') {
      return pageOutcome(this.consent.decide(new URLSearchParams(exchange.raw.toString('utf8'))), exchange);
    }
    if (path === CLOCK_PATH) return this.serveClock(exchange);
    if (path === API_PREFIX || path.startsWith(API_PREFIX + '/')) return this.serveApi(req, exchange);
    throw new ApiProblem(404, ErrorCode.notFound, 'Not found: the sandbox API lives under /v5, the consent page at /oauth/ and the clock at /sandbox/clock.');
  }

  private async serveApi(req: IncomingMessage, exchange: Exchange): Promise<Outcome> {
    const match = this.spec.match(exchange.method, exchange.url.pathname.slice(API_PREFIX.length));
    if (match.kind === 'not_found') {
      throw new ApiProblem(404, ErrorCode.notFound, 'No such operation in the Pinterest API subset.', true);
    }
    if (match.kind === 'method_not_allowed') {
      exchange.headers.allow = match.allowed.join(', ');
      throw new ApiProblem(405, ErrorCode.badRequest, `Method not allowed here; use ${match.allowed.join(' or ')}.`, true);
    }
    const { operation, pathParams } = match;
    if (operation.operationId === 'oauth/token') return this.serveTokenEndpoint(req, exchange, operation);

    // Parsed first so every request, even a refused one, is logged with its record count.
    const parsed = parseJson(exchange);
    const token = this.authenticate(req.headers.authorization);
    exchange.tokenId = token.id;
    checkScopes(operation, token, this.options.missingScopeStatus ?? MISSING_SCOPE_STATUS_BY_DEFAULT);
    const isWrite = operation.category === 'ads_write';
    this.applyRateLimit(operation, token, isWrite, exchange);

    const body = checkedJsonBody(req, operation, parsed);
    this.checkAgainstSpec(operation, pathParams, exchange.url.searchParams, body);

    const fault = await this.applyFaults(isWrite);
    if (fault) return fault;
    // Stopped during the latency fault: the client is gone, so the write must not land either.
    if (this.stopping.signal.aborted) return { reset: true };

    const answer = answerApiCall(
      { operation, pathParams, query: exchange.url.searchParams, body: (body ?? {}) as Record<string, unknown>, token },
      this.state,
      { maxRecords: this.maxRecords, strict: Boolean(this.options.strict528) },
    );
    if (isWrite) this.fireWriteFaults(token, answer.customerListId);
    const exceptions = answer.customerListId ? this.faults.listExceptions() : undefined;
    return { status: this.successStatus(operation), body: exceptions ? { ...(answer.body as object), exceptions } : answer.body };
  }

  /** GET shows the sandbox clock; POST {"advanceDays": N} (or "advanceMs") moves it forward. Not a Pinterest call. */
  private serveClock(exchange: Exchange): Outcome {
    if (exchange.method === 'POST') {
      const body = parseJson(exchange);
      const { advanceDays, advanceMs } = (body.kind === 'json' && isPlainObject(body.value) ? body.value : {}) as Record<string, unknown>;
      const ms = typeof advanceDays === 'number' ? advanceDays * DAY_MS : advanceMs;
      if (typeof ms !== 'number' || !Number.isFinite(ms) || ms < 0) {
        throw badRequest('POST /sandbox/clock takes {"advanceDays": N} or {"advanceMs": N} with N ≥ 0: the clock only moves forward.');
      }
      this.clock.advance(ms);
    } else if (exchange.method !== 'GET') {
      exchange.headers.allow = 'GET, POST';
      throw new ApiProblem(405, ErrorCode.badRequest, 'Use GET or POST on /sandbox/clock.');
    }
    const now = this.clock.now();
    return { status: 200, body: { now: new Date(now).toISOString(), offsetDays: this.clock.offsetMs / DAY_MS } };
  }

  private async serveTokenEndpoint(req: IncomingMessage, exchange: Exchange, operation: Operation): Promise<Outcome> {
    const contentType = req.headers['content-type'] ?? '';
    if (!contentType.includes('application/x-www-form-urlencoded')) {
      throw badRequest('The token endpoint takes an application/x-www-form-urlencoded body.', true);
    }
    const form = new URLSearchParams(exchange.raw.toString('utf8'));
    this.checkAgainstSpec(operation, {}, exchange.url.searchParams, Object.fromEntries(form));
    const body = answerTokenRequest(this.state, this.app, req.headers.authorization, form);
    // Granted already (a refresh token rotated): a client that stops waiting loses the new pair.
    const delay = this.faults.tokenAnswerDelay();
    if (delay > 0) await sleep(delay, this.stopping.signal);
    return { status: this.successStatus(operation), body };
  }

  /** API 5.28 added 201 to the creates (and the token endpoint); a strict sandbox answers it. */
  private successStatus(operation: Operation): number {
    return this.options.strict528 && operation.method === 'POST' ? 201 : 200;
  }

  private authenticate(authorization: string | undefined): TokenState {
    const bearer = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '')?.[1];
    const result = this.state.authenticate(bearer);
    if (typeof result !== 'string') return result;
    const messages = {
      missing: 'Authentication failed: no bearer token was sent.',
      invalid: 'Authentication failed: the access token is not valid.',
      expired: 'Authentication failed: the access token has expired.',
      revoked: 'Authentication failed: the access token has been revoked.',
    } as const;
    const problem = unauthorized(messages[result]);
    problem.headers['www-authenticate'] = 'Bearer';
    throw problem;
  }

  private applyRateLimit(operation: Operation, token: TokenState, isWrite: boolean, exchange: Exchange): void {
    const key = `${token.id} ${operation.category}`;
    const taken = isWrite
      ? this.writeQuota.take(key, exchange.receivedAt, this.clock.now())
      : asQuotaDecision(this.readLimiter.take(key, exchange.receivedAt));
    Object.assign(exchange.headers, rateHeaders(taken.shown));
    if (!taken.allowed) {
      if (this.options.retryAfter) exchange.headers['retry-after'] = String(taken.shown.resetSeconds);
      throw new ApiProblem(429, ErrorCode.rateLimited, QUOTA_MESSAGES[taken.refusedBy ?? 'rate']);
    }
  }

  private checkAgainstSpec(operation: Operation, pathParams: Record<string, string>, query: URLSearchParams, body: unknown): void {
    const problems = [
      ...this.spec.checkParameters(operation, pathParams, query),
      ...this.spec.checkBody(operation, body, { closed: Boolean(this.options.strict528) }),
    ];
    if (problems.length > 0) throw badRequest(`Invalid request: ${problems.join('; ')}.`, true);
  }

  private async applyFaults(isWrite: boolean): Promise<Outcome | undefined> {
    const latency = this.faults.latencyFor(isWrite);
    if (latency > 0) await sleep(latency, this.stopping.signal);
    switch (this.faults.decide(isWrite)) {
      case 'reset':
        return { reset: true };
      case 'server_error':
        return {
          status: 503,
          body: { code: ErrorCode.serviceUnavailable, message: 'Service unavailable (a sandbox fault). Try again later.' },
        };
      case 'rate_limited':
        throw new ApiProblem(429, ErrorCode.rateLimited, 'You have exceeded your rate limit. Try again later. (a sandbox fault)', false, {
          ...(this.options.retryAfter ? { 'retry-after': '1' } : {}),
          'x-ratelimit-remaining': '0',
          'x-ratelimit-reset': '1',
        });
      case 'spam':
        return {
          status: 429,
          body: { code: ErrorCode.rateLimited, message: 'Request blocked (a sandbox fault).', message_detail: SPAM_DETAIL },
        };
      case 'request_wide_400':
        throw badRequest('Invalid request: the request could not be processed (a sandbox fault).');
      default:
        return undefined;
    }
  }

  private fireWriteFaults(token: TokenState, customerListId: string | undefined): void {
    const fire = this.faults.afterSuccessfulWrite();
    if (fire.revokeToken) token.revoked = true;
    if (fire.deleteList) {
      const listId = customerListId ?? lastTouchedList(this.state);
      if (listId) this.state.deleteCustomerList(listId);
    }
  }

  private problemOutcome(error: unknown, exchange: Exchange): Outcome {
    if (error instanceof ApiProblem) {
      if (error.violation) {
        this.state.log.recordViolation(`${exchange.method} ${exchange.url.pathname}: ${error.message}`);
      }
      Object.assign(exchange.headers, error.headers);
      return { status: error.status, body: error.body() };
    }
    if (error instanceof BodyTooLargeError) {
      return { status: 413, body: { code: ErrorCode.badRequest, message: 'The request body is too large.' } };
    }
    const message = error instanceof Error ? error.message : String(error);
    return { status: 500, body: { code: 500, message: `Sandbox internal error: ${message}` } };
  }

  /** Writes the outcome; returns the status recorded (0 for a reset). */
  private send(req: IncomingMessage, res: ServerResponse, exchange: Exchange, outcome: Outcome): number {
    if ('reset' in outcome) {
      const socket = req.socket as Socket & { resetAndDestroy?: () => void };
      if (socket.resetAndDestroy) socket.resetAndDestroy();
      else socket.destroy();
      return 0;
    }
    if (res.destroyed) return outcome.status;
    const isText = typeof outcome.body === 'string';
    const payload = isText ? (outcome.body as string) : JSON.stringify(outcome.body);
    res.writeHead(outcome.status, {
      'content-type': outcome.contentType ?? (isText ? 'text/plain; charset=utf-8' : 'application/json'),
      'content-length': Buffer.byteLength(payload),
      ...exchange.headers,
    });
    res.end(payload);
    return outcome.status;
  }
}

function pageOutcome(page: { status: number; headers: Record<string, string>; body: string }, exchange: Exchange): Outcome {
  const { 'content-type': contentType, ...rest } = page.headers;
  Object.assign(exchange.headers, rest);
  return { status: page.status, body: page.body, contentType };
}

type ParsedJson = { kind: 'none' } | { kind: 'json'; value: unknown } | { kind: 'invalid' };

function parseJson(exchange: Exchange): ParsedJson {
  if (exchange.raw.length === 0) return { kind: 'none' };
  let value: unknown;
  try {
    value = JSON.parse(exchange.raw.toString('utf8'));
  } catch {
    return { kind: 'invalid' };
  }
  if (isPlainObject(value) && typeof value.records === 'string') {
    exchange.records = value.records === '' ? 0 : value.records.split(',').length;
  } else if (isPlainObject(value) && Array.isArray(value.records_v2)) {
    exchange.records = value.records_v2.length; // a records_v2 row is one record: one user
  }
  return { kind: 'json', value };
}

function checkedJsonBody(req: IncomingMessage, operation: Operation, parsed: ParsedJson): unknown {
  if (parsed.kind === 'none') return undefined;
  const contentType = req.headers['content-type'] ?? '';
  if (operation.bodySchema && !contentType.includes('application/json')) {
    throw badRequest('The request body must be JSON (Content-Type: application/json).', true);
  }
  if (parsed.kind === 'invalid') throw badRequest('The request body is not valid JSON.', true);
  return parsed.value;
}

function checkScopes(operation: Operation, token: TokenState, status: 401 | 403): void {
  const missing = operation.scopes.filter((scope) => !token.scopes.includes(scope));
  if (missing.length > 0) {
    throw new ApiProblem(status, ErrorCode.missingScope, `${MISSING_SCOPE_MESSAGE} Missing scope: ${missing.join(', ')}.`);
  }
}

function asQuotaDecision(decision: RateDecision): WriteDecision {
  return { allowed: decision.allowed, refusedBy: decision.allowed ? undefined : 'rate', shown: decision };
}

function rateHeaders(decision: RateDecision): Record<string, string> {
  return {
    'x-ratelimit-limit': String(decision.limit),
    'x-ratelimit-remaining': String(decision.remaining),
    'x-ratelimit-reset': String(decision.resetSeconds),
  };
}

function lastTouchedList(state: SandboxState): string | undefined {
  let latest: { id: string; updatedTime: number } | undefined;
  for (const list of state.customerLists.values()) {
    if (!latest || list.updatedTime >= latest.updatedTime) latest = list;
  }
  return latest?.id;
}

class BodyTooLargeError extends Error {}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) tooLarge = true;
      else chunks.push(chunk);
    });
    req.on('end', () => (tooLarge ? reject(new BodyTooLargeError()) : resolve(Buffer.concat(chunks))));
    req.on('error', reject);
    // A client that hangs up mid-body: settle anyway (a no-op if 'end' came first).
    req.on('close', () => reject(new Error('The client closed the connection before sending the whole body.')));
  });
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done);
  });
}
