// `pinsync push` end to end: the built CLI against the sandbox over loopback, checked the way a user
// would: exit code, report, rejects file, and exactly which hashed records Pinterest now holds.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseJsonOutput } from '../support/cli.js';
import { writeFile } from '../support/files.js';
import { runInProcess } from '../support/in-process.js';
import { countsAddUp } from '../support/reports.js';
import { arrangeAudience, sandboxEnv, sandboxPerTest, US } from '../support/sandbox.js';
import { listWrites, recordsOf } from '../support/sandbox-records.js';
import { sha256 } from '../support/users.js';

type Report = Record<string, any>;

const t = sandboxPerTest({ writeRate: 1000 });

const MAID = '6D92078A-8246-4BA4-AE5B-76104861E7DC';
const PREHASHED = sha256('prehashed@example.com').toUpperCase();

// BOM, CRLF, mixed case and spaces, blanks, invalid values, duplicates, a pre-hashed value, a quoted comma.
const messyCsv =
  '\uFEFFE-Mail,Name,GAID\r\n' +
  '  Jane.Doe@Example.com ,"Doe, Jane",\r\n' + // line 2
  'jane.doe@example.com,dup,\r\n' + // 3: duplicate of 2
  ',blank,\r\n' + // 4: no identifier
  'not-an-email,bad,\r\n' + // 5: invalid email
  `${PREHASHED},pre,\r\n` + // 6
  `,maid only,${MAID}\r\n` + // 7
  '"quoted@example.com","multi\r\nline",\r\n' + // 8-9
  'last@example.com,x,not-a-maid\r\n'; // 10: email ok, maid invalid

const messyExpected = [
  sha256('jane.doe@example.com'),
  sha256('prehashed@example.com'),
  sha256(MAID.toLowerCase()),
  sha256('quoted@example.com'),
  sha256('last@example.com'),
].sort();

describe('pinsync push', () => {
  it.each([
    ['on one thread', '0'],
    ['hashing on a worker thread (big files)', '1'],
  ])('sends exactly the normalised, hashed, de-duplicated records of a messy CSV and reports every row (%s)', async (_, worker) => {
    const { list, audience } = arrangeAudience(t.sandbox);
    const file = writeFile(t.dir, 'users.csv', messyCsv);
    const rejects = path.join(t.dir, 'rejects.csv');
    const reportFile = path.join(t.dir, 'report.json');
    const canary = 'canary-token-7f3a9c2e41';
    const r = await runInProcess(['push', file, '--audience', 'Newsletter', '--ad-account', US, '--json', '--rejects', rejects, '--report', reportFile, '--force'], {
      env: { ...sandboxEnv(t.sandbox), PINTEREST_APP_SECRET: canary, PINSYNC_HASH_WORKER: worker },
    });
    expect(r.code, r.stderr).toBe(0);
    expect(recordsOf(t.sandbox, list.id)).toEqual(messyExpected);
    const report = parseJsonOutput<Report>(r);
    expect(report).toMatchObject({
      command: 'push',
      operation: 'ADD',
      dryRun: false,
      adAccountId: US,
      audienceId: audience.id,
      customerListId: list.id,
      entered: 8,
      synced: 5,
      duplicates: 1,
      notSynced: 2,
      errored: 0,
      pending: 0,
      records: 5,
      notSyncedReasons: { missing_identifier: 1, invalid_email: 1 },
      listType: 'EMAIL',
    });
    expect(Object.keys(report)).toEqual(expect.arrayContaining(['requests', 'retries', 'rateLimited', 'startedAt', 'finishedAt', 'durationMs']));
    expect(JSON.parse(fs.readFileSync(reportFile, 'utf8'))).toEqual(report);
    expect(fs.readFileSync(rejects, 'utf8')).toBe('line,reason\n4,missing_identifier\n5,invalid_email\n');
    expect(r.stderr).toMatch(/Entered\s+8/);
    for (const text of [r.stdout, r.stderr, fs.readFileSync(rejects, 'utf8'), fs.readFileSync(reportFile, 'utf8')]) {
      expect(text).not.toMatch(/example\.com/i);
      expect(text).not.toContain(t.sandbox.token);
      expect(text).not.toContain(canary);
    }
  });

  it('reads gzip-compressed NDJSON from standard input, with MAID and IDFA fields', async () => {
    const { list } = arrangeAudience(t.sandbox, 'Apps');
    const idfa = 'A1B2C3D4-0000-4000-8000-0123456789AB';
    const lines = [{ maid: MAID, idfa }, { maid: MAID.toLowerCase() }, { idfa: ' ' }, { maid: 'nope' }, 'not json', { idfa }].map((v) =>
      typeof v === 'string' ? v : JSON.stringify(v),
    );
    const input = (await import('node:zlib')).gzipSync(lines.join('\n') + '\n');
    const r = await runInProcess(['push', '-', '--audience', 'Apps', '--ad-account', US, '--json', '--force'], {
      env: { ...sandboxEnv(t.sandbox), PINSYNC_HASH_WORKER: '1' },
      input,
    });
    expect(r.code, r.stderr).toBe(0);
    expect(recordsOf(t.sandbox, list.id)).toEqual([sha256(MAID.toLowerCase()), sha256(idfa.toLowerCase())].sort());
    const report = parseJsonOutput<Report>(r);
    expect(report).toMatchObject({ entered: 6, synced: 1, duplicates: 2, notSynced: 3, listType: 'MAID' });
    expect(report.notSyncedReasons).toEqual({ missing_identifier: 1, invalid_maid: 1, malformed_row: 1 });
    expect(countsAddUp(report)).toBe(true);
  });

  it('creates the customer list from the first batch and then the audience, never sending more than --batch-size', async () => {
    const rows = Array.from({ length: 250 }, (_, i) => `user${i}@example.com`);
    const file = writeFile(t.dir, 'users.csv.gz', 'email\n' + rows.join('\n') + '\n');
    const r = await runInProcess(['push', file, '--audience', 'Fresh', '--ad-account', US, '--create', '--batch-size', '100', '--json'], { env: sandboxEnv(t.sandbox) });
    expect(r.code, r.stderr).toBe(0);
    const report = parseJsonOutput<Report>(r);
    const audience = t.sandbox.state.audience(report.audienceId)!;
    expect(audience).toMatchObject({ name: 'Fresh', audienceType: 'CUSTOMER_LIST' });
    expect(audience.rule.customer_list_id).toBe(report.customerListId);
    const list = t.sandbox.state.customerList(report.customerListId)!;
    expect(list.listType).toBe('EMAIL');
    expect(recordsOf(t.sandbox, list.id)).toEqual(rows.map(sha256).sort());
    const writes = listWrites(t.sandbox);
    expect(writes[0]!.method).toBe('POST');
    expect(writes.map((w) => w.records)).toEqual([100, 100, 50]);
    expect(report).toMatchObject({ entered: 250, synced: 250, records: 250, createdAudience: true });
  });

  it('takes a named column and another delimiter', async () => {
    const { list } = arrangeAudience(t.sandbox);
    const file = writeFile(t.dir, 'kunden.csv', 'Kunde;Kontakt\n1;"Anna@Example.com"\n2;bo@example.com\n');
    const r = await runInProcess(['push', file, '--audience', 'Newsletter', '--ad-account', US, '--delimiter', ';', '--email-column', 'kontakt', '--json'], { env: sandboxEnv(t.sandbox) });
    expect(r.code, r.stderr).toBe(0);
    expect(recordsOf(t.sandbox, list.id)).toEqual([sha256('anna@example.com'), sha256('bo@example.com')].sort());
    expect(parseJsonOutput<Report>(r).columns).toEqual({ email: 'Kontakt' });
  });

  it('removes users with --remove', async () => {
    const keep = sha256('keep@example.com');
    const { list } = arrangeAudience(t.sandbox, 'Newsletter', [sha256('gone@example.com'), keep]);
    const file = writeFile(t.dir, 'gone.csv', 'email\nGONE@example.com\n');
    const r = await runInProcess(['push', file, '--audience', 'Newsletter', '--ad-account', US, '--remove', '--json', '--force'], { env: sandboxEnv(t.sandbox) });
    expect(r.code, r.stderr).toBe(0);
    expect(recordsOf(t.sandbox, list.id)).toEqual([keep]);
    expect(parseJsonOutput<Report>(r)).toMatchObject({ operation: 'REMOVE', synced: 1 });
  });

  it('sends nothing on a dry run, with or without credentials, and says what it would send', async () => {
    const { list } = arrangeAudience(t.sandbox);
    const file = writeFile(t.dir, 'users.csv', 'email\na@example.com\nb@example.com\nb@example.com\n');
    const withCredentials = await runInProcess(['push', file, '--audience', 'Newsletter', '--ad-account', US, '--dry-run', '--json'], { env: sandboxEnv(t.sandbox) });
    expect(withCredentials.code, withCredentials.stderr).toBe(0);
    expect(parseJsonOutput<Report>(withCredentials)).toMatchObject({ dryRun: true, audienceId: expect.any(String), synced: 2, duplicates: 1, wouldSend: { requests: 1, records: 2 } });
    const offline = await runInProcess(['push', file, '--audience', 'Newsletter', '--dry-run', '--json'], { env: { PINSYNC_PROGRESS_INTERVAL: '3600' } });
    expect(offline.code, offline.stderr).toBe(0);
    expect(offline.stderr).toMatch(/checks the file locally/);
    expect(parseJsonOutput<Report>(offline)).toMatchObject({ dryRun: true, entered: 3, synced: 2 });
    expect(listWrites(t.sandbox)).toHaveLength(0);
    expect(recordsOf(t.sandbox, list.id)).toEqual([]);
  });

  it('stops before uploading when most rows have no valid identifier, unless --force', async () => {
    const { list } = arrangeAudience(t.sandbox);
    const file = writeFile(t.dir, 'wrong.csv', 'email,name\n' + Array.from({ length: 30 }, (_, i) => (i < 20 ? `user${i}` : `user${i}@example.com`) + ',x').join('\n') + '\n');
    const stopped = await runInProcess(['push', file, '--audience', 'Newsletter', '--ad-account', US], { env: sandboxEnv(t.sandbox) });
    expect(stopped.code).toBe(2);
    expect(stopped.stderr).toMatch(/20 of the first 30 rows have no valid identifier in "email"/);
    expect(stopped.stderr).toMatch(/--force/);
    expect(listWrites(t.sandbox)).toHaveLength(0);
    const forced = await runInProcess(['push', file, '--audience', 'Newsletter', '--ad-account', US, '--force', '--json'], { env: sandboxEnv(t.sandbox) });
    expect(forced.code, forced.stderr).toBe(0);
    expect(recordsOf(t.sandbox, list.id)).toHaveLength(10);
  });

  it('exits 2 listing the columns when no identifier column is found, and 5 for a missing audience', async () => {
    arrangeAudience(t.sandbox);
    const file = writeFile(t.dir, 'nocol.csv', 'name,city\nJane,Paris\n');
    const noColumn = await runInProcess(['push', file, '--audience', 'Newsletter', '--ad-account', US], { env: sandboxEnv(t.sandbox) });
    expect(noColumn.code).toBe(2);
    expect(noColumn.stderr).toMatch(/No identifier column found \(columns seen: "name", "city"\)/);
    const good = writeFile(t.dir, 'good.csv', 'email\na@example.com\n');
    const missing = await runInProcess(['push', good, '--audience', 'Nope', '--ad-account', US], { env: sandboxEnv(t.sandbox) });
    expect(missing.code).toBe(5);
    expect(missing.stderr).toMatch(/--create/);
  });

  it('refuses an audience that is not a customer-list audience', async () => {
    t.sandbox.state.createAudience(US, { name: 'Visitors', audienceType: 'VISITOR', rule: { event: 'pagevisit' } });
    const file = writeFile(t.dir, 'good.csv', 'email\na@example.com\n');
    const r = await runInProcess(['push', file, '--audience', 'Visitors', '--ad-account', US], { env: sandboxEnv(t.sandbox) });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/only customer-list audiences can take users/);
  });

  it('exits 2 with one sentence on unreadable, empty, binary, unterminated or non-UTF-8 input', async () => {
    arrangeAudience(t.sandbox);
    const cases: Array<[string, string | Buffer, RegExp]> = [
      ['empty.csv', '', /empty/],
      ['binary.csv', Buffer.from([0x65, 0x6d, 0x61, 0x69, 0x6c, 0x0a, 0x00, 0x01, 0x02]), /binary/],
      ['quote.csv', 'email\nok@example.com\n"open@example.com\n', /Line 3: a quoted field is never closed/],
      ['latin1.csv', Buffer.concat([Buffer.from('email\nok@example.com\ncaf'), Buffer.from([0xe9]), Buffer.from('@example.com\n')]), /Line 3 is not valid UTF-8/],
    ];
    for (const [name, content, message] of cases) {
      const r = await runInProcess(['push', writeFile(t.dir, name, content), '--audience', 'Newsletter', '--ad-account', US], { env: sandboxEnv(t.sandbox) });
      expect(r.code, `${name}: ${r.stderr}`).toBe(2);
      expect(r.stderr).toMatch(message);
      expect(r.stderr).not.toMatch(/at .*\.js:\d+/); // no stack trace
    }
    const missing = await runInProcess(['push', path.join(t.dir, 'nope.csv'), '--audience', 'Newsletter', '--ad-account', US], { env: sandboxEnv(t.sandbox) });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/Cannot read .*nope\.csv: no such file/);
  });

  it('stops with exit 4 when the token is revoked mid-run, with the counts adding up', async () => {
    const { list } = arrangeAudience(t.sandbox);
    t.sandbox.setFaults({ revokeTokenAfterWrites: 2 });
    const file = writeFile(t.dir, 'users.csv', 'email\n' + Array.from({ length: 100 }, (_, i) => `user${i}@example.com`).join('\n') + '\n');
    const r = await runInProcess(['push', file, '--audience', 'Newsletter', '--ad-account', US, '--batch-size', '10', '--json', '--rate', '5'], { env: sandboxEnv(t.sandbox) });
    expect(r.code, r.stderr).toBe(4);
    const report = parseJsonOutput<Report>(r);
    expect(countsAddUp(report)).toBe(true);
    expect(report.synced).toBe(recordsOf(t.sandbox, list.id).length);
    expect(report.synced).toBeGreaterThanOrEqual(20);
    expect(report.synced).toBeLessThan(100);
    expect(report.errors.token_rejected).toBeGreaterThan(0);
  });

  it('stops with exit 5 when the list is deleted mid-run', async () => {
    arrangeAudience(t.sandbox);
    t.sandbox.setFaults({ deleteListAfterWrites: 2 });
    const file = writeFile(t.dir, 'users.csv', 'email\n' + Array.from({ length: 100 }, (_, i) => `user${i}@example.com`).join('\n') + '\n');
    const r = await runInProcess(['push', file, '--audience', 'Newsletter', '--ad-account', US, '--batch-size', '10', '--json', '--rate', '5'], { env: sandboxEnv(t.sandbox) });
    expect(r.code, r.stderr).toBe(5);
    const report = parseJsonOutput<Report>(r);
    expect(countsAddUp(report)).toBe(true);
    expect(report.synced).toBe(20);
    expect(report.errors.list_not_found).toBeGreaterThan(0);
  });
});

describe('pinsync push, progress and batch size', () => {
  it('never sends more than 1,900 records a request, and prints plain progress lines off a terminal', async () => {
    const { list } = arrangeAudience(t.sandbox);
    t.sandbox.setFaults({ latencyMs: 150 });
    const file = writeFile(t.dir, 'users.csv', 'email\n' + Array.from({ length: 4000 }, (_, i) => `user${i}@example.com`).join('\n') + '\n');
    const r = await runInProcess(['push', file, '--audience', 'Newsletter', '--ad-account', US, '--rate', '3'], {
      env: { ...sandboxEnv(t.sandbox), PINSYNC_PROGRESS_INTERVAL: '0.1' },
    });
    expect(r.code, r.stderr).toBe(0);
    expect(listWrites(t.sandbox).map((w) => w.records)).toEqual([1900, 1900, 200]);
    expect(recordsOf(t.sandbox, list.id)).toHaveLength(4000);
    expect(r.stderr).toMatch(/progress: [\d,]+ rows read \(\d+% done\), [\d,]+ rows\/s done; synced [\d,]+, pending [\d,]+, not synced 0, errored 0/);
    const quiet = await runInProcess(['push', file, '--audience', 'Newsletter', '--ad-account', US, '--no-progress'], {
      env: { ...sandboxEnv(t.sandbox), PINSYNC_PROGRESS_INTERVAL: '0.1' },
    });
    expect(quiet.code).toBe(0);
    expect(quiet.stderr).not.toMatch(/progress:/);
  });
});
