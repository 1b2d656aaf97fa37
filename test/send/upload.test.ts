// The uploader against the sandbox over loopback: a batch with one record Pinterest refuses is split
// until that row is isolated; the rest arrives.
import { createHash } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { staticTokenProvider } from '../../src/auth/token-provider.js';
import { PinterestClient } from '../../src/pinterest/client.js';
import { identifierCount } from '../../src/identify/row-record.js';
import type { Batch } from '../../src/send/batch.js';
import { noBatchJournal, type BatchRange, type BatchJournal } from '../../src/send/journal.js';
import { Tally } from '../../src/send/tally.js';
import { Uploader } from '../../src/send/upload.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/server.js';
import { US } from '../support/sandbox.js';

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

let sandbox: Sandbox | undefined;
afterEach(async () => {
  await sandbox?.stop();
  sandbox = undefined;
});

function batchOf(records: string[], firstLine = 2): Batch {
  return {
    id: 1,
    records,
    lines: records.map((_, i) => firstLine + i),
    identifiers: identifierCount(records),
    rowEnds: records.map((_, i) => i + 1),
  };
}

/** Uploads `records` as one batch into a fresh list: what was counted, the rejects, the acknowledged ranges, the PATCHes it took. */
async function upload(records: string[], faults = {}) {
  sandbox = await startSandbox({ port: 0, writeRate: 1000, faults });
  const list = sandbox.state.createCustomerList(US, { name: 'Newsletter', records: [] });
  const client = new PinterestClient({ apiBase: sandbox.apiBase, tokens: staticTokenProvider(sandbox.token), retryFor: 5_000, writeRate: 1000 });
  const rejects: Array<[number, string]> = [];
  const tally = new Tally({ reject: (line, reason) => rejects.push([line, reason]) });
  const sent: BatchRange[] = [];
  const journal: BatchJournal = { ...noBatchJournal, batchAcknowledged: (range) => sent.push(range) };
  for (let i = 0; i < records.length; i++) tally.rowEntered();
  const uploader = new Uploader({
    writer: { send: async (r, deadline) => void (await client.updateCustomerList(US, list.id, { operation_type: 'ADD', records: r.join(',') }, { deadline })) },
    tally,
    journal,
    maxInFlight: 4,
    retryForMs: 5_000,
    now: Date.now,
  });
  uploader.submit(batchOf(records));
  await uploader.drain();
  await client.close();
  const requests = sandbox.state.requests.filter((r) => r.method === 'PATCH').length;
  return { tally, rejects, sent, uploader, list, counts: tally.counts(), requests, held: sandbox.state.customerList(list.id)!.records.size };
}

describe('the uploader', () => {
  it('splits a batch Pinterest rejects until the bad row is isolated, and delivers the rest', async () => {
    const good = Array.from({ length: 37 }, (_, i) => sha256(`user${i}@example.com`));
    const bad = sha256('bad@example.com').toUpperCase(); // Pinterest wants lowercase records
    const records = [...good.slice(0, 20), bad, ...good.slice(20)];
    const { tally, rejects, sent, uploader, list } = await upload(records);

    expect(tally.counts()).toMatchObject({ entered: 38, synced: 37, errored: 1, pending: 0, records: 37 });
    expect(rejects).toHaveLength(1);
    expect(rejects[0]![0]).toBe(22); // the 21st record sits on line 22
    expect(rejects[0]![1]).toMatch(/^rejected_by_pinterest: .*uppercase/);
    expect(rejects[0]![1]).not.toContain(bad);
    expect([...sandbox!.state.customerList(list.id)!.records].sort()).toEqual([...good].sort());
    expect(sent.flatMap((range) => range.lines).sort((a, b) => a - b)).toEqual(records.map((_, i) => i + 2).filter((line) => line !== 22));
    expect(uploader.fatal).toBeUndefined();
  });

  describe('bounded bisection', () => {
    const good = (n: number, from = 0) => Array.from({ length: n }, (_, i) => sha256(`user${from + i}@example.com`));
    const bad = (i: number) => sha256(`bad${i}@example.com`).toUpperCase();

    it('errors a batch refused as a whole (the error names no record) after one request', async () => {
      const { counts, requests, rejects } = await upload(good(64), { badRequestAfterWrites: 0 });
      expect(requests).toBe(1);
      expect(counts).toMatchObject({ entered: 64, synced: 0, errored: 64, pending: 0 });
      expect(rejects[0]![1]).toMatch(/^rejected_by_pinterest: request refused as a whole/);
    });

    it('errors the batch after 3 requests when both halves of the first split are refused', async () => {
      const records = [bad(1), ...good(32), bad(2), ...good(32, 32)]; // one in each half
      const { counts, requests } = await upload(records);
      expect(requests).toBe(3);
      expect(counts).toMatchObject({ entered: 66, synced: 0, errored: 66, pending: 0 });
    });

    it('isolates k bad records in a batch of n with at most about 2·k·log2(n) requests', async () => {
      const n = 256;
      const records = good(n - 3);
      records.splice(10, 0, bad(1));
      records.splice(40, 0, bad(2));
      records.splice(100, 0, bad(3));
      const { counts, requests, held } = await upload(records);
      expect(counts).toMatchObject({ entered: n, synced: n - 3, errored: 3, pending: 0 });
      expect(held).toBe(n - 3);
      expect(requests).toBeLessThanOrEqual(1 + 2 * 3 * Math.log2(n));
    });
  });
});
