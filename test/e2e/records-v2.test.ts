// Several identifiers per user (API 5.28 records_v2): a file with a phone column sends one row per user
// holding every identifier it has, hashed (phones as E.164 digits), never a raw value; push, fan-out,
// sync and jobs alike, against a sandbox in strict 5.28 mode.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startSandbox, type Sandbox } from '../../src/sandbox/server.js';

import { runInProcess } from '../support/in-process.js';
import { sandboxEnv, US } from '../support/sandbox.js';
import { makeHome } from '../support/home.js';

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

let sandbox: Sandbox;
let home: string;
beforeEach(async () => {
  sandbox = await startSandbox({ port: 0, writeRate: 1000, strict528: true, listRules: { audiencesNeedReadyList: false } });
  home = makeHome();
});
afterEach(async () => {
  await sandbox.stop();
});

function write(name: string, text: string): string {
  const file = path.join(home, name);
  fs.writeFileSync(file, text);
  return file;
}

const run = (args: string[]) => runInProcess([...args, '--ad-account', US], { env: sandboxEnv(sandbox), home });
const listNamed = (name: string) => [...sandbox.state.customerLists.values()].find((list) => list.name === name && list.adAccountId === US)!;

describe('push with email, phone and device id', () => {
  const maid = '8D8AC610-566D-4EF0-9C22-186B2A5ED793';
  // One number in five written forms (users 1-5), a second number twice (6, 7), a user with no valid phone (8).
  const rows = [
    ['ann@example.com', '+1 415-555-0101', maid],
    ['bob@example.com', '(415) 555-0101', ''],
    ['cat@example.com', '415.555.0101', ''],
    ['dan@example.com', '+1 (415) 555 0101', ''],
    ['eve@example.com', 'tel:+14155550101', ''],
    ['fay@example.com', '+44 20 7946 0958', ''],
    ['gus@example.com', '020 7946 0958', ''],
    ['hal@example.com', '555', ''],
  ];
  const csv = 'Email,Phone Number,Device ID\n' + rows.map((r) => r.join(',')).join('\n') + '\n';

  it('sends one records_v2 row per user, every identifier hashed, the same number in any form hashing the same', async () => {
    const file = write('users.csv', csv.replace('020 7946 0958', '+44 (0)20 7946 0958'));
    const result = await run(['push', file, '--audience', 'Members', '--create', '--phone-country', 'US', '--batch-size', '3', '--json']);
    expect(result.code, result.stderr).toBe(0);
    const report = JSON.parse(result.stdout);
    expect(report).toMatchObject({ entered: 8, synced: 8, recordsFormat: 'records_v2', columns: { email: 'Email', phone: 'Phone Number', maid: 'Device ID' } });
    expect(report.records).toBe(8 + 7 + 1); // 8 emails, 7 possible phones, 1 device id

    const list = listNamed('Members');
    expect(list.receivedRows).toHaveLength(8);
    expect(list.receivedRows[0]).toEqual({ email: sha256('ann@example.com'), maid: sha256(maid.toLowerCase()), hashed_phone_number: sha256('14155550101') });
    expect(list.receivedRows.slice(1, 5).map((row) => row.hashed_phone_number)).toEqual(Array(4).fill(sha256('14155550101')));
    expect(list.receivedRows[5]!.hashed_phone_number).toBe(sha256('442079460958'));
    expect(list.receivedRows[6]!.hashed_phone_number).toBe(sha256('442079460958'));
    expect(list.receivedRows[7]).toEqual({ email: sha256('hal@example.com') });

    // No raw phone, email or device id reached Pinterest: what it holds is hex digests only.
    const held = JSON.stringify([...list.records, ...list.receivedRows]);
    for (const value of rows.flat().filter(Boolean)) expect(held).not.toContain(value.toLowerCase().replace(/^tel:/, ''));
    for (const value of [...list.records]) expect(value).toMatch(/^[0-9a-f]{64}$/);
    // Batches count rows: 8 rows at --batch-size 3 are 3 requests of at most 3 rows.
    const writes = sandbox.state.requests.filter((r) => r.method !== 'GET' && r.path.includes('/customer_lists'));
    expect(writes.map((r) => r.records)).toEqual([3, 3, 2]);

    // Big files hash on a worker thread: the same rows come out of it.
    const onWorker = await runInProcess(['push', file, '--audience', 'Members 2', '--create', '--phone-country', 'US', '--ad-account', US], {
      env: { ...sandboxEnv(sandbox), PINSYNC_HASH_WORKER: '1' },
      home,
    });
    expect(onWorker.code, onWorker.stderr).toBe(0);
    expect(listNamed('Members 2').receivedRows).toEqual(list.receivedRows);
    expect(sandbox.state.violations).toEqual([]);
  });

  it('reads numbers written without + only with --phone-country, and says so', async () => {
    const file = write('national.csv', 'phone\n(415) 555-0101\n+14155550102\n');
    const without = await run(['push', file, '--audience', 'Phones', '--create', '--json']);
    expect(without.code, without.stderr).toBe(0);
    expect(JSON.parse(without.stdout).notSyncedReasons).toEqual({ invalid_phone: 1 });
    expect(without.stderr).toContain('need --phone-country');

    const wrong = await run(['push', file, '--audience', 'Phones', '--phone-country', 'XX']);
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toContain('--phone-country takes a two-letter country code');
  });

  it('passes a SHA-256 in the phone column through; excludes a user by phone; dedupes a user seen before', async () => {
    const hashed = sha256('14155550109');
    const file = write(
      'mixed.csv',
      `email,phone\na@example.com,${hashed.toUpperCase()}\nb@example.com,+1 415 555 0110\na@example.com,+1 415 555 0109\nc@example.com,+1 415 555 0111\n`,
    );
    const optouts = write('optouts.csv', 'mobile\n(415) 555-0111\n');
    const result = await run(['push', file, '--audience', 'Mixed', '--create', '--exclude', optouts, '--phone-country', 'US', '--json']);
    expect(result.code, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ entered: 4, synced: 2, duplicates: 1, notSynced: 1, notSyncedReasons: { excluded: 1 } });
    expect(listNamed('Mixed').receivedRows.map((row) => row.hashed_phone_number)).toEqual([hashed, sha256('14155550110')]);
  });

  it('follows NDJSON dotted paths to phones, and sends rows per audience of an --audience-column push', async () => {
    const file = write(
      'events.ndjson',
      [
        { traits: { email: 'a@example.com', phone: '+1 415 555 0121' }, segment: 'VIP' },
        { traits: { email: 'b@example.com', phone: '+1 415 555 0122' }, segment: 'Lapsed' },
      ]
        .map((o) => JSON.stringify(o))
        .join('\n') + '\n',
    );
    const result = await run(['push', file, '--audience-column', 'segment', '--create', '--email-column', 'traits.email', '--phone-column', 'traits.phone', '--json']);
    expect(result.code, result.stderr).toBe(0);
    expect(listNamed('VIP').receivedRows).toEqual([{ email: sha256('a@example.com'), hashed_phone_number: sha256('14155550121') }]);
    expect(listNamed('Lapsed').receivedRows).toEqual([{ email: sha256('b@example.com'), hashed_phone_number: sha256('14155550122') }]);
  });
});

describe('sync of a file with phones', () => {
  /** What the audience must hold after a sync of `users`: every identifier of every user, hashed. */
  const identifiersOf = (users: Array<[string, string]>) => new Set(users.flatMap(([email, phone]) => [sha256(email), ...(phone ? [sha256(phone)] : [])]));
  const csvOf = (users: Array<[string, string]>) => 'email,phone\n' + users.map(([email, phone]) => `${email},${phone ? `+${phone}` : ''}`).join('\n') + '\n';

  it('mirrors exactly over three days of churn: users joining, leaving, changing phone (the third day from a jobs file)', async () => {
    const days: Array<Array<[string, string]>> = [
      [['ann@example.com', '14155550131'], ['bob@example.com', '14155550132'], ['cat@example.com', '14155550133']],
      // Bob changes phone, Cat leaves, Dan joins.
      [['ann@example.com', '14155550131'], ['bob@example.com', '14155550199'], ['dan@example.com', '14155550134']],
      // Ann drops her phone, Eve joins, Dan changes phone.
      [['ann@example.com', ''], ['bob@example.com', '14155550199'], ['dan@example.com', '14155550198'], ['eve@example.com', '14155550135']],
    ];
    const file = path.join(home, 'members.csv');
    for (const [day, users] of days.entries()) {
      fs.writeFileSync(file, csvOf(users));
      const result =
        day < 2
          ? await run(['sync', file, '--audience', 'Mirror', '--create', '--max-remove', '100', '--json'])
          : await runInProcess(['run', write('jobs.yaml', `ad_account: "${US}"\njobs:\n  - name: members\n    mode: sync\n    file: members.csv\n    audience: Mirror\n    max_remove: 100\n    email_column: email\n    phone_column: phone\n    phone_country: US\n`), '--json'], {
              env: sandboxEnv(sandbox),
              home,
            });
      expect(result.code, result.stderr).toBe(0);
      expect(new Set(listNamed('Mirror').records), `day ${day + 1}`).toEqual(identifiersOf(users));
    }
    expect(sandbox.state.violations).toEqual([]);
  });
});
