// The JSON shapes the sandbox answers with for ad accounts, customer lists and audiences, built from
// what SandboxState holds (sizes and statuses are derived here, never stored).
import { listStatus } from './list-readiness.js';
import { MIN_MATCHED_USERS } from './records.js';
import { PARTNER_AD_ACCOUNT_ID, type AdAccountState, type AudienceState, type CustomerListState, type SandboxState } from './state.js';

export function adAccountView(state: SandboxState, account: AdAccountState): Record<string, unknown> {
  return {
    id: account.id,
    name: account.name,
    country: account.country,
    currency: account.currency,
    owner: { id: state.user.id, username: state.user.username },
    permissions: [...account.permissions],
    created_time: account.createdTime,
    updated_time: account.createdTime,
  };
}

export function customerListView(state: SandboxState, list: CustomerListState): Record<string, unknown> {
  return {
    id: list.id,
    ad_account_id: list.adAccountId,
    name: list.name,
    created_time: list.createdTime,
    updated_time: list.updatedTime,
    num_batches: list.numBatches,
    num_removed_user_records: list.numRemovedUserRecords,
    num_uploaded_user_records: list.numUploadedUserRecords,
    status: listStatus(list, state.now()),
    type: 'customerlist',
    exceptions: {},
    is_nca: list.isNca,
  };
}

export function audienceView(state: SandboxState, audience: AudienceState): Record<string, unknown> {
  const { size, status } = audienceSize(state, audience);
  return {
    id: audience.id,
    ad_account_id: audience.adAccountId,
    name: audience.name,
    description: audience.description,
    audience_type: audience.audienceType,
    rule: audience.rule,
    size,
    status: audience.archived ? 'ARCHIVED' : status,
    type: 'audience',
    created_timestamp: audience.createdTimestamp,
    updated_timestamp: audience.updatedTimestamp,
    created_by_company_name: audience.adAccountId === PARTNER_AD_ACCOUNT_ID ? 'Partner Brand' : null,
    is_nca: audience.isNca,
  };
}

/**
 * CUSTOMER_LIST: the list's matched users, or null and TOO_SMALL under 100. ACTALIKE: a made-up
 * reach of one million people per percent, READY.
 */
function audienceSize(state: SandboxState, audience: AudienceState): { size: number | null; status: string } {
  if (audience.audienceType === 'CUSTOMER_LIST') {
    const list = state.customerList(audience.rule.customer_list_id ?? '');
    const matched = list?.matched ?? 0;
    return matched >= MIN_MATCHED_USERS ? { size: matched, status: 'READY' } : { size: null, status: 'TOO_SMALL' };
  }
  if (audience.audienceType === 'ACTALIKE') {
    return { size: (audience.rule.percentage ?? 1) * 1_000_000, status: 'READY' };
  }
  return { size: null, status: 'INITIALIZING' };
}
