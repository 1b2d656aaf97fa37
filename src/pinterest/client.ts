// PinterestClient: the typed Pinterest API v5 calls pinsync makes. Each goes through the call engine
// (call.ts: rate limit, retries, token refresh) over the transport (transport.ts: HTTP, proxies).
import { CallEngine, type CallOptions, type ClientStats, type PinterestClientOptions } from './call.js';
import { ListExceptions, type ListException } from './list-exceptions.js';
import { DEFAULT_PAGE_SIZE, paginate } from './pages.js';
import type {
  AdAccount,
  Audience,
  AudienceCreateRequest,
  CustomerList,
  CustomerListRequest,
  CustomerListUpdateRequest,
} from './types.generated.js';

export type { CallOptions, ClientEvent, ClientStats, PinterestClientOptions } from './call.js';

/**
 * Which audiences a listing asks for. Since API 5.28 a GET without `ownership_type` lists the audiences
 * shared into the account (RECEIVED) beside its own (OWNED), and `exclude_nca` leaves out those built on
 * new-customer-acquisition lists (pinterest/api-description v5/changelog-5.23-to-5.28.md, "Audiences").
 */
export interface AudienceListing {
  ownership?: 'OWNED' | 'RECEIVED';
  excludeNca?: boolean;
}
export type { ListException } from './list-exceptions.js';

/** Seconds of clock difference tolerated when matching a created object's timestamp. */
const CLOCK_SKEW_S = 120;

export class PinterestClient {
  private readonly engine: CallEngine;
  private readonly exceptions = new ListExceptions();

  private readonly tokens: PinterestClientOptions['tokens'];

  constructor(options: PinterestClientOptions) {
    this.engine = new CallEngine(options);
    this.tokens = options.tokens;
  }

  get stats(): ClientStats {
    return this.engine.stats;
  }

  /** When the refresh token behind this client's tokens expires (epoch ms), if known. */
  refreshExpiresAt(): number | undefined {
    return this.tokens.refreshExpiresAt?.();
  }

  /** What customer-list create and PATCH answers carried in `exceptions`, with how many batches each. */
  listExceptions(): ListException[] {
    return this.exceptions.list();
  }

  userAccount(options?: CallOptions) {
    return this.engine.call('GET /user_account', {}, options);
  }

  adAccounts(options?: CallOptions): AsyncGenerator<AdAccount, void, undefined> {
    return paginate((bookmark) =>
      this.engine.call('GET /ad_accounts', { query: { page_size: DEFAULT_PAGE_SIZE, bookmark } }, options),
    );
  }

  adAccount(adAccountId: string, options?: CallOptions) {
    return this.engine.call('GET /ad_accounts/{ad_account_id}', { params: { ad_account_id: adAccountId }, subject: { adAccountId } }, options);
  }

  audiences(adAccountId: string, listing: AudienceListing = {}, options?: CallOptions): AsyncGenerator<Audience, void, undefined> {
    const query = { page_size: DEFAULT_PAGE_SIZE, ownership_type: listing.ownership, exclude_nca: listing.excludeNca };
    return paginate((bookmark) =>
      this.engine.call(
        'GET /ad_accounts/{ad_account_id}/audiences',
        { params: { ad_account_id: adAccountId }, query: { ...query, bookmark }, subject: { adAccountId } },
        options,
      ),
    );
  }

  audience(adAccountId: string, audienceId: string, options?: CallOptions) {
    return this.engine.call(
      'GET /ad_accounts/{ad_account_id}/audiences/{audience_id}',
      { params: { ad_account_id: adAccountId, audience_id: audienceId }, subject: { adAccountId, object: `audience ${audienceId}` } },
      options,
    );
  }

  /** Creates an audience. After an ambiguous failure (timeout, reset, 5xx) it looks for the audience first, so a retry does not make a twin. */
  createAudience(adAccountId: string, body: AudienceCreateRequest, options?: CallOptions) {
    return this.engine.call(
      'POST /ad_accounts/{ad_account_id}/audiences',
      {
        params: { ad_account_id: adAccountId },
        body,
        subject: { adAccountId },
        recover: (sinceMs) =>
          this.findCreated(this.audiences(adAccountId, { ownership: 'OWNED' }, options), sinceMs, (a) =>
            a.name === body.name && (a.audience_type ?? a.type) === body.audience_type ? a.created_timestamp : undefined,
          ),
      },
      options,
    );
  }

  /** Archive (Pinterest: operation_type REMOVE) an audience. */
  archiveAudience(adAccountId: string, audienceId: string, options?: CallOptions) {
    return this.engine.call(
      'PATCH /ad_accounts/{ad_account_id}/audiences/{audience_id}',
      {
        params: { ad_account_id: adAccountId, audience_id: audienceId },
        body: { operation_type: 'REMOVE' },
        subject: { adAccountId, object: `audience ${audienceId}` },
      },
      options,
    );
  }

  /** `excludeNca`: leave out new-customer-acquisition lists (API 5.28 `exclude_nca`). */
  customerLists(adAccountId: string, listing: { excludeNca?: boolean } = {}, options?: CallOptions): AsyncGenerator<CustomerList, void, undefined> {
    return paginate((bookmark) =>
      this.engine.call(
        'GET /ad_accounts/{ad_account_id}/customer_lists',
        { params: { ad_account_id: adAccountId }, query: { page_size: DEFAULT_PAGE_SIZE, exclude_nca: listing.excludeNca, bookmark }, subject: { adAccountId } },
        options,
      ),
    );
  }

  customerList(adAccountId: string, customerListId: string, options?: CallOptions) {
    return this.engine.call(
      'GET /ad_accounts/{ad_account_id}/customer_lists/{customer_list_id}',
      {
        params: { ad_account_id: adAccountId, customer_list_id: customerListId },
        subject: { adAccountId, object: `customer list ${customerListId}` },
      },
      options,
    );
  }

  /** Creates a customer list; like createAudience, an ambiguous failure is checked before a retry. */
  async createCustomerList(adAccountId: string, body: CustomerListRequest, options?: CallOptions) {
    const list = await this.engine.call(
      'POST /ad_accounts/{ad_account_id}/customer_lists',
      {
        params: { ad_account_id: adAccountId },
        body,
        subject: { adAccountId },
        recover: (sinceMs) =>
          this.findCreated(this.customerLists(adAccountId, {}, options), sinceMs, (l) => (l.name === body.name ? l.created_time : undefined)),
      },
      options,
    );
    this.exceptions.record(list?.exceptions);
    return list;
  }

  /** The newest item created since `sinceMs` (Unix seconds from `createdAt`; undefined = not a candidate). */
  private async findCreated<T>(
    items: AsyncIterable<T>,
    sinceMs: number,
    createdAt: (item: T) => number | null | undefined,
  ): Promise<T | undefined> {
    const since = Math.floor(sinceMs / 1000) - CLOCK_SKEW_S;
    let newest: { item: T; at: number } | undefined;
    for await (const item of items) {
      const at = createdAt(item);
      if (typeof at === 'number' && at >= since && (!newest || at >= newest.at)) newest = { item, at };
    }
    return newest?.item;
  }

  async updateCustomerList(adAccountId: string, customerListId: string, body: CustomerListUpdateRequest, options?: CallOptions) {
    const list = await this.engine.call(
      'PATCH /ad_accounts/{ad_account_id}/customer_lists/{customer_list_id}',
      {
        params: { ad_account_id: adAccountId, customer_list_id: customerListId },
        body,
        subject: { adAccountId, object: `customer list ${customerListId}` },
      },
      options,
    );
    this.exceptions.record(list?.exceptions);
    return list;
  }

  close(): Promise<void> {
    return this.engine.close();
  }
}
