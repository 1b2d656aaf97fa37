// Arrange-and-check helpers for the push end-to-end tests: a sandbox with an audience, the CLI's
// environment, and what Pinterest ended up holding.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterEach, beforeEach } from 'vitest';
import { startSandbox, type Sandbox } from '../../src/sandbox/server.js';
import { makeHome } from '../support/cli.js';
import { US } from '../support/sandbox.js';

export const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');


/** A customer list with its CUSTOMER_LIST audience, as `push --create` would have left them. */
export function arrangeAudience(sandbox: Sandbox, name = 'Newsletter', records: string[] = []) {
  const list = sandbox.state.createCustomerList(US, { name, records });
  const audience = sandbox.state.createAudience(US, { name, audienceType: 'CUSTOMER_LIST', rule: { customer_list_id: list.id } });
  return { list, audience };
}

export function recordsOf(sandbox: Sandbox, listId: string): string[] {
  return [...(sandbox.state.customerList(listId)?.records ?? [])].sort();
}

export function writeFile(dir: string, name: string, content: string | Buffer, gzip = false): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, gzip ? gzipSync(content) : content);
  return file;
}

export function workDir(): string {
  return makeHome('pinsync-push-');
}

/** PATCH/POST customer-list requests the sandbox received, with their record counts. */
export function listWrites(sandbox: Sandbox) {
  return sandbox.state.requests.filter((r) => r.path.includes('/customer_lists') && r.method !== 'GET');
}

export function countsAddUp(report: Record<string, any>): boolean {
  return report.entered === report.synced + report.duplicates + report.notSynced + report.errored + report.pending;
}

/** A fresh sandbox and work folder for each test of the file; read them inside the tests. */
export function sandboxPerTest(): { sandbox: Sandbox; dir: string } {
  const current = {} as { sandbox: Sandbox; dir: string };
  beforeEach(async () => {
    current.sandbox = await startSandbox({ port: 0, writeRate: 1000 });
    current.dir = workDir();
  });
  afterEach(() => current.sandbox.stop());
  return current;
}
