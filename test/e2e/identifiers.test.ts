// What reaches Pinterest for odd identifier values (contract: "Identifiers sent to Pinterest"), end
// to end: the built CLI against the sandbox, on one thread and with the hash worker forced.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseJsonOutput } from '../support/cli.js';
import { writeFile } from '../support/files.js';
import { runInProcess } from '../support/in-process.js';
import { countsAddUp } from '../support/reports.js';
import { arrangeAudience, sandboxEnv, sandboxPerTest, US } from '../support/sandbox.js';
import { recordsOf } from '../support/sandbox-records.js';
import { sha256 } from '../support/users.js';

type Report = Record<string, any>;

const t = sandboxPerTest();

const threads = [
  ['on one thread', '0'],
  ['on the hash worker', '1'],
] as const;

function push(file: string, extra: string[], worker: string, audience = 'Newsletter') {
  return runInProcess(['push', file, '--audience', audience, '--ad-account', US, '--json', '--force', ...extra], {
    env: { ...sandboxEnv(t.sandbox), PINSYNC_HASH_WORKER: worker },
  });
}

describe('identifiers sent to Pinterest', () => {
  it.each(threads)('hashes undashed MAIDs instead of sending them raw, and skips the all-zero device id (%s)', async (_, worker) => {
    const { list } = arrangeAudience(t.sandbox, 'Apps');
    const undashed = '6D92078A82464BA4AE5B76104861E7DC';
    const prehashed = sha256('some-device').toUpperCase();
    const file = writeFile(
      t.dir,
      'devices.csv',
      'maid,idfa\n' +
        `${undashed},\n` + // 2
        `,A1B2C3D4-0000-4000-8000-0123456789AB\n` + // 3
        `00000000-0000-0000-0000-000000000000,\n` + // 4: ad tracking limited
        `,00000000000000000000000000000000\n` + // 5: the same, undashed
        `${prehashed},\n` + // 6: already hashed (SHA-256)
        `${sha256('x').slice(0, 40)},\n`, // 7: a SHA-1 is not a device id
    );
    const rejects = path.join(t.dir, 'rejects.csv');
    const r = await push(file, ['--rejects', rejects], worker, 'Apps');
    expect(r.code, r.stderr).toBe(0);
    const sent = recordsOf(t.sandbox, list.id);
    expect(sent).toEqual([sha256('6d92078a-8246-4ba4-ae5b-76104861e7dc'), sha256('a1b2c3d4-0000-4000-8000-0123456789ab'), prehashed.toLowerCase()].sort());
    expect(sent).not.toContain(undashed.toLowerCase());
    const report = parseJsonOutput<Report>(r);
    expect(report).toMatchObject({ entered: 6, synced: 3, notSynced: 3, notSyncedReasons: { opted_out_device: 2, invalid_maid: 1 } });
    expect(countsAddUp(report)).toBe(true);
    expect(fs.readFileSync(rejects, 'utf8')).toBe('line,reason\n4,opted_out_device\n5,opted_out_device\n7,invalid_maid\n');
  });

  it.each(threads)('strips mailto: and invisible format characters before hashing emails (%s)', async (_, worker) => {
    const { list } = arrangeAudience(t.sandbox);
    const file = writeFile(
      t.dir,
      'users.csv',
      'email\n' +
        'mailto:Jane@Example.com\n' +
        'MAILTO:bob@example.com\n' +
        '\u200Bann@exam\u00ADple.com\uFEFF\n' +
        '\u200B\n', // nothing but a zero-width space: missing, not invalid
    );
    const r = await push(file, [], worker);
    expect(r.code, r.stderr).toBe(0);
    expect(recordsOf(t.sandbox, list.id)).toEqual([sha256('jane@example.com'), sha256('bob@example.com'), sha256('ann@example.com')].sort());
    expect(parseJsonOutput<Report>(r)).toMatchObject({ entered: 4, synced: 3, notSynced: 1, notSyncedReasons: { missing_identifier: 1 } });
  });
});

describe('identifier columns', () => {
  it('refuses a header with the same identifier column twice, naming both, and sends nothing', async () => {
    arrangeAudience(t.sandbox);
    const file = writeFile(t.dir, 'users.csv', 'email,name,Email\na@example.com,A,b@example.com\n');
    const r = await push(file, [], '0');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/Columns 1 \("email"\) and 3 \("Email"\) could both be the email column/);
    expect(r.stderr).toMatch(/--email-column/);
    expect(r.stderr).not.toMatch(/example\.com|\n\s+at /);
    expect(t.sandbox.state.requests.filter((q) => q.method !== 'GET')).toEqual([]);
  });

  it('reads the column named with a flag when the header has two of that name', async () => {
    const { list } = arrangeAudience(t.sandbox);
    const file = writeFile(t.dir, 'users.csv', 'email,name,Email\na@example.com,A,b@example.com\n');
    const r = await push(file, ['--email-column', 'Email'], '0');
    expect(r.code, r.stderr).toBe(0);
    expect(recordsOf(t.sandbox, list.id)).toEqual([sha256('b@example.com')]);
  });

  it('does not print the cells of a file without a header row, only those that look like column names', async () => {
    arrangeAudience(t.sandbox);
    const file = writeFile(t.dir, 'people.csv', 'Jane,Doe,+1 (555) 123-4567,1984-03-12,Zip Code\nBob,Roe,+1 (555) 765-4321,1990-01-02,10115\n');
    const r = await push(file, [], '0');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/No identifier column found/);
    expect(r.stderr).toContain('"Zip Code"');
    expect(r.stderr).toMatch(/plus 4 not shown/);
    for (const secret of ['Jane', 'Doe', '555', '1984']) expect(r.stderr).not.toContain(secret);
  });
});

describe('NDJSON event streams', () => {
  const MAID = '6D92078A-8246-4BA4-AE5B-76104861E7DC';
  const events = [
    { type: 'track', event: 'Opened', context: { device: { advertisingId: MAID } } },
    { type: 'page', properties: { path: '/' } },
    { type: 'identify', traits: { email: 'Ann@Example.com' }, context: { device: {} } },
    { type: 'identify', traits: { email: 'mailto:bo@example.com' } },
  ];
  const stream = events.map((e) => JSON.stringify(e)).join('\n') + '\n';

  it.each(threads)('reads nested fields named by dotted paths from every event, and the list type follows the first batch (%s)', async (_, worker) => {
    const r = await runInProcess(
      ['push', '-', '--audience', 'Events', '--create', '--ad-account', US, '--json', '--force', '--email-column', 'traits.email', '--maid-column', 'context.device.advertisingId'],
      { env: { ...sandboxEnv(t.sandbox), PINSYNC_HASH_WORKER: worker }, input: stream },
    );
    expect(r.code, r.stderr).toBe(0);
    const report = parseJsonOutput<Report>(r);
    expect(report).toMatchObject({ entered: 4, synced: 3, notSynced: 1, notSyncedReasons: { missing_identifier: 1 }, listType: 'EMAIL' });
    expect(report.columns).toEqual({ email: 'traits.email', maid: 'context.device.advertisingId' });
    const list = t.sandbox.state.customerList(report.customerListId)!;
    expect(list.listType).toBe('EMAIL');
    expect(recordsOf(t.sandbox, list.id)).toEqual([sha256(MAID.toLowerCase()), sha256('ann@example.com'), sha256('bo@example.com')].sort());
  });

  it.each(threads)('finds identifier fields that only later objects hold (%s)', async (_, worker) => {
    const { list } = arrangeAudience(t.sandbox);
    const lines = [{ event: 'signup' }, { event: 'page' }, { email: 'late@example.com' }, { Email: 'later@example.com', idfa: 'A1B2C3D4-0000-4000-8000-0123456789AB' }];
    const file = writeFile(t.dir, 'events.ndjson', lines.map((l) => JSON.stringify(l)).join('\n') + '\n');
    const r = await push(file, [], worker);
    expect(r.code, r.stderr).toBe(0);
    expect(recordsOf(t.sandbox, list.id)).toEqual([sha256('late@example.com'), sha256('later@example.com'), sha256('a1b2c3d4-0000-4000-8000-0123456789ab')].sort());
    const report = parseJsonOutput<Report>(r);
    expect(report).toMatchObject({ entered: 4, synced: 2, notSynced: 2, listType: 'EMAIL' });
    expect(report.columns).toEqual({ email: 'email', idfa: 'idfa' });
  });
});
