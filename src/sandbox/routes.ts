// The sandbox's API operations (user account, ad accounts, audiences, customer lists), called once a
// request has passed auth, rate limit, spec validation and faults. Each returns the JSON to answer.
import { audienceRefusal } from './list-readiness.js';
import type { Operation } from './openapi.js';
import { badRequest, forbidden, notFound } from './problems.js';
import { findBadRecord, findBadRow, LIST_TYPES, splitRecords, type ListType, type RecordRow } from './records.js';
import { adAccountView, audienceView, customerListView } from './views.js';
import type { AdAccountState, AudienceRule, AudienceState, CustomerListState, SandboxState, TokenState } from './state.js';

export interface ApiCall {
  operation: Operation;
  pathParams: Record<string, string>;
  query: URLSearchParams;
  /** The parsed JSON body, already checked against the spec. */
  body: Record<string, unknown>;
  token: TokenState;
}

export interface ApiAnswer {
  body: unknown;
  /** The customer list a write touched (for the deleteListAfterWrites fault). */
  customerListId?: string;
}

export interface RouteLimits {
  /** Records (or records_v2 rows) per customer-list request. */
  maxRecords: number;
  /** Strict API 5.28: records_v2 rows may hold only the fields 5.28 names. */
  strict: boolean;
}

const WRITE_ROLES = new Set(['OWNER', 'ADMIN', 'AUDIENCE_MANAGER', 'CAMPAIGN_MANAGER']);
const ACTALIKE_COUNTRIES = ['US', 'CA', 'GB'];
const DEFAULT_PAGE_SIZE = 25;

export function answerApiCall(call: ApiCall, state: SandboxState, limits: RouteLimits): ApiAnswer {
  switch (call.operation.operationId) {
    case 'user_account/get':
      return { body: userAccount(state, call) };
    case 'ad_accounts/list':
      return { body: paginate([...state.adAccounts.values()].map((a) => adAccountView(state, a)), call.query) };
    case 'ad_accounts/get':
      return { body: adAccountView(state, readableAccount(state, call)) };
    case 'audiences/list':
      return { body: listAudiences(state, call) };
    case 'audiences/create':
      return { body: createAudience(state, call) };
    case 'audiences/get':
      return { body: audienceView(state, findAudience(state, readableAccount(state, call), call.pathParams.audience_id!, true)) };
    case 'audiences/update':
      return { body: updateAudience(state, call) };
    case 'customer_lists/list':
      return { body: listCustomerLists(state, call) };
    case 'customer_lists/create':
      return createCustomerList(state, call, limits);
    case 'customer_lists/get':
      return { body: customerListView(state, findList(state, readableAccount(state, call), call.pathParams.customer_list_id!)) };
    case 'customer_lists/update':
      return updateCustomerList(state, call, limits);
    default:
      throw notFound(`The sandbox does not implement ${call.operation.operationId}.`);
  }
}

function userAccount(state: SandboxState, call: ApiCall): Record<string, unknown> {
  const adAccountId = call.query.get('ad_account_id');
  if (adAccountId !== null && !state.adAccount(adAccountId)) throw notFound(`Ad account ${adAccountId} not found.`);
  return {
    account_type: 'BUSINESS',
    id: state.user.id,
    username: state.user.username,
    business_name: state.user.business_name,
    about: 'The pinsync sandbox user.',
    profile_image: '',
    website_url: '',
    board_count: 0,
    pin_count: 0,
    follower_count: 0,
    following_count: 0,
    monthly_views: 0,
  };
}

function readableAccount(state: SandboxState, call: ApiCall): AdAccountState {
  const id = call.pathParams.ad_account_id!;
  const account = state.adAccount(id);
  if (!account) throw notFound(`Ad account ${id} not found.`);
  return account;
}

function writableAccount(state: SandboxState, call: ApiCall): AdAccountState {
  const account = readableAccount(state, call);
  if (!account.permissions.some((role) => WRITE_ROLES.has(role))) {
    throw forbidden(
      `You do not have permission to change ad account ${account.id}: your access is read-only (${account.permissions.join(', ')}).`,
    );
  }
  return account;
}

/** An audience of the account; `sharedToo`: or one shared into it (it can be read there, never changed). */
function findAudience(state: SandboxState, account: AdAccountState, id: string, sharedToo = false): AudienceState {
  const audience = state.audience(id);
  const reachable = audience && (audience.adAccountId === account.id || (sharedToo && audience.sharedWith.includes(account.id)));
  if (!reachable) throw notFound(`Audience ${id} not found in ad account ${account.id}.`);
  return audience;
}

function findList(state: SandboxState, account: AdAccountState, id: string): CustomerListState {
  const list = state.customerList(id);
  if (!list || list.adAccountId !== account.id) throw notFound(`Customer list ${id} not found in ad account ${account.id}.`);
  return list;
}

// ---- pagination -------------------------------------------------------------------------------

function paginate<T>(items: T[], query: URLSearchParams): { items: T[]; bookmark: string | null } {
  const pageSize = Number(query.get('page_size') ?? DEFAULT_PAGE_SIZE);
  const offset = decodeBookmark(query.get('bookmark'));
  const page = items.slice(offset, offset + pageSize);
  const next = offset + pageSize;
  return { items: page, bookmark: next < items.length ? encodeBookmark(next) : null };
}

function encodeBookmark(offset: number): string {
  return Buffer.from(`sandbox:${offset}`).toString('base64url');
}

function decodeBookmark(bookmark: string | null): number {
  if (bookmark === null || bookmark === '') return 0;
  const match = /^sandbox:(\d+)$/.exec(Buffer.from(bookmark, 'base64url').toString('utf8'));
  if (!match) throw badRequest('The bookmark is not one this API handed out; pass the bookmark of the previous page unchanged.');
  return Number(match[1]);
}

function ordered<T extends { id: string }>(items: T[], order: string | null): T[] {
  const sorted = [...items].sort((a, b) => (a.id.length - b.id.length) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return order === 'DESCENDING' ? sorted.reverse() : sorted;
}

// ---- audiences --------------------------------------------------------------------------------

/**
 * API 5.28: without `ownership_type` the account's own audiences and those shared into it are listed
 * (the default OWNED was removed); `exclude_nca=true` leaves out audiences built on NCA lists.
 */
function listAudiences(state: SandboxState, call: ApiCall): unknown {
  const account = readableAccount(state, call);
  const ownership = call.query.get('ownership_type');
  const owned = ownership === 'RECEIVED' ? [] : state.audiencesOf(account.id);
  const received = ownership === 'OWNED' ? [] : state.audiencesSharedInto(account.id);
  const listed = [...owned, ...received].filter((audience) => call.query.get('exclude_nca') !== 'true' || !audience.isNca);
  return paginate(ordered(listed, call.query.get('order')).map((a) => audienceView(state, a)), call.query);
}

function createAudience(state: SandboxState, call: ApiCall): unknown {
  const account = writableAccount(state, call);
  const body = call.body;
  const audienceType = String(body.audience_type);
  const rule = checkAudienceRule(state, account, audienceType, body.rule as AudienceRule);
  const list = rule.customer_list_id ? state.customerList(rule.customer_list_id) : undefined;
  const audience = state.createAudience(account.id, {
    name: String(body.name),
    audienceType,
    rule,
    description: typeof body.description === 'string' ? body.description : null,
    isNca: list?.isNca ?? false,
  });
  return audienceView(state, audience);
}

function updateAudience(state: SandboxState, call: ApiCall): unknown {
  const account = writableAccount(state, call);
  const audience = findAudience(state, account, call.pathParams.audience_id!);
  const body = call.body;
  if (body.operation_type === 'REMOVE') {
    audience.archived = true;
  } else {
    if (typeof body.name === 'string') audience.name = body.name;
    if (typeof body.description === 'string') audience.description = body.description;
    if (body.rule !== undefined) audience.rule = checkAudienceRule(state, account, audience.audienceType, body.rule as AudienceRule);
  }
  audience.updatedTimestamp = Math.floor(state.now() / 1000);
  return audienceView(state, audience);
}

function checkAudienceRule(
  state: SandboxState,
  account: AdAccountState,
  audienceType: string,
  rule: AudienceRule | undefined,
): AudienceRule {
  if (!rule) throw badRequest('rule is required.');
  if (audienceType === 'CUSTOMER_LIST') return checkCustomerListRule(state, account, rule);
  if (audienceType === 'ACTALIKE') return checkActalikeRule(state, account, rule);
  throw badRequest(`The sandbox only creates CUSTOMER_LIST and ACTALIKE audiences, not ${audienceType}.`);
}

function checkCustomerListRule(state: SandboxState, account: AdAccountState, rule: AudienceRule): AudienceRule {
  const listId = rule.customer_list_id;
  if (typeof listId !== 'string' || listId === '') {
    throw badRequest('A CUSTOMER_LIST audience needs rule.customer_list_id.');
  }
  const list = state.customerList(listId);
  if (!list || list.adAccountId !== account.id) {
    throw badRequest(`rule.customer_list_id ${listId} is not a customer list of ad account ${account.id}.`);
  }
  const refusal = state.listRules.audiencesNeedReadyList ? audienceRefusal(list, state.now()) : undefined;
  if (refusal) throw badRequest(refusal);
  return { customer_list_id: listId };
}

function checkActalikeRule(state: SandboxState, account: AdAccountState, rule: AudienceRule): AudienceRule {
  const seeds = rule.seed_id;
  if (!Array.isArray(seeds) || seeds.length === 0) {
    throw badRequest('An ACTALIKE audience needs rule.seed_id: a list of audience ids.');
  }
  for (const seed of seeds) {
    const audience = state.audience(seed);
    if (!audience || audience.adAccountId !== account.id || audience.archived) {
      throw badRequest(`rule.seed_id ${seed} is not an audience of ad account ${account.id}.`);
    }
  }
  if (typeof rule.country !== 'string' || !ACTALIKE_COUNTRIES.includes(rule.country)) {
    throw badRequest(`An ACTALIKE audience needs rule.country, one of ${ACTALIKE_COUNTRIES.join(', ')}.`);
  }
  const percentage = rule.percentage;
  if (typeof percentage !== 'number' || !Number.isInteger(percentage) || percentage < 1 || percentage > 10) {
    throw badRequest('An ACTALIKE audience needs rule.percentage, a whole number from 1 to 10.');
  }
  return { seed_id: [...seeds], country: rule.country, percentage };
}

// ---- customer lists ---------------------------------------------------------------------------

function listCustomerLists(state: SandboxState, call: ApiCall): unknown {
  const account = readableAccount(state, call);
  const all = state.customerListsOf(account.id).filter((list) => call.query.get('exclude_nca') !== 'true' || !list.isNca);
  const lists = ordered(all, call.query.get('order'));
  return paginate(lists.map((list) => customerListView(state, list)), call.query);
}

function createCustomerList(state: SandboxState, call: ApiCall, limits: RouteLimits): ApiAnswer {
  const account = writableAccount(state, call);
  const listType = (call.body.list_type ?? 'EMAIL') as ListType;
  if (!LIST_TYPES.includes(listType)) throw badRequest(`list_type must be one of ${LIST_TYPES.join(', ')}.`, true);
  const upload = checkedUpload(call.body, listType, limits);
  const list = state.createCustomerList(account.id, { name: String(call.body.name), listType, ...upload, isNca: call.body.is_nca === true });
  return { body: customerListView(state, list), customerListId: list.id };
}

function updateCustomerList(state: SandboxState, call: ApiCall, limits: RouteLimits): ApiAnswer {
  const account = writableAccount(state, call);
  const list = findList(state, account, call.pathParams.customer_list_id!);
  const upload = checkedUpload(call.body, list.listType, limits);
  const remove = call.body.operation_type === 'REMOVE';
  if (upload.rows) (remove ? state.removeRows : state.addRows).call(state, list, upload.rows);
  else (remove ? state.removeRecords : state.addRecords).call(state, list, upload.records);
  return { body: customerListView(state, list), customerListId: list.id };
}

/** API 5.28: a create or PATCH carries exactly one of `records` (one string) and `records_v2` (rows). */
function checkedUpload(body: Record<string, unknown>, listType: ListType, limits: RouteLimits): { records: string[]; rows?: undefined } | { rows: RecordRow[]; records?: undefined } {
  const hasRecords = body.records !== undefined;
  if (hasRecords === (body.records_v2 !== undefined)) throw badRequest('Provide exactly one of records or records_v2.', true);
  return hasRecords ? { records: checkedRecords(body.records, listType, limits) } : { rows: checkedRows(body.records_v2, limits) };
}

/** Checks records_v2 rows; errors name the index of the first bad row, never a value. */
function checkedRows(value: unknown, limits: RouteLimits): RecordRow[] {
  if (!Array.isArray(value)) throw badRequest('records_v2 must be an array of rows.', true);
  if (value.length > limits.maxRecords) {
    throw badRequest(`Too many rows: ${value.length} in one request, at most ${limits.maxRecords} are allowed. Split them into smaller batches.`, true);
  }
  const bad = findBadRow(value, limits.strict);
  if (bad) throw badRequest(`Row at index ${bad.index} ${bad.reason}.`, true);
  return value as RecordRow[];
}

/** Splits and checks `records`; errors name the index of the first bad record, never its value. */
function checkedRecords(value: unknown, listType: ListType, limits: RouteLimits): string[] {
  if (typeof value !== 'string') throw badRequest('records must be a comma-separated string.', true);
  const entries = splitRecords(value);
  if (entries.length > limits.maxRecords) {
    throw badRequest(
      `Too many records: ${entries.length} in one request, at most ${limits.maxRecords} are allowed. Split them into smaller batches.`,
      true,
    );
  }
  const bad = findBadRecord(entries, listType);
  if (bad) throw badRequest(`Record at index ${bad.index} ${bad.reason}.`, true);
  return entries;
}
