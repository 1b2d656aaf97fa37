// GENERATED FILE - do not edit by hand.
// From fixtures/openapi/pinterest-v5-subset.json (Pinterest API 5.28.0) by scripts/gen-types.mjs.
// Regenerate: node scripts/gen-types.mjs
/* eslint-disable */

/** One page of a bookmark-paginated list; a null or missing bookmark marks the last page. */
export interface Page<T> {
  items: T[];
  bookmark?: string | null;
}

export interface Account {
  /** Profile about description. */
  about?: string;
  /** Type of account */
  account_type?: "PINNER" | "BUSINESS";
  /** User account board count. **Note**: Board count on user account level may differ from counts found elsewhere due to attribution of collaborative Boards. */
  board_count?: number | null;
  business_name?: string | null;
  /** User account follower count. */
  follower_count?: number | null;
  /** User account following count. */
  following_count?: number | null;
  /** User account ID. */
  id?: string;
  /** User account monthly views. */
  monthly_views?: number | null;
  /** User account pin count. This includes both created and saved pins. */
  pin_count?: number | null;
  profile_image?: string;
  username?: string;
  website_url?: string;
}

export interface AdAccount {
  country?: Country;
  /** Creation time. Unix timestamp in seconds. */
  created_time?: number | null;
  currency?: Currency;
  id: string;
  /** Ad account name. */
  name?: string;
  /** Ad account owner */
  owner?: AdAccountOwner;
  permissions?: BusinessAccessRole[];
  updated_time?: number | null;
}

export interface AdAccountOwner {
  /** The owning account's user ID. */
  id?: string;
  /** Public username for the user account */
  username?: string;
}

export interface Audience {
  /** Ad account ID. */
  ad_account_id?: string;
  /** Audience types: ACTALIKE, ENGAGEMENT, CUSTOMER_LIST and VISITOR */
  audience_type?: string;
  /** The company that created this audience. */
  created_by_company_name?: string | null;
  /** Creation time. Unix timestamp in seconds. */
  created_timestamp?: number | null;
  /** Audience description. */
  description?: string | null;
  /** Audience ID. */
  id: string;
  /** Audience name. */
  name?: string;
  rule?: AudienceRule;
  /** Audience size. */
  size?: number | null;
  /** Audience status. READY, INITIALIZING, TOO_SMALL - Each audience list needs to have at least 100 people with Pinterest accounts before you can start using it. */
  status?: string;
  /** Always "audience". */
  type?: string;
  /** Last update time. Unix timestamp in seconds. */
  updated_timestamp?: number | null;
  /** Whether the audience derives from a new customer acquisition (expanded matching) customer list. Read-only. */
  is_nca?: boolean;
}

export interface AudienceCommon {
  /** Ad account ID. */
  ad_account_id?: string;
  /** Audience name. */
  name?: string;
  rule?: AudienceRule;
}

export type AudienceCreateRequest = AudienceCommon & {
  /** Audience types: ACTALIKE, ENGAGEMENT, CUSTOMER_LIST and VISITOR. Values are case-sensitive. */
  audience_type: AudienceType;
  description?: AudienceDescription;
  name: unknown;
  rule: unknown;
};

/** Audience description. */
export type AudienceDescription = string;

/** JSON object defining targeted audience users. Example rule formats per audience type: CUSTOMER_LIST: { "customer_list_id": "<customer list ID>"} ACTALIKE: { ... */
export interface AudienceRule {
  /** Ad account ID. */
  ad_account_id?: string;
  /** Ad ID for engagement audience filter. */
  ad_id?: string[];
  /** Campaign ID for engagement audience filter. */
  campaign_id?: string[];
  /** Valid countries include: "US", "CA", and "GB". */
  country?: string;
  /** Customer list ID. For CUSTOMER_LIST `audience_type`. */
  customer_list_id?: string;
  /** The audience account's verified domain. **Required** for ENGAGEMENT `audience_type`. */
  engagement_domain?: string[];
  /** Engagement type enum. Optional for ENGAGEMENT `audience_type`. Supported values are `click`, `save`, `closeup`, `comment` and `like`. All engagements are inc... */
  engagement_type?: string;
  /** Optional for ENGAGEMENT. Engager type value should be 1-2. */
  engager_type?: number;
  /** A Pinterest tag event. Optional for VISITOR `audience_type`. Possible values are `pagevisit`, `signup`, `checkout`, `viewcategory`, `search`, `addtocart`, `w... */
  event?: string;
  event_data?: EventData;
  /** Optional for VISITOR. You can use it as a {'=': [value]}. Supported values are: web, mobile, offline */
  event_source?: Record<string, unknown>;
  /** Optional for VISITOR. You can use it as a {'=': [value]}. Supported values are: tag, mmp, file_upload, conversions_api */
  ingestion_source?: Record<string, unknown>;
  /** Objective for engagement audience filter. */
  objective_type?: ObjectiveType[];
  /** Percentage should be 1-10. The targeted audience should be this % size across Pinterest. */
  percentage?: number;
  /** IDs of engaged organic pins. Optional for ENGAGEMENT `audience_type`. For example, "pin_id:": ["34567"] */
  pin_id?: string[];
  /** Optional for VISITOR `audience_type`. If `true`, the specified rule on existing engagement data is applied to pre-populate the audience. If `false`, the audi... */
  prefill?: boolean;
  /** Number of days a Pinterest user remains in the audience. Optional for ENGAGEMENT and VISITOR `audience_type`. Accepted range is 1-540. Defaults to 180 if not... */
  retention_days?: number;
  /** Audience ID(s). For ACTALIKE `audience_type`. */
  seed_id?: string[];
  /** Optional for ENGAGEMENT or VISITOR `audience_type`. For ENGAGEMENT, it is the engaged pin's URL. For VISITOR, you can use it as a string or a {operator: valu... */
  url?: string[];
  /** The conversion tag ID, or the Pinterest tag ID, that you use on your website. For VISITOR `audience_type`. */
  visitor_source_id?: string;
}

/** Audience type */
export type AudienceType = "CUSTOMER_LIST" | "VISITOR" | "ENGAGEMENT" | "ACTALIKE" | "PERSONA";

/** Audience operation type (update or remove). */
export type AudienceUpdateOperationType = "UPDATE" | "REMOVE";

export type AudienceUpdateRequest = AudienceCommon & {
  description?: AudienceDescription;
  operation_type?: AudienceUpdateOperationType;
};

/** Permission role for business access. */
export type BusinessAccessRole = "OWNER" | "ADMIN" | "ANALYST" | "SOS_READER" | "FINANCE_MANAGER" | "FINANCE_VIEW" | "FINANCE_EDIT" | "AUDIENCE_MANAGER" | "CAMPAIGN_MANAGER" | "CATALOGS_MANAGER" | "RESTRICTED_OWNER" | "PROFILE_MANAGER" | "PROFILE_PUBLISHER" | "RESOURCE_PINNER_LIST_OWNER" | "RESOURCE_PINNER_LIST_READER" | "BIZ_PINNER_LIST_SHARER" | "RESOURCE_CONVERSION_TAGS_READER";

/** Country ID from ISO 3166-1 alpha-2. */
export type Country = "AD" | "AE" | "AF" | "AG" | "AI" | "AL" | "AM" | "AO" | "AQ" | "AR" | "AS" | "AT" | "AU" | "AW" | "AX" | "AZ" | "BA" | "BB" | "BD" | "BE" | "BF" | "BG" | "BH" | "BI" | "BJ" | "BL" | "BM" | "BN" | "BO" | "BQ" | "BR" | "BS" | "BT" | "BV" | "BW" | "BY" | "BZ" | "CA" | "CC" | "CD" | "CF" | "CG" | "CH" | "CI" | "CK" | "CL" | "CM" | "CN" | "CO" | "CR" | "CU" | "CV" | "CW" | "CX" | "CY" | "CZ" | "DE" | "DJ" | "DK" | "DM" | "DO" | "DZ" | "EC" | "EE" | "EG" | "EH" | "ER" | "ES" | "ET" | "FI" | "FJ" | "FK" | "FM" | "FO" | "FR" | "GA" | "GB" | "GD" | "GE" | "GF" | "GG" | "GH" | "GI" | "GL" | "GM" | "GN" | "GP" | "GQ" | "GR" | "GS" | "GT" | "GU" | "GW" | "GY" | "HK" | "HM" | "HN" | "HR" | "HT" | "HU" | "ID" | "IE" | "IL" | "IM" | "IN" | "IO" | "IQ" | "IR" | "IS" | "IT" | "JE" | "JM" | "JO" | "JP" | "KE" | "KG" | "KH" | "KI" | "KM" | "KN" | "KR" | "KW" | "KY" | "KZ" | "LA" | "LB" | "LC" | "LI" | "LK" | "LR" | "LS" | "LT" | "LU" | "LV" | "LY" | "MA" | "MC" | "MD" | "ME" | "MF" | "MG" | "MH" | "MK" | "ML" | "MM" | "MN" | "MO" | "MP" | "MQ" | "MR" | "MS" | "MT" | "MU" | "MV" | "MW" | "MX" | "MY" | "MZ" | "NA" | "NC" | "NE" | "NF" | "NG" | "NI" | "NL" | "NO" | "NP" | "NR" | "NU" | "NZ" | "OM" | "PA" | "PE" | "PF" | "PG" | "PH" | "PK" | "PL" | "PM" | "PN" | "PR" | "PS" | "PT" | "PW" | "PY" | "QA" | "RE" | "RO" | "RS" | "RU" | "RW" | "SA" | "SB" | "SC" | "SD" | "SE" | "SG" | "SH" | "SI" | "SJ" | "SK" | "SL" | "SM" | "SN" | "SO" | "SR" | "SS" | "ST" | "SV" | "SX" | "SY" | "SZ" | "TC" | "TD" | "TF" | "TG" | "TH" | "TJ" | "TK" | "TL" | "TM" | "TN" | "TO" | "TR" | "TT" | "TV" | "TW" | "TZ" | "UA" | "UG" | "UM" | "US" | "UY" | "UZ" | "VA" | "VC" | "VE" | "VG" | "VI" | "VN" | "VU" | "WF" | "WS" | "YE" | "YT" | "ZA" | "ZM" | "ZW";

/** Currency Codes from ISO 4217 */
export type Currency = "UNK" | "USD" | "GBP" | "CAD" | "EUR" | "AUD" | "NZD" | "SEK" | "ILS" | "CHF" | "HKD" | "JPY" | "SGD" | "KRW" | "NOK" | "DKK" | "PLN" | "RON" | "HUF" | "CZK" | "BRL" | "MXN" | "ARS" | "CLP" | "COP" | "INR" | "TRY";

export interface CustomerList {
  /** Associated ad account ID. */
  ad_account_id?: string;
  /** Creation time. Unix timestamp in seconds. */
  created_time?: number;
  /** Customer list errors */
  exceptions?: Record<string, unknown>;
  /** Customer list ID. */
  id: string;
  /** Customer list name. */
  name: string;
  /** Total number of list updates. List creation counts as one batch. Each Append or Remove API call counts as another. List creation via the Ads Manager UI could... */
  num_batches?: number;
  /** Number of removed user records. In a Remove API call, this counter increases even if the user is not found in the list. */
  num_removed_user_records?: number;
  /** Number of uploaded user records. In an Append API call, this counter increases even if the uploaded user is already in the list. */
  num_uploaded_user_records?: number;
  /** Customer list status. TOO_SMALL - the list has less than 100 Pinterest users. */
  status?: "PROCESSING" | "READY" | "TOO_SMALL" | "UPLOADING";
  /** Always "customerlist". */
  type?: string;
  /** Last update time. Unix timestamp in seconds. */
  updated_time?: number;
  /** Whether the list was uploaded for new customer acquisition (expanded matching). */
  is_nca?: boolean;
}

/** A single row in a multi-field customer list (v2 format): the identifiers of one user. */
export interface CustomerListRecordRow {
  /** Email address (plain or hashed with SHA1, SHA256, or MD5). */
  email?: string;
  /** Mobile advertising ID (plain or hashed with SHA1, SHA256, or MD5). */
  maid?: string;
  /** Hashed phone number (hashed with SHA1, SHA256, or MD5). */
  hashed_phone_number?: string;
  /** Hashed pinner ID (hashed with SHA1, SHA256, or MD5). */
  hashed_pinner_id?: string;
  /** External ID identifier (not hashed). */
  external_id?: string;
  /** IP address (not hashed). */
  ip_address?: string;
  /** User agent string (not hashed). */
  user_agent?: string;
  /** LiveRamp envelope identifier (Base64-encoded, not hashed). */
  liveramp_envelope?: string;
}

export interface CustomerListRequest {
  list_type?: UserListType;
  /** Customer list name. */
  name: string;
  /** Records list. Can be any combination of emails, MAIDs, or IDFAs. Emails must be lowercase and can be plain text or hashed using SHA1, SHA256, or MD5. MAIDs a... */
  records?: string;
  /** Multi-field record format. Array of objects with optional email, maid, ip_address, user_agent, external_id, hashed_pinner_id, hashed_phone_number, and livera... */
  records_v2?: CustomerListRecordRow[];
  /** Whether the list was uploaded for new customer acquisition (expanded matching). Immutable after creation. */
  is_nca?: boolean;
}

export interface CustomerListUpdateRequest {
  operation_type: UserListOperationType;
  /** Records list. Can be any combination of emails, MAIDs, or IDFAs. Emails must be lowercase and can be plain text or hashed using SHA1, SHA256, or MD5. MAIDs a... */
  records?: string;
  /** Multi-field record format. Array of objects with optional email, maid, ip_address, user_agent, external_id, hashed_pinner_id, hashed_phone_number, and livera... */
  records_v2?: CustomerListRecordRow[];
}

export interface Error {
  code: number;
  message: string;
}

/** Optional for VISITOR `audience_type`. With the Pinterest tag, you can use event data to capture event details from your website. This object lists all the av... */
export interface EventData {
  /** Currency. For example, 'USD'. */
  currency?: Currency;
  /** Promotion code. For example, 'Newsletter'. */
  lead_type?: string;
  line_items?: LineItem;
  /** Order ID. For example, 'X-151481'. */
  order_id?: string;
  /** Order quantity. For example, 1. */
  order_quantity?: number;
  /** Page name. For example, 'Our Favorite Pins on Pinterest'. */
  page_name?: string;
  /** Promotion code. For example, 'WINTER10'. */
  promo_code?: string;
  /** Property. For example, 'Athleta'. */
  property?: string;
  /** Search query string. For example, 'boots'. */
  search_query?: string;
  /** Product value. For example, '199.98'. */
  value?: string;
  /** Video title. For example, 'How to style your Parker Boots'. */
  video_title?: string;
}

export interface LineItem {
  /** Product brand. For example, 'Parker'. */
  product_brand?: string;
  /** Product category. For example, 'Shoes'. */
  product_category?: string;
  /** Product ID. For example, 1414. */
  product_id?: number;
  /** Product name. For example, 'Parker Boots'. */
  product_name?: string;
  /** Product price. For example, '99.99'. */
  product_price?: string;
  /** Product quantity. For example, 2. */
  product_quantity?: number;
  /** Product variant. For example, 'Red'. */
  product_variant?: string;
  /** Product variant ID. For example, '1414-34832'. */
  product_variant_id?: string;
}

/** Describes the valid schema for possible OAuth access token requests. */
export interface OauthAccessTokenRequest {
  grant_type: "authorization_code" | "refresh_token" | "client_credentials";
}

/** A successful OAuth access token response. */
export interface OauthAccessTokenResponse {
  access_token: string;
  expires_in: number;
  response_type?: "authorization_code" | "refresh_token" | "client_credentials";
  scope?: string;
  token_type: string;
  refresh_token?: string;
  refresh_token_expires_in?: number;
  refresh_token_expires_at?: number;
}

/** Intended result of the campaign. You can only update objectives for draft campaigns. `WEB_SESSIONS` and `VIDEO_VIEW` objectives are deprecated. We recommend ... */
export type ObjectiveType = "AWARENESS" | "CONSIDERATION" | "WEB_CONVERSION" | "CATALOG_SALES" | "VIDEO_COMPLETION";

export interface Paginated {
  bookmark?: string | null;
  items: Array<Record<string, unknown>>;
}

/** Default error response */
export interface PinterestLibError {
  code: number;
  message: string;
}

/** User list operation type (add or remove) */
export type UserListOperationType = "ADD" | "REMOVE";

/** User list type */
export type UserListType = "EMAIL" | "IDFA" | "MAID" | "LR_ID" | "DLX_ID" | "HASHED_PINNER_ID";

/** The operations pinsync calls, keyed "METHOD /path" (paths are under the API base, e.g. .../v5). */
export interface Operations {
  /** user_account/get: Get user account */
  "GET /user_account": {
    query: { ad_account_id?: string };
    body: never;
    response: Account;
    category: "org_read";
  };
  /** ad_accounts/list: List ad accounts */
  "GET /ad_accounts": {
    query: { include_shared_accounts?: boolean; bookmark?: string; page_size?: number };
    body: never;
    response: Page<AdAccount>;
    category: "ads_read";
  };
  /** ad_accounts/get: Get ad account */
  "GET /ad_accounts/{ad_account_id}": {
    query: Record<string, never>;
    body: never;
    response: AdAccount;
    category: "ads_read";
  };
  /** audiences/list: List audiences */
  "GET /ad_accounts/{ad_account_id}/audiences": {
    query: { bookmark?: string; order?: "ASCENDING" | "DESCENDING"; page_size?: number; ownership_type?: "OWNED" | "RECEIVED"; exclude_nca?: boolean };
    body: never;
    response: Page<Audience>;
    category: "ads_read";
  };
  /** audiences/create: Create audience */
  "POST /ad_accounts/{ad_account_id}/audiences": {
    query: Record<string, never>;
    body: AudienceCreateRequest;
    response: Audience;
    category: "ads_write";
  };
  /** audiences/get: Get audience */
  "GET /ad_accounts/{ad_account_id}/audiences/{audience_id}": {
    query: Record<string, never>;
    body: never;
    response: Audience;
    category: "ads_read";
  };
  /** audiences/update: Update audience */
  "PATCH /ad_accounts/{ad_account_id}/audiences/{audience_id}": {
    query: Record<string, never>;
    body: AudienceUpdateRequest;
    response: Audience;
    category: "ads_write";
  };
  /** customer_lists/list: Get customer lists */
  "GET /ad_accounts/{ad_account_id}/customer_lists": {
    query: { page_size?: number; order?: "ASCENDING" | "DESCENDING"; bookmark?: string; exclude_nca?: boolean };
    body: never;
    response: Page<CustomerList>;
    category: "ads_read";
  };
  /** customer_lists/create: Create customer lists */
  "POST /ad_accounts/{ad_account_id}/customer_lists": {
    query: Record<string, never>;
    body: CustomerListRequest;
    response: CustomerList;
    category: "ads_write";
  };
  /** customer_lists/get: Get customer list */
  "GET /ad_accounts/{ad_account_id}/customer_lists/{customer_list_id}": {
    query: Record<string, never>;
    body: never;
    response: CustomerList;
    category: "ads_read";
  };
  /** customer_lists/update: Update customer list */
  "PATCH /ad_accounts/{ad_account_id}/customer_lists/{customer_list_id}": {
    query: Record<string, never>;
    body: CustomerListUpdateRequest;
    response: CustomerList;
    category: "ads_write";
  };
  /** oauth/token: Generate OAuth access token */
  "POST /oauth/token": {
    query: Record<string, never>;
    body: OauthAccessTokenRequest;
    response: OauthAccessTokenResponse;
    category: "org_read";
  };
}

export type OperationKey = keyof Operations;

/** x-ratelimit-category of each operation: Pinterest limits each category separately. */
export const rateLimitCategories = {
  "GET /user_account": "org_read",
  "GET /ad_accounts": "ads_read",
  "GET /ad_accounts/{ad_account_id}": "ads_read",
  "GET /ad_accounts/{ad_account_id}/audiences": "ads_read",
  "POST /ad_accounts/{ad_account_id}/audiences": "ads_write",
  "GET /ad_accounts/{ad_account_id}/audiences/{audience_id}": "ads_read",
  "PATCH /ad_accounts/{ad_account_id}/audiences/{audience_id}": "ads_write",
  "GET /ad_accounts/{ad_account_id}/customer_lists": "ads_read",
  "POST /ad_accounts/{ad_account_id}/customer_lists": "ads_write",
  "GET /ad_accounts/{ad_account_id}/customer_lists/{customer_list_id}": "ads_read",
  "PATCH /ad_accounts/{ad_account_id}/customer_lists/{customer_list_id}": "ads_write",
  "POST /oauth/token": "org_read",
} as const satisfies Record<OperationKey, string>;
