// What the sandbox holds and what it received: the records of an audience's customer list, and the
// customer-list writes (with their record counts) that reached it.
import type { Sandbox } from '../../src/sandbox/server.js';

/** The records a customer list holds now, sorted. */
export function recordsOf(sandbox: Sandbox, listId: string): string[] {
  return [...(sandbox.state.customerList(listId)?.records ?? [])].sort();
}

/**
 * The records the audience's customer list holds now, found by the audience name; while the audience is
 * pending (Pinterest has not accepted it on a young list), the customer list of that name.
 */
export function listRecords(sandbox: Sandbox, audienceName: string): Set<string> {
  const audience = [...sandbox.state.audiences.values()].find((a) => a.name === audienceName);
  const waiting = [...sandbox.state.customerLists.values()].filter((l) => l.name === audienceName);
  if (!audience && waiting.length !== 1) throw new Error(`no audience named ${audienceName}, and ${waiting.length} customer lists of that name`);
  const list = audience ? sandbox.state.customerList(audience.rule.customer_list_id!) : waiting[0];
  if (!list) throw new Error(`audience ${audienceName} has no list`);
  return list.records;
}

export function sameSet(a: Set<string>, b: Set<string>): boolean {
  if (a.size !== b.size) return false;
  for (const value of a) if (!b.has(value)) return false;
  return true;
}

/** POST/PATCH customer-list requests the sandbox received (any answer), with their record counts. */
export function listWrites(sandbox: Sandbox) {
  return sandbox.state.requests.filter((r) => r.path.includes('/customer_lists') && r.method !== 'GET');
}

/** Records sent to Pinterest in successful (2xx) customer-list writes. */
export function recordsWritten(sandbox: Sandbox): number {
  return listWrites(sandbox)
    .filter((r) => r.status >= 200 && r.status < 300)
    .reduce((sum, r) => sum + r.records, 0);
}
