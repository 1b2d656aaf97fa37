// Everything the sandbox remembers, in memory: the user, ad accounts, customer lists (with the records
// they hold), audiences, tokens and OAuth codes; the request log (request-log.ts) hangs off it.
import { randomBytes } from 'node:crypto';
import { isMatchedUser, rowIdentifiers, userKeyOf, type ListType, type RecordRow } from './records.js';
import { listRulesFrom, type ListRules } from './list-readiness.js';
import { DEFAULT_REQUEST_LOG_SIZE, RequestLog, type RecordedRequest, type SandboxStats } from './request-log.js';

export { DEFAULT_REQUEST_LOG_SIZE, type RecordedRequest, type SandboxStats } from './request-log.js';

export const ALL_SCOPES = ['ads:read', 'ads:write', 'user_accounts:read'] as const;
export const ACCESS_TOKEN_TTL_SECONDS = 30 * 24 * 3600;
export const REFRESH_TOKEN_TTL_SECONDS = 60 * 24 * 3600;
export const AUTHORIZATION_CODE_TTL_MS = 10 * 60 * 1000;

export const US_AD_ACCOUNT_ID = '549755885175';
export const CA_AD_ACCOUNT_ID = '549755885176';
/** Another business's ad account, out of the sandbox user's reach: audiences shared into the user's accounts live there. */
export const PARTNER_AD_ACCOUNT_ID = '549755885999';
/** records_v2 rows each list keeps as received (for tests to look at), the oldest dropped past this many. */
export const RECEIVED_ROWS_KEPT = 100_000;

export interface SandboxUser {
  id: string;
  username: string;
  business_name: string;
}

export interface AdAccountState {
  id: string;
  name: string;
  country: string;
  currency: string;
  /** The caller's business-access roles; without OWNER, ADMIN or AUDIENCE_MANAGER writes get 403. */
  permissions: string[];
  createdTime: number;
}

export interface CustomerListState {
  id: string;
  adAccountId: string;
  name: string;
  listType: ListType;
  /** The records the list holds now (as sent: hashed, or lowercase plain emails). */
  records: Set<string>;
  /**
   * records_v2 users, by the identifier each is counted by (userKeyOf: email, else MAID, else phone);
   * a `records` upload counts every record as a user.
   */
  userKeys: Set<string>;
  /** The records_v2 rows ADDed, as received (the last RECEIVED_ROWS_KEPT; not saved with --state). */
  receivedRows: RecordRow[];
  /** How many users (records, or records_v2 users) the sandbox counts as matched Pinterest users. */
  matched: number;
  /** Uploaded for new customer acquisition (API 5.28 `is_nca`). */
  isNca: boolean;
  numUploadedUserRecords: number;
  numRemovedUserRecords: number;
  numBatches: number;
  /** Epoch ms (the state's clock) until which the list is PROCESSING; absent or past: done. */
  processingUntil?: number;
  createdTime: number;
  updatedTime: number;
}

export interface AudienceRule {
  customer_list_id?: string;
  seed_id?: string[];
  country?: string;
  percentage?: number;
  [key: string]: unknown;
}

export interface AudienceState {
  id: string;
  adAccountId: string;
  name: string;
  description: string | null;
  audienceType: string;
  rule: AudienceRule;
  archived: boolean;
  /** Built on a new-customer-acquisition list (API 5.28 `is_nca`). */
  isNca: boolean;
  /** Ad accounts this audience is shared into (it is RECEIVED there, OWNED by `adAccountId`). */
  sharedWith: string[];
  createdTimestamp: number;
  updatedTimestamp: number;
}

export interface TokenState {
  /** A short, printable id for logs and `requests` (the token itself is never recorded). */
  id: string;
  accessToken: string;
  scopes: string[];
  /** Epoch milliseconds. */
  expiresAt: number;
  revoked: boolean;
  /** The login this token descends from (one per authorization; refreshes stay in it). */
  family?: string;
}

interface RefreshTokenState {
  refreshToken: string;
  scopes: string[];
  expiresAt: number;
  revoked: boolean;
  family?: string;
  /** Exchanged once already (strict mode refuses it from then on). */
  spent?: boolean;
}

export interface AuthorizationCode {
  code: string;
  redirectUri: string;
  scopes: string[];
  expiresAt: number;
  used: boolean;
}

export interface IssueTokensOptions {
  scopes?: string[];
  /** Access-token lifetime; 0 or less gives a token that is already expired. Default 30 days. */
  expiresInSeconds?: number;
  refreshExpiresInSeconds?: number;
  /** Fix the access token's value (e.g. `pinsync sandbox --token`). */
  accessToken?: string;
  /** The login the tokens belong to (a refresh keeps it); default: a new one. */
  family?: string;
}

export interface IssuedTokens {
  accessToken: string;
  refreshToken: string;
  /** Access-token expiry, epoch milliseconds. */
  expiresAt: number;
  /** Refresh-token expiry, epoch milliseconds. */
  refreshExpiresAt: number;
  scopes: string[];
  /** False when a legacy refresh answered no new refresh token. */
  rotated?: boolean;
}

export type AuthFailure = 'missing' | 'invalid' | 'expired' | 'revoked';

/** What `--state FILE` keeps between runs: lists (with records), audiences and tokens. */
export interface SandboxSnapshot {
  version: 1;
  customerLists: Array<Omit<CustomerListState, 'records' | 'userKeys' | 'receivedRows' | 'isNca'> & { records: string[]; userKeys?: string[]; isNca?: boolean }>;
  audiences: AudienceState[];
  tokens: TokenState[];
  refreshTokens: RefreshTokenState[];
  next: { token: number; audience: number; list: number };
}

export class SandboxState {
  readonly user: SandboxUser = { id: '1000000000000000001', username: 'sandbox_user', business_name: 'Sandbox Business' };
  readonly adAccounts = new Map<string, AdAccountState>();
  readonly customerLists = new Map<string, CustomerListState>();
  readonly audiences = new Map<string, AudienceState>();
  readonly tokens = new Map<string, TokenState>();
  /** The requests, violations and counters tests inspect. */
  readonly log: RequestLog;
  private readonly refreshTokens = new Map<string, RefreshTokenState>();
  private readonly codes = new Map<string, AuthorizationCode>();
  private nextTokenNumber = 1;
  private nextAudienceNumber = 1;
  private nextListNumber = 1;
  /**
   * Strict refresh tokens: each works once (continuous refresh tokens rotate, and the one used may stop
   * working at once), and presenting a spent one again revokes every token of its login (reuse
   * detection, OAuth 2.0 Security BCP 4.14.2). Off: a used refresh token keeps working until it expires.
   */
  strictRefresh = false;
  /**
   * Continuous refresh tokens (Pinterest since May 2025): a refresh answers a new refresh token with 60
   * fresh days. Off: the legacy kind, whose refresh answers only an access token (the refresh token keeps
   * its own expiry).
   */
  continuousRefresh = true;

  constructor(
    requestLogSize = DEFAULT_REQUEST_LOG_SIZE,
    /** The clock for token, code and timestamp times (tests may move it forward). */
    readonly now: () => number = Date.now,
    /** Matching, processing time and whether audiences need a READY list. */
    readonly listRules: ListRules = listRulesFrom(),
  ) {
    this.log = new RequestLog(requestLogSize);
    const created = Math.floor(this.now() / 1000);
    this.adAccounts.set(US_AD_ACCOUNT_ID, {
      id: US_AD_ACCOUNT_ID,
      name: 'Sandbox Ads US',
      country: 'US',
      currency: 'USD',
      permissions: ['OWNER'],
      createdTime: created,
    });
    this.adAccounts.set(CA_AD_ACCOUNT_ID, {
      id: CA_AD_ACCOUNT_ID,
      name: 'Sandbox Ads CA',
      country: 'CA',
      currency: 'CAD',
      permissions: ['ANALYST'],
      createdTime: created,
    });
  }

  // ---- tokens ---------------------------------------------------------------------------------

  issueTokens(options: IssueTokensOptions = {}): IssuedTokens {
    const scopes = [...(options.scopes ?? ALL_SCOPES)];
    const now = this.now();
    const accessToken = options.accessToken ?? `pina_sandbox_${randomBytes(24).toString('hex')}`;
    const expiresAt = now + (options.expiresInSeconds ?? ACCESS_TOKEN_TTL_SECONDS) * 1000;
    const refreshExpiresAt = now + (options.refreshExpiresInSeconds ?? REFRESH_TOKEN_TTL_SECONDS) * 1000;
    const refreshToken = `pinr_sandbox_${randomBytes(24).toString('hex')}`;
    const family = options.family ?? `login-${randomBytes(6).toString('hex')}`;
    this.tokens.set(accessToken, { id: `token-${this.nextTokenNumber++}`, accessToken, scopes, expiresAt, revoked: false, family });
    this.refreshTokens.set(refreshToken, { refreshToken, scopes, expiresAt: refreshExpiresAt, revoked: false, family });
    return { accessToken, refreshToken, expiresAt, refreshExpiresAt, scopes };
  }

  /** How many refresh tokens of `refreshToken`'s login still work (tests: "one working chain"). */
  liveRefreshTokensOf(refreshToken: string): number {
    const family = this.refreshTokens.get(refreshToken)?.family;
    if (family === undefined) return 0;
    let live = 0;
    for (const token of this.refreshTokens.values()) {
      if (token.family === family && this.usable(token)) live++;
    }
    return live;
  }

  /** Every token value the sandbox ever issued (tests grep files for them). */
  issuedTokenValues(): string[] {
    return [...this.tokens.keys(), ...this.refreshTokens.keys()];
  }

  /** Revokes an access or a refresh token; true if the sandbox knew it. */
  revokeToken(token: string): boolean {
    const access = this.tokens.get(token);
    if (access) access.revoked = true;
    const refresh = this.refreshTokens.get(token);
    if (refresh) refresh.revoked = true;
    return Boolean(access || refresh);
  }

  /** The token's state, or why it cannot be used. */
  authenticate(accessToken: string | undefined): TokenState | AuthFailure {
    if (!accessToken) return 'missing';
    const token = this.tokens.get(accessToken);
    if (!token) return 'invalid';
    if (token.revoked) return 'revoked';
    if (this.now() >= token.expiresAt) return 'expired';
    return token;
  }

  /**
   * Exchanges a refresh token for new tokens (a new refresh token with a fresh 60 days: continuous
   * refresh). In strict mode the one used is spent, and a spent one presented again revokes its login.
   */
  rotateRefreshToken(refreshToken: string, scopes?: string[]): IssuedTokens | undefined {
    const current = this.refreshTokens.get(refreshToken);
    if (current?.spent && this.strictRefresh) {
      this.revokeFamily(current.family);
      return undefined;
    }
    if (!current || !this.usable(current)) return undefined;
    if (scopes && !scopes.every((scope) => current.scopes.includes(scope))) return undefined;
    const issued = this.issueTokens({ scopes: scopes ?? current.scopes, family: current.family });
    if (!this.continuousRefresh) return { ...issued, refreshToken: current.refreshToken, refreshExpiresAt: current.expiresAt, rotated: false };
    current.spent = true;
    return issued;
  }

  private usable(token: RefreshTokenState): boolean {
    return !token.revoked && this.now() < token.expiresAt && !(this.strictRefresh && token.spent);
  }

  private revokeFamily(family: string | undefined): void {
    if (family === undefined) return;
    for (const token of this.tokens.values()) if (token.family === family) token.revoked = true;
    for (const token of this.refreshTokens.values()) if (token.family === family) token.revoked = true;
  }

  createAuthorizationCode(redirectUri: string, scopes: string[]): string {
    const code = randomBytes(20).toString('hex');
    this.codes.set(code, { code, redirectUri, scopes, expiresAt: this.now() + AUTHORIZATION_CODE_TTL_MS, used: false });
    return code;
  }

  /** Uses up a code; undefined if unknown, used, expired or issued for another redirect URI. */
  redeemAuthorizationCode(code: string, redirectUri: string): AuthorizationCode | undefined {
    const entry = this.codes.get(code);
    if (!entry || entry.used || this.now() >= entry.expiresAt || entry.redirectUri !== redirectUri) return undefined;
    entry.used = true;
    return entry;
  }

  // ---- ad accounts, customer lists, audiences -------------------------------------------------

  adAccount(id: string): AdAccountState | undefined {
    return this.adAccounts.get(id);
  }

  customerList(id: string): CustomerListState | undefined {
    return this.customerLists.get(id);
  }

  audience(id: string): AudienceState | undefined {
    return this.audiences.get(id);
  }

  customerListsOf(adAccountId: string): CustomerListState[] {
    return [...this.customerLists.values()].filter((list) => list.adAccountId === adAccountId);
  }

  audiencesOf(adAccountId: string): AudienceState[] {
    return [...this.audiences.values()].filter((audience) => audience.adAccountId === adAccountId);
  }

  /** Audiences other accounts shared into this one (RECEIVED there). */
  audiencesSharedInto(adAccountId: string): AudienceState[] {
    return [...this.audiences.values()].filter((audience) => audience.sharedWith.includes(adAccountId));
  }

  /**
   * An audience of another business (its list in PARTNER_AD_ACCOUNT_ID, out of reach) shared into
   * `intoAdAccountId`: since API 5.28 it is listed beside the account's own. Arranges tests and demos.
   */
  seedSharedAudience(name: string, intoAdAccountId = US_AD_ACCOUNT_ID): AudienceState {
    const list = this.createCustomerList(PARTNER_AD_ACCOUNT_ID, { name, records: [] });
    const audience = this.createAudience(PARTNER_AD_ACCOUNT_ID, { name, rule: { customer_list_id: list.id } });
    audience.sharedWith.push(intoAdAccountId);
    return audience;
  }

  /** Creates a list holding `records` (already split and valid). Also handy for arranging tests. */
  createCustomerList(adAccountId: string, init: { name: string; listType?: ListType; records?: string[]; rows?: RecordRow[]; isNca?: boolean }): CustomerListState {
    const now = Math.floor(this.now() / 1000);
    const list: CustomerListState = {
      id: String(3_461_700_000_000 + this.nextListNumber++),
      adAccountId,
      name: init.name,
      listType: init.listType ?? 'EMAIL',
      records: new Set(),
      userKeys: new Set(),
      receivedRows: [],
      matched: 0,
      isNca: init.isNca ?? false,
      numUploadedUserRecords: 0,
      numRemovedUserRecords: 0,
      numBatches: 0,
      createdTime: now,
      updatedTime: now,
    };
    this.customerLists.set(list.id, list);
    if (init.rows) this.addRows(list, init.rows);
    else this.addRecords(list, init.records ?? []);
    return list;
  }

  /** ADD: every record counts as uploaded, even one the list already holds. */
  addRecords(list: CustomerListState, records: string[]): void {
    for (const record of records) {
      if (list.records.has(record)) continue;
      list.records.add(record);
      if (isMatchedUser(record, this.listRules.matchedShare)) list.matched++;
    }
    list.numUploadedUserRecords += records.length;
    this.touchBatch(list);
  }

  /** REMOVE: every record counts as removed, even one the list does not hold. */
  removeRecords(list: CustomerListState, records: string[]): void {
    for (const record of records) {
      if (!list.records.delete(record)) continue;
      list.userKeys.delete(record);
      if (isMatchedUser(record, this.listRules.matchedShare)) list.matched--;
    }
    list.numRemovedUserRecords += records.length;
    this.touchBatch(list);
  }

  /**
   * ADD records_v2 rows: each row's identifiers join the list, and the row counts as one user (by its
   * email, else MAID, else phone) unless the list holds that user already.
   */
  addRows(list: CustomerListState, rows: RecordRow[]): void {
    for (const row of rows) {
      for (const identifier of rowIdentifiers(row)) list.records.add(identifier);
      const key = userKeyOf(row);
      if (key !== undefined && !list.userKeys.has(key)) {
        list.userKeys.add(key);
        if (isMatchedUser(key, this.listRules.matchedShare)) list.matched++;
      }
      list.receivedRows.push(row);
    }
    if (list.receivedRows.length > RECEIVED_ROWS_KEPT * 1.1) list.receivedRows.splice(0, list.receivedRows.length - RECEIVED_ROWS_KEPT);
    list.numUploadedUserRecords += rows.length;
    this.touchBatch(list);
  }

  /** REMOVE records_v2 rows: each row's identifiers leave the list; a user counted by one of them leaves too. */
  removeRows(list: CustomerListState, rows: RecordRow[]): void {
    for (const row of rows) {
      for (const identifier of rowIdentifiers(row)) {
        list.records.delete(identifier);
        if (list.userKeys.delete(identifier) && isMatchedUser(identifier, this.listRules.matchedShare)) list.matched--;
      }
    }
    list.numRemovedUserRecords += rows.length;
    this.touchBatch(list);
  }

  /** The list and every audience built on it vanish (the deleteListAfterWrites fault). */
  deleteCustomerList(id: string): void {
    this.customerLists.delete(id);
    for (const audience of this.audiences.values()) {
      if (audience.rule.customer_list_id === id) this.audiences.delete(audience.id);
    }
  }

  /** Creates an audience without checking its rule (the route checks). Also handy for arranging tests. */
  createAudience(
    adAccountId: string,
    init: { name: string; audienceType?: string; rule?: AudienceRule; description?: string | null; isNca?: boolean },
  ): AudienceState {
    const now = Math.floor(this.now() / 1000);
    const audience: AudienceState = {
      id: String(2_542_620_000_000 + this.nextAudienceNumber++),
      adAccountId,
      name: init.name,
      description: init.description ?? null,
      audienceType: init.audienceType ?? 'CUSTOMER_LIST',
      rule: init.rule ?? {},
      archived: false,
      isNca: init.isNca ?? false,
      sharedWith: [],
      createdTimestamp: now,
      updatedTimestamp: now,
    };
    this.audiences.set(audience.id, audience);
    return audience;
  }

  // ---- persistence (--state FILE) --------------------------------------------------------------

  snapshot(): SandboxSnapshot {
    return {
      version: 1,
      customerLists: [...this.customerLists.values()].map(({ receivedRows: _rows, ...list }) => ({ ...list, records: [...list.records], userKeys: [...list.userKeys] })),
      audiences: [...this.audiences.values()],
      tokens: [...this.tokens.values()],
      refreshTokens: [...this.refreshTokens.values()],
      next: { token: this.nextTokenNumber, audience: this.nextAudienceNumber, list: this.nextListNumber },
    };
  }

  restore(snapshot: SandboxSnapshot): void {
    if (snapshot.version !== 1) throw new Error(`Unknown sandbox state version ${String(snapshot.version)}.`);
    for (const list of snapshot.customerLists) {
      this.customerLists.set(list.id, { ...list, records: new Set(list.records), userKeys: new Set(list.userKeys ?? []), receivedRows: [], isNca: list.isNca ?? false });
    }
    for (const audience of snapshot.audiences) this.audiences.set(audience.id, { ...audience, isNca: audience.isNca ?? false, sharedWith: audience.sharedWith ?? [] });
    for (const token of snapshot.tokens) this.tokens.set(token.accessToken, token);
    for (const refresh of snapshot.refreshTokens) this.refreshTokens.set(refresh.refreshToken, refresh);
    this.nextTokenNumber = snapshot.next.token;
    this.nextAudienceNumber = snapshot.next.audience;
    this.nextListNumber = snapshot.next.list;
  }

  /** Last requests, oldest first (see RequestLog). */
  get requests(): RecordedRequest[] {
    return this.log.requests;
  }

  get violations(): string[] {
    return this.log.violations;
  }

  get stats(): SandboxStats {
    return this.log.stats;
  }

  private touchBatch(list: CustomerListState): void {
    list.numBatches++;
    list.updatedTime = Math.floor(this.now() / 1000);
    if (this.listRules.processingMs > 0) list.processingUntil = this.now() + this.listRules.processingMs;
  }
}
