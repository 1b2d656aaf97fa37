// Rows identified, from a real file: each row's verdict in input order (new records hashed, a
// duplicate, or not synced and why), the column plan alone (doctor), and a stop on Ctrl-C.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { DigestSet } from '../../src/identify/dedupe.js';
import { IdentifiedRows, readColumnPlan, type IdentifiedRowSink } from '../../src/identify/identified-rows.js';
import { Verdict } from '../../src/identify/identify.js';
import { openInput, type InputSource } from '../../src/input/source.js';

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
const verdictName = { [Verdict.New]: 'new', [Verdict.Duplicate]: 'duplicate', [Verdict.NotSynced]: 'not synced' };

let folder: string | undefined;
let source: InputSource | undefined;
afterEach(() => {
  source?.close();
  if (folder) fs.rmSync(folder, { recursive: true, force: true });
  folder = source = undefined;
});

async function inputFile(name: string, text: string): Promise<InputSource> {
  folder ??= fs.mkdtempSync(path.join(os.tmpdir(), 'pinsync-rows-'));
  const file = path.join(folder, name);
  fs.writeFileSync(file, text);
  source = await openInput(file, process.stdin);
  return source;
}

/** Every row the stage hands over, copied (the stage reuses its arrays). */
function collector() {
  const rows: Array<{ line: number; verdict: string; records: string[]; reason?: string }> = [];
  const sink: IdentifiedRowSink = {
    planned: () => {},
    identified(line, verdict, row) {
      rows.push({
        line,
        verdict: verdictName[verdict],
        records: row.records.slice(0, verdict === Verdict.New ? row.count : 0),
        ...(verdict === Verdict.NotSynced ? { reason: row.reason } : {}),
      });
    },
  };
  return { rows, sink };
}

describe('rows identified', () => {
  it('hands over each row of a CSV in order: new records hashed, duplicates, and why a row is not synced', async () => {
    const input = await inputFile(
      'users.csv',
      '\uFEFFEmail Address,name\n Ada@Example.com ,Ada\nADA@example.com,Ada again\nnot-an-email,Bob\n,Nobody\ncy@example.com,Cy\n',
    );
    const { rows, sink } = collector();
    const reader = new IdentifiedRows({ source: input, seen: new DigestSet(), signal: new AbortController().signal }, sink);

    expect(await reader.readAll()).toBe('end');
    expect(reader.plan?.columns.map((c) => [c.kind, c.name])).toEqual([['email', 'Email Address']]);
    expect(rows).toEqual([
      { line: 2, verdict: 'new', records: [sha256('ada@example.com')] },
      { line: 3, verdict: 'duplicate', records: [] },
      { line: 4, verdict: 'not synced', records: [], reason: 'invalid_email' },
      { line: 5, verdict: 'not synced', records: [], reason: 'missing_identifier' },
      { line: 6, verdict: 'new', records: [sha256('cy@example.com')] },
    ]);
  });

  it('gives an NDJSON line that is not an object as not synced (malformed_row)', async () => {
    const input = await inputFile('users.ndjson', '{"email":"ada@example.com"}\n[1,2]\n{"email":"bo@example.com"}\n');
    const { rows, sink } = collector();
    await new IdentifiedRows({ source: input, seen: new DigestSet(), signal: new AbortController().signal }, sink).readAll();

    expect(rows.map((row) => [row.line, row.verdict, row.reason])).toEqual([
      [1, 'new', undefined],
      [2, 'not synced', 'malformed_row'],
      [3, 'new', undefined],
    ]);
  });

  it('stops at once on Ctrl-C while waiting for a slow input, keeping the rows already read', async () => {
    const stdin = new PassThrough();
    source = await openInput('-', stdin, 'csv');
    const controller = new AbortController();
    const { rows, sink } = collector();
    const reading = new IdentifiedRows({ source, seen: new DigestSet(), signal: controller.signal }, sink).readAll();
    stdin.write('email\nada@example.com\n');
    await waitUntil(() => rows.length === 1);
    controller.abort();

    expect(await reading).toBe('interrupted');
    expect(rows.map((row) => row.line)).toEqual([2]);
  });

  it('reads only the column plan for a file check, whatever the delimiter', async () => {
    const input = await inputFile('users.csv', 'id;MAID;e-mail\n1;6f1c2a9e-8b1d-4f3a-9c2e-1d2f3a4b5c6d;ada@example.com\n');
    const plan = await readColumnPlan({ source: input, delimiter: ';' });

    expect(plan?.listType).toBe('EMAIL');
    expect(plan?.columns.map((c) => c.kind).sort()).toEqual(['email', 'maid']);
    expect(await readColumnPlan({ source: await inputFile('empty.csv', '') })).toBeUndefined();
  });
});

async function waitUntil(condition: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
