// Rows sent, against the sandbox over loopback: rows go out in batches of at most --batch-size and
// every row's fate adds up in the tally; the guard holds every batch back when most of the first
// rows have no valid identifier.
import { createHash } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { staticTokenProvider } from '../../src/auth/token-provider.js';
import { UsageError } from '../../src/errors.js';
import { PinterestClient } from '../../src/pinterest/client.js';
import type { ColumnPlan } from '../../src/input/columns.js';
import { GUARD_WINDOW, MappingGuard } from '../../src/send/guard.js';
import { Verdict } from '../../src/identify/identify.js';
import { noBatchJournal } from '../../src/send/journal.js';
import { SentRows, type SendOptions } from '../../src/send/sent-rows.js';
import { Tally } from '../../src/send/tally.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/server.js';

const US = '549755885175';
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
const plan: ColumnPlan = { columns: [{ kind: 'email', name: 'email', index: 0 }], listType: 'EMAIL' };

let sandbox: Sandbox | undefined;
let client: PinterestClient | undefined;
afterEach(async () => {
  await client?.close();
  await sandbox?.stop();
  sandbox = client = undefined;
});

async function sandboxList() {
  sandbox = await startSandbox({ port: 0, writeRate: 1000 });
  client = new PinterestClient({ apiBase: sandbox.apiBase, tokens: staticTokenProvider(sandbox.token), retryFor: 5_000 });
  const list = sandbox.state.createCustomerList(US, { name: 'Newsletter', records: [] });
  const api = client;
  return {
    list,
    writer: { send: async (records: readonly string[], deadline: number) => void (await api.updateCustomerList(US, list.id, { operation_type: 'ADD', records: records.join(',') }, { deadline })) },
  };
}

function sendOptions(tally: Tally, extra: Partial<SendOptions>): SendOptions {
  return { tally, journal: noBatchJournal, batchSize: 3, flushIntervalMs: 60_000, maxInFlight: 2, retryForMs: 5_000, signal: new AbortController().signal, now: Date.now, ...extra };
}

const row = (records: string[], reason: 'missing_identifier' | 'invalid_email' = 'missing_identifier') => ({ records, count: records.length, reason });

describe('rows sent', () => {
  it('sends new rows in batches of at most the batch size, skips what an earlier attempt delivered, and counts every row', async () => {
    const { list, writer } = await sandboxList();
    const tally = new Tally();
    const journal = { ...noBatchJournal, alreadyDelivered: (line: number) => line === 3 };
    const sent = new SentRows(sendOptions(tally, { writerFor: () => writer, journal, guard: new MappingGuard(false) }));
    sent.planned(plan);
    const users = Array.from({ length: 8 }, (_, i) => sha256(`user${i}@example.com`));
    users.forEach((user, i) => sent.identified(i + 2, Verdict.New, row([user])));
    sent.identified(10, Verdict.Duplicate, row([]));
    sent.identified(11, Verdict.NotSynced, row([], 'invalid_email'));

    expect(await sent.finish('end')).toEqual({ stop: 'end', fatal: undefined });
    expect(tally.counts()).toMatchObject({ entered: 10, synced: 8, duplicates: 1, notSynced: 1, errored: 0, pending: 0, records: 7 });
    expect([...sandbox!.state.customerList(list.id)!.records].sort()).toEqual(users.filter((_, i) => i !== 1).sort());
    const sizes = sandbox!.state.requests.filter((r) => r.method === 'PATCH').map((r) => r.records);
    expect(sizes.sort()).toEqual([1, 3, 3]);
  });

  it('sends nothing when most of the first rows have no valid identifier, and names the column', async () => {
    const { list, writer } = await sandboxList();
    const tally = new Tally();
    const sent = new SentRows(sendOptions(tally, { writerFor: () => writer, guard: new MappingGuard(false) }));
    sent.planned(plan);
    for (let line = 2; line < GUARD_WINDOW + 2; line++) {
      if (line % 3 === 0) sent.identified(line, Verdict.New, row([sha256(`user${line}@example.com`)]));
      else sent.identified(line, Verdict.NotSynced, row([], 'invalid_email'));
    }

    const error = await sent.finish('end').catch((thrown: unknown) => thrown);
    expect(error).toBeInstanceOf(UsageError);
    expect((error as Error).message).toMatch(/of the first 1000 rows have no valid identifier in "email"/);
    expect(sandbox!.state.customerList(list.id)!.records.size).toBe(0);
    expect(sandbox!.state.requests.filter((r) => r.method === 'PATCH')).toHaveLength(0);
  });
});
