#!/usr/bin/env node
// `npm run bench` (not a test): measures, on this machine, side by side
//   throughput  local pipeline rows/s on a generated 1M-row CSV (email + MAID) under --dry-run,
//               next to csv-parse (columns: true) + createHash and a python3 csv + hashlib baseline
//   rss         peak RSS of --dry-run over 10M generated rows (one email column), streamed from disk
//   upload      records/s for 200k records against the sandbox at 7 writes/s and 1,900 per request,
//               as a share of the 13,300 records/s ceiling, and the share of writes answered 429
//   latency     seconds from a record written to stdin until the sandbox holds it (streaming mode)
//   write-rate  70 full writes (1,900 records each) at the default 7/s against a sandbox that allows
//               7 per 1-second window: writes/s reached, 429s and retries
//   shared-token two pushes × 250k records sharing one token (separate PINSYNC_HOMEs), started together,
//               against the 7 writes/s sandbox (~260 writes, so start-up does not dominate): combined
//               share of the 13,300 records/s ceiling and share of writes answered 429 (goals ≥ 0.85, ≤ 5%)
//   quota       a push against a window quota below --rate (400 a minute; --quick: 20 per 3 s, the same
//               rate): share of the quota reached and share of writes answered 429 (goals ≥ 0.90, ≤ 2%)
//   exclude     the throughput run with a 1M-row exclusion file (--exclude), plain and already hashed,
//               side by side with the same run without it (goal: within 15%)
//   jobs        `pinsync run` of a jobs file pushing 4 audiences × 100,000 users against a sandbox at
//               7 writes/s: records/s over the whole run as a share of 13,300, and the 429 share
//   two-pushes  two separate `pinsync push` processes (100,000 users each) on one PINSYNC_HOME and
//               one token against a sandbox at 7 writes/s: the same two figures, together
//   create-start `push --create` of 100,000 users into an ad account with 300 audiences (7 writes/s):
//               time to the first write, and the whole run as a share of the 13,300 records/s ceiling
//               (goal ≥ 0.93) with lists ready at once; then the same with the sandbox's default 3 s of
//               list processing, whose end waits for Pinterest to accept the audience
//   version     `pinsync --version` against a bare `node -e 0` (hyperfine when installed; goal ≤ 1.6×)
//   phones      push --dry-run of 1M rows with email + phone (records_v2 rows, phones parsed by
//               libphonenumber-js in four written forms) against the same emails alone: goal within
//               30% of the email-only run, peak RSS ≤ 300 MB
//   segments    --audience-column over 1,000 segment values (20,000 rows) against a sandbox that holds
//               their 1,000 audiences: push, sync and a --create dry run naming 1,000 new ones; wall
//               time, peak RSS (goal ≤ 300 MB) and requests
//   state       `pinsync sync` time and peak RSS for 1M and 10M users with 1% churn, resume overhead
//               (scripts/bench-state.mjs)
//   state-year  365 daily syncs of 100k users with 1% churn on the sandbox's clock: state.db size, runs
//               kept, run start and duration after every 30 runs (scripts/bench-state.mjs --year)
// Flags: --quick (smaller inputs: a smoke run for CI, no goals asserted),
//        --only NAME[,NAME] (throughput, rss, upload, latency, write-rate, shared-token, quota, exclude, phones, jobs, two-pushes,
//        segments, create-start, version, state, state-year).
// Generated files go to .bench/ (git-ignored) and are reused between runs.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const cli = path.join(root, 'dist', 'main.js');
const benchDir = path.join(root, '.bench');
const args = process.argv.slice(2);
const quick = args.includes('--quick');
const onlyAt = args.indexOf('--only');
const only = onlyAt === -1 ? undefined : new Set(args[onlyAt + 1].split(','));
const wanted = (name) => !only || only.has(name);

// --quick (CI's smoke run, about 30 s): every part runs, on inputs just big enough to exercise it.
const sizes = {
  throughputRows: quick ? 100_000 : 1_000_000,
  rssRows: quick ? 300_000 : 10_000_000,
  uploadRecords: quick ? 20_000 : 200_000,
  rateWrites: quick ? 10 : 70,
  sharedRecords: quick ? 10_000 : 250_000,
  quota: quick ? { limit: 20, windowMs: 3_000, writes: 25 } : { limit: 400, windowMs: 60_000, writes: 900 },
  exclusions: quick ? 100_000 : 1_000_000,
  jobsUsers: quick ? 4_000 : 100_000,
  twoPushUsers: quick ? 10_000 : 100_000,
  segments: quick ? 100 : 1_000,
  createUsers: quick ? 20_000 : 100_000,
  versionRuns: quick ? 5 : 40,
  latency: quick ? { flushSeconds: 1, samples: 1 } : { flushSeconds: 5, samples: 3 },
  state: quick ? ['--sizes', '20000', '--resume-cli', '20000'] : [],
};

fs.mkdirSync(benchDir, { recursive: true });
const n = (value) => Math.round(value).toLocaleString('en-US');
const results = [];

// ---- inputs --------------------------------------------------------------------------------------

/** A unique US (or, one in five, UK) number of user `i` in one of four written forms (the run reads them with --phone-country US). */
function phoneOf(i) {
  const area = 201 + (i % 700);
  const exchange = 200 + (Math.floor(i / 700) % 800);
  const line = String(Math.floor(i / 560) % 10_000).padStart(4, '0');
  switch (i % 5) {
    case 0:
      return `+1 ${area} ${exchange} ${line}`;
    case 1:
      return `(${area}) ${exchange}-${line}`;
    case 2:
      return `${area}.${exchange}.${line}`;
    case 3:
      return `+1${area}${exchange}${line}`;
    default:
      return `+44 20 7${String(i % 1000).padStart(3, '0')} ${line}`;
  }
}

/** Deterministic fake users: `email,maid` (or only `email`, or `email,phone`), written in 1 MiB pieces. */
function generateCsv(file, rows, { maid = true, phone = false } = {}) {
  if (fs.existsSync(file) && fs.statSync(file).size > 0) return file;
  process.stderr.write(`generating ${path.relative(root, file)} (${n(rows)} rows)…\n`);
  let seed = 0x9e3779b9;
  const next = () => (seed = (Math.imul(seed ^ (seed >>> 15), 0x2c1b3c6d) + 0x6d2b79f5) >>> 0);
  const hex = (digits) => {
    let out = '';
    while (out.length < digits) out += next().toString(16).padStart(8, '0');
    return out.slice(0, digits);
  };
  const names = ['anna', 'ben', 'carla', 'dmitri', 'eve', 'farid', 'gina', 'hugo', 'ines', 'jon'];
  const tmp = file + '.tmp';
  const fd = fs.openSync(tmp, 'w');
  let buffer = maid ? 'email,maid\n' : phone ? 'email,phone\n' : 'email\n';
  for (let i = 0; i < rows; i++) {
    const name = names[i % 10];
    const email = `${i % 13 === 0 ? name.toUpperCase() : name}.${i}@example${i % 97}.com`;
    buffer += maid ? `${email},${hex(8)}-${hex(4)}-4${hex(3)}-a${hex(3)}-${hex(12)}\n` : phone ? `${email},${phoneOf(i)}\n` : `${email}\n`;
    if (buffer.length > 1 << 20) {
      fs.writeSync(fd, buffer);
      buffer = '';
    }
  }
  fs.writeSync(fd, buffer);
  fs.closeSync(fd);
  fs.renameSync(tmp, file);
  return file;
}

// ---- process helpers -----------------------------------------------------------------------------

/** Runs a command; resolves with exit code, output and wall time. `env` adds to this process's, unless `inheritEnv` is false. */
function run(command, commandArgs, { env = {}, input, inheritEnv = true } = {}) {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(command, commandArgs, { env: inheritEnv ? { ...process.env, ...env } : env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr, seconds: (performance.now() - started) / 1000 }));
    if (input !== undefined) child.stdin.end(input);
    else child.stdin.end();
  });
}

/** The CLI with a probe that writes its peak RSS (bytes) to a file on exit. */
async function runCli(cliArgs, env = {}) {
  const probe = path.join(benchDir, 'rss-probe.mjs');
  fs.writeFileSync(
    probe,
    "import fs from 'node:fs';\nprocess.on('exit', () => { const u = process.resourceUsage(); if (process.env.BENCH_RSS_FILE) fs.writeFileSync(process.env.BENCH_RSS_FILE, `${u.maxRSS * 1024} ${u.userCPUTime + u.systemCPUTime}`); });\n",
  );
  const rssFile = path.join(benchDir, `rss-${process.pid}.txt`);
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'pinsync-bench-'));
  const cleanEnv = Object.fromEntries(Object.entries(process.env).filter(([key]) => !/^(PINSYNC_|PINTEREST_)/.test(key)));
  const result = await run(process.execPath, ['--import', probe, cli, ...cliArgs], {
    env: { ...cleanEnv, PINSYNC_HOME: home, PINSYNC_KEYCHAIN: 'off', BENCH_RSS_FILE: rssFile, ...env },
    inheritEnv: false,
  });
  const [rss, cpuMicros] = fs.existsSync(rssFile) ? fs.readFileSync(rssFile, 'utf8').split(' ').map(Number) : [NaN, NaN];
  result.rss = rss;
  /** CPU seconds (user + sys) of the whole process, its threads included: less disturbed by a busy machine than wall time. */
  result.cpu = cpuMicros / 1e6;
  fs.rmSync(rssFile, { force: true });
  fs.rmSync(home, { recursive: true, force: true });
  if (result.code !== 0) throw new Error(`pinsync exited ${result.code}: ${result.stderr.slice(-500)}`);
  return result;
}

// ---- 1. local throughput -------------------------------------------------------------------------

const csvParseBaseline = `
import fs from 'node:fs';
import crypto from 'node:crypto';
import { parse } from 'csv-parse';
let rows = 0;
const started = performance.now();
const parser = fs.createReadStream(process.argv[2]).pipe(parse({ columns: true }));
for await (const record of parser) {
  const email = (record.email ?? '').trim().toLowerCase();
  const maid = (record.maid ?? '').trim().toLowerCase();
  if (email) crypto.createHash('sha256').update(email).digest('hex');
  if (maid) crypto.createHash('sha256').update(maid).digest('hex');
  rows++;
}
console.log(JSON.stringify({ rows, seconds: (performance.now() - started) / 1000 }));
`;

const pythonBaseline = `
import csv, hashlib, json, sys, time
started = time.perf_counter()
rows = 0
with open(sys.argv[1], newline='', encoding='utf-8') as f:
    reader = csv.reader(f)
    header = [h.strip().lower() for h in next(reader)]
    ei, mi = header.index('email'), header.index('maid')
    sha = hashlib.sha256
    for row in reader:
        email = row[ei].strip().lower()
        maid = row[mi].strip().lower()
        if email: sha(email.encode()).hexdigest()
        if maid: sha(maid.encode()).hexdigest()
        rows += 1
print(json.dumps({"rows": rows, "seconds": time.perf_counter() - started}))
`;

/** Best (fastest) of `rounds` runs, the contenders taking turns so a busy moment hits all of them. */
const pythonDictBaseline = `
import csv, hashlib, json, sys, time
started = time.perf_counter()
rows = 0
with open(sys.argv[1], newline='', encoding='utf-8') as f:
    for row in csv.DictReader(f):
        email = (row.get('email') or '').strip().lower()
        maid = (row.get('maid') or '').strip().lower()
        if email: hashlib.sha256(email.encode()).hexdigest()
        if maid: hashlib.sha256(maid.encode()).hexdigest()
        rows += 1
print(json.dumps({"rows": rows, "seconds": time.perf_counter() - started}))
`;

/** The identifiers a dry run would send (its `records` counts what was sent: none). */
const wouldSendOf = (report) => report.wouldSend?.records ?? report.records;

async function benchThroughput() {
  const rows = sizes.throughputRows;
  const rounds = quick ? 1 : 3;
  const file = generateCsv(path.join(benchDir, `users-${rows}.csv`), rows);
  const baselineScript = path.join(benchDir, 'csv-parse-baseline.mjs');
  fs.writeFileSync(baselineScript, csvParseBaseline);
  const pythonScript = path.join(benchDir, 'python-baseline.py');
  fs.writeFileSync(pythonScript, pythonBaseline);
  const pythonDictScript = path.join(benchDir, 'python-dict-baseline.py');
  fs.writeFileSync(pythonDictScript, pythonDictBaseline);
  const best = { ours: Infinity, pipeline: Infinity, csvParse: Infinity, python: Infinity, pythonDict: Infinity };
  let records = 0;
  for (let round = 0; round < rounds; round++) {
    const ours = await runCli(['push', file, '--audience', 'Bench', '--dry-run', '--no-progress', '--json']);
    const report = JSON.parse(ours.stdout);
    records = wouldSendOf(report);
    best.ours = Math.min(best.ours, ours.seconds);
    best.pipeline = Math.min(best.pipeline, report.durationMs / 1000);
    const csvParse = await run(process.execPath, [baselineScript, file]);
    if (csvParse.code === 0) best.csvParse = Math.min(best.csvParse, csvParse.seconds);
    const python = await run('python3', [pythonScript, file]).catch(() => ({ code: -1 }));
    if (python.code === 0) best.python = Math.min(best.python, python.seconds);
    const pythonDict = await run('python3', [pythonDictScript, file]).catch(() => ({ code: -1 }));
    if (pythonDict.code === 0) best.pythonDict = Math.min(best.pythonDict, pythonDict.seconds);
  }
  const rate = (seconds) => (Number.isFinite(seconds) ? rows / seconds : NaN);
  const note = `best of ${rounds}, whole process`;
  results.push(
    ['throughput', 'pinsync push --dry-run', `${n(rate(best.ours))} rows/s`, `${note}; goal ≥ 400,000 and ≥ 1.3× python (csv.reader): ${(rate(best.ours) / rate(best.python)).toFixed(2)}×`],
    ['throughput', 'pinsync pipeline only (report durationMs)', `${n(rate(best.pipeline))} rows/s`, `${n(records)} records hashed (email + MAID per row)`],
    ['throughput', 'csv-parse columns:true + createHash', Number.isFinite(best.csvParse) ? `${n(rate(best.csvParse))} rows/s` : 'failed', `baseline, ${note}`],
    ['throughput', 'python3 csv.reader + hashlib', Number.isFinite(best.python) ? `${n(rate(best.python))} rows/s` : 'python3 not found', `baseline, ${note}`],
    ['throughput', 'python3 csv.DictReader + hashlib', Number.isFinite(best.pythonDict) ? `${n(rate(best.pythonDict))} rows/s` : 'python3 not found', `baseline, ${note}; pinsync is ${(rate(best.ours) / rate(best.pythonDict)).toFixed(2)}× this`],
  );
}

// ---- 2. peak RSS ---------------------------------------------------------------------------------

async function benchRss() {
  const rows = sizes.rssRows;
  const file = generateCsv(path.join(benchDir, `emails-${rows}.csv`), rows, { maid: false });
  const result = await runCli(['push', file, '--audience', 'Bench', '--dry-run', '--no-progress', '--json']);
  const report = JSON.parse(result.stdout);
  results.push([
    'rss',
    `peak RSS, ${n(rows)} rows (${(fs.statSync(file).size / 2 ** 20).toFixed(0)} MiB on disk), --dry-run`,
    `${(result.rss / 2 ** 20).toFixed(0)} MiB`,
    `goal ≤ 300 MB; ${n(rows / result.seconds)} rows/s; false-duplicate chance ${report.falseDuplicateProbability.toExponential(1)}`,
  ]);
}

// ---- 3. upload throughput against the sandbox ----------------------------------------------------

async function withSandbox(options, body) {
  const { startSandbox } = await import(path.join(root, 'dist', 'sandbox', 'server.js'));
  const sandbox = await startSandbox({ port: 0, ...options });
  try {
    return await body(sandbox);
  } finally {
    await sandbox.stop();
  }
}

function arrangeAudience(sandbox, name) {
  const list = sandbox.state.createCustomerList('549755885175', { name, records: [] });
  sandbox.state.createAudience('549755885175', { name, audienceType: 'CUSTOMER_LIST', rule: { customer_list_id: list.id } });
  return list;
}

async function benchUpload() {
  const records = sizes.uploadRecords;
  const file = generateCsv(path.join(benchDir, `upload-${records}.csv`), records, { maid: false });
  await withSandbox({ writeRate: 7, maxRecords: 1900 }, async (sandbox) => {
    const list = arrangeAudience(sandbox, 'Bench upload');
    const result = await runCli(['push', file, '--audience', 'Bench upload', '--ad-account', '549755885175', '--no-progress', '--json'], {
      PINSYNC_API_BASE: sandbox.apiBase,
      PINSYNC_ACCESS_TOKEN: sandbox.token,
    });
    const report = JSON.parse(result.stdout);
    const writes = sandbox.state.requests.filter((r) => r.method === 'PATCH');
    const limited = writes.filter((r) => r.status === 429).length;
    const accepted = writes.filter((r) => r.status === 200);
    const first = Math.min(...accepted.map((r) => r.time));
    const last = Math.max(...accepted.map((r) => r.time + r.durationMs));
    const held = sandbox.state.customerList(list.id).records.size;
    const ceiling = 7 * 1900;
    const wall = report.records / (report.durationMs / 1000) / ceiling;
    // Steady state: N requests at 7/s span (N - 1) / 7 s between the first and the last start.
    const steady = ((accepted.length - 1) * 1900) / ((last - first) / 1000) / ceiling;
    results.push(
      ['upload', `${n(records)} records at 7 writes/s × 1,900 (whole run, incl. start-up)`, `${n(report.records / (report.durationMs / 1000))} records/s`, `${wall.toFixed(3)} of 13,300 ceiling (goal ≥ 0.95)`],
      ['upload', 'steady state (first to last accepted write)', `${steady.toFixed(3)} of ceiling`, `${accepted.length} writes, ${limited} answered 429 (${((100 * limited) / Math.max(1, writes.length)).toFixed(2)}%, goal ≤ 1%), sandbox holds ${n(held)}`],
    );
  });
}

// ---- 4. streaming latency ------------------------------------------------------------------------

async function benchLatency() {
  const { flushSeconds, samples } = sizes.latency;
  await withSandbox({}, async (sandbox) => {
    const list = arrangeAudience(sandbox, 'Bench stream');
    const home = fs.mkdtempSync(path.join(os.tmpdir(), 'pinsync-bench-'));
    const cleanEnv = Object.fromEntries(Object.entries(process.env).filter(([key]) => !/^(PINSYNC_|PINTEREST_)/.test(key)));
    const child = spawn(process.execPath, [cli, 'push', '-', '--audience', 'Bench stream', '--ad-account', '549755885175', '--format', 'ndjson', '--flush-interval', String(flushSeconds), '--no-progress'], {
      env: { ...cleanEnv, PINSYNC_HOME: home, PINSYNC_KEYCHAIN: 'off', PINSYNC_API_BASE: sandbox.apiBase, PINSYNC_ACCESS_TOKEN: sandbox.token },
      stdio: ['pipe', 'ignore', 'ignore'],
    });
    const closed = new Promise((resolve) => child.on('close', resolve));
    const latencies = [];
    await new Promise((resolve) => setTimeout(resolve, 1500)); // let it start and look the audience up
    for (let i = 0; i < samples; i++) {
      const held = sandbox.state.customerList(list.id).records.size;
      const written = performance.now();
      child.stdin.write(JSON.stringify({ email: `stream${i}@example.com` }) + '\n');
      while (sandbox.state.customerList(list.id).records.size === held) await new Promise((resolve) => setTimeout(resolve, 10));
      latencies.push((performance.now() - written) / 1000);
      await new Promise((resolve) => setTimeout(resolve, 700 * i + 300)); // land at different points of the interval
    }
    child.stdin.end();
    await closed;
    fs.rmSync(home, { recursive: true, force: true });
    results.push([
      'latency',
      `stdin record → sandbox holds it (--flush-interval ${flushSeconds})`,
      `max ${Math.max(...latencies).toFixed(2)} s`,
      `each: ${latencies.map((s) => s.toFixed(2)).join(', ')} s (goal ≤ ${flushSeconds + 1} s)`,
    ]);
  });
}

// ---- 5. write rate at the limit ------------------------------------------------------------------

async function benchWriteRate() {
  const writes = sizes.rateWrites;
  const records = writes * 1900;
  const file = generateCsv(path.join(benchDir, `upload-${records}.csv`), records, { maid: false });
  await withSandbox({ writeRate: 7 }, async (sandbox) => {
    arrangeAudience(sandbox, 'Bench rate');
    const result = await runCli(['push', file, '--audience', 'Bench rate', '--ad-account', '549755885175', '--batch-size', '1900', '--no-progress', '--json'], {
      PINSYNC_API_BASE: sandbox.apiBase,
      PINSYNC_ACCESS_TOKEN: sandbox.token,
    });
    const report = JSON.parse(result.stdout);
    const seconds = report.durationMs / 1000;
    results.push([
      'write-rate',
      `${writes} writes × 1,900 records at the default 7/s (sandbox: 7 per 1 s window)`,
      `${(writes / seconds).toFixed(2)} writes/s`,
      `${seconds.toFixed(2)} s; 429s: ${report.rateLimited}, retries: ${report.retries}`,
    ]);
  });
}

// ---- 6. two processes sharing one token --------------------------------------------------------

/** Writes answered, accepted writes and how many 429s, from the sandbox's request log. */
function writeStats(sandbox) {
  const writes = sandbox.state.requests.filter((r) => r.method === 'PATCH');
  const accepted = writes.filter((r) => r.status === 200);
  const limited = writes.filter((r) => r.status === 429).length;
  const first = Math.min(...accepted.map((r) => r.time));
  const last = Math.max(...accepted.map((r) => r.time + r.durationMs));
  return { writes: writes.length, accepted, limited, spanSeconds: (last - first) / 1000, share429: limited / Math.max(1, writes.length) };
}

const percent = (share) => `${(100 * share).toFixed(2)}%`;

async function benchSharedToken() {
  const records = sizes.sharedRecords;
  const files = [0, 1].map((i) => {
    const file = path.join(benchDir, `shared-${i}-${records}.csv`);
    if (!fs.existsSync(file)) fs.writeFileSync(file, 'email\n' + Array.from({ length: records }, (_, j) => `p${i}.user${j}@example.com`).join('\n') + '\n');
    return file;
  });
  await withSandbox({ writeRate: 7, maxRecords: 1900 }, async (sandbox) => {
    files.forEach((_, i) => arrangeAudience(sandbox, `Bench shared ${i}`));
    const env = { PINSYNC_API_BASE: sandbox.apiBase, PINSYNC_ACCESS_TOKEN: sandbox.token };
    const runs = await Promise.all(
      files.map((file, i) => runCli(['push', file, '--audience', `Bench shared ${i}`, '--ad-account', '549755885175', '--no-progress', '--json'], env)),
    );
    const sent = runs.reduce((sum, r) => sum + JSON.parse(r.stdout).records, 0);
    const stats = writeStats(sandbox);
    const writes = sandbox.state.requests.filter((r) => r.method === 'PATCH');
    const firstWrite = Math.min(...writes.map((r) => r.time));
    const startUp429 = writes.filter((r) => r.status === 429 && r.time < firstWrite + 3_000).length;
    const steady = ((stats.accepted.length - 1) * 1900) / stats.spanSeconds / (7 * 1900);
    results.push([
      'shared-token',
      `2 pushes × ${n(records)} records, one token, separate PINSYNC_HOMEs, started together`,
      `${steady.toFixed(3)} of ceiling`,
      `combined, first to last accepted write (goal ≥ 0.85); ${stats.limited} of ${stats.writes} writes answered 429 (${percent(stats.share429)}, goal ≤ 5%; ${startUp429} in the first 3 s); ${n(sent)} records sent`,
    ]);
  });
}

// ---- 7. a window quota below --rate --------------------------------------------------------------

async function benchQuota() {
  const { limit, windowMs, writes } = sizes.quota;
  const batch = 100;
  const file = generateCsv(path.join(benchDir, `quota-${writes * batch}.csv`), writes * batch, { maid: false });
  await withSandbox({ writeRate: 7, writeQuota: { limit, windowMs } }, async (sandbox) => {
    arrangeAudience(sandbox, 'Bench quota');
    const result = await runCli(['push', file, '--audience', 'Bench quota', '--ad-account', '549755885175', '--batch-size', String(batch), '--no-progress', '--json'], {
      PINSYNC_API_BASE: sandbox.apiBase,
      PINSYNC_ACCESS_TOKEN: sandbox.token,
    });
    const report = JSON.parse(result.stdout);
    const stats = writeStats(sandbox);
    const quotaPerSecond = limit / (windowMs / 1000);
    // A sliding window lets `limit` through at once, then `limit` per window: the steady rate is what counts.
    const steady = (stats.accepted.length - limit) / (stats.spanSeconds - windowMs / 1000 + windowMs / 1000 / limit) / quotaPerSecond;
    const whole = stats.accepted.length / stats.spanSeconds / quotaPerSecond;
    results.push([
      'quota',
      `${writes} writes against ${limit} per ${windowMs / 1000} s (--rate 7)`,
      `${whole.toFixed(3)} of the quota`,
      `first to last accepted write (goal ≥ 0.90; after the first window ${steady.toFixed(3)}); ${stats.limited} of ${stats.writes} writes answered 429 (${percent(stats.share429)}, goal ≤ 2%); ${n(report.records)} records, ${(report.durationMs / 1000).toFixed(0)} s`,
    ]);
  });
}

// ---- 8. exclusions (--exclude) --------------------------------------------------------------------

const benchNames = ['anna', 'ben', 'carla', 'dmitri', 'eve', 'farid', 'gina', 'hugo', 'ines', 'jon'];

/**
 * An opt-out list: the email of every 7th generated user (written in lowercase, as another tool
 * would), so 1 in 7 input rows is excluded and the rest of the list names users the input lacks.
 * `hashed`: the SHA-256 of each email instead (a suppression list shared already hashed).
 */
async function generateExclusions(file, count, { hashed }) {
  if (fs.existsSync(file) && fs.statSync(file).size > 0) return file;
  process.stderr.write(`generating ${path.relative(root, file)} (${n(count)} rows)…\n`);
  const { createHash } = await import('node:crypto');
  const tmp = file + '.tmp';
  fs.writeFileSync(tmp, hashed ? 'email_sha256\n' : 'email\n');
  const emailOf = (i) => `${benchNames[i % 10]}.${i}@example${i % 97}.com`;
  const valueOf = hashed ? (i) => createHash('sha256').update(emailOf(i)).digest('hex') : emailOf;
  for (let start = 0; start < count; start += 50_000) {
    const lines = Array.from({ length: Math.min(50_000, count - start) }, (_, k) => valueOf((start + k) * 7));
    fs.appendFileSync(tmp, lines.join('\n') + '\n');
  }
  fs.renameSync(tmp, file);
  return file;
}

async function benchExclude() {
  const rows = sizes.throughputRows;
  const count = sizes.exclusions;
  const rounds = quick ? 1 : 3;
  const file = generateCsv(path.join(benchDir, `users-${rows}.csv`), rows);
  const plain = await generateExclusions(path.join(benchDir, `optouts-${count}.csv`), count, { hashed: false });
  const hashed = await generateExclusions(path.join(benchDir, `optouts-sha256-${count}.csv`), count, { hashed: true });
  const cases = { without: [], plain: ['--exclude', plain], hashed: ['--exclude', hashed] };
  const best = Object.fromEntries(Object.keys(cases).map((name) => [name, { seconds: Infinity, cpu: Infinity, rss: 0, excluded: 0 }]));
  for (let round = 0; round < rounds; round++) {
    // The cases take turns, so a busy moment of the machine hits all of them.
    for (const [name, extra] of Object.entries(cases)) {
      const result = await runCli(['push', file, '--audience', 'Bench', '--dry-run', '--no-progress', '--json', ...extra]);
      const report = JSON.parse(result.stdout);
      const entry = best[name];
      if (result.seconds < entry.seconds) Object.assign(entry, { seconds: result.seconds, rss: result.rss, excluded: report.notSyncedReasons?.excluded ?? 0 });
      entry.cpu = Math.min(entry.cpu, result.cpu);
    }
  }
  const rate = (entry) => `${n(rows / entry.seconds)} rows/s`;
  const slower = (entry) =>
    `${(100 * (entry.seconds / best.without.seconds - 1)).toFixed(1)}% slower than without (goal ≤ 15%), CPU ${(100 * (entry.cpu / best.without.cpu - 1)).toFixed(1)}% more`;
  const rss = (entry) => `peak RSS ${(entry.rss / 2 ** 20).toFixed(0)} MiB`;
  const cpu = (entry) => `CPU ${entry.cpu.toFixed(2)} s (user+sys, best)`;
  const note = `best of ${rounds}, whole process, ${n(rows)} rows`;
  results.push(
    ['exclude', 'push --dry-run, no exclusions', rate(best.without), `${note}; ${cpu(best.without)}; ${rss(best.without)}`],
    ['exclude', `the same, --exclude ${n(count)} plain emails`, rate(best.plain), `${slower(best.plain)}; ${cpu(best.plain)}; ${n(best.plain.excluded)} rows excluded; ${rss(best.plain)}`],
    ['exclude', `the same, --exclude ${n(count)} SHA-256 emails`, rate(best.hashed), `${slower(best.hashed)}; ${cpu(best.hashed)}; ${n(best.hashed.excluded)} rows excluded; ${rss(best.hashed)}`],
  );
}

// ---- 9. phones (records_v2 rows) ------------------------------------------------------------------

async function benchPhones() {
  const rows = sizes.throughputRows;
  const rounds = quick ? 1 : 3;
  const emails = generateCsv(path.join(benchDir, `emails-${rows}.csv`), rows, { maid: false });
  const phones = generateCsv(path.join(benchDir, `emails-phones-${rows}.csv`), rows, { maid: false, phone: true });
  const cases = { emails: [emails], phones: [phones, '--phone-country', 'US'] };
  const best = Object.fromEntries(Object.keys(cases).map((name) => [name, { seconds: Infinity, cpu: Infinity, rss: 0, records: 0 }]));
  for (let round = 0; round < rounds; round++) {
    for (const [name, [file, ...extra]] of Object.entries(cases)) {
      const result = await runCli(['push', file, '--audience', 'Bench', '--dry-run', '--no-progress', '--json', ...extra]);
      const entry = best[name];
      if (result.seconds < entry.seconds) Object.assign(entry, { seconds: result.seconds, rss: result.rss, records: wouldSendOf(JSON.parse(result.stdout)) });
      entry.cpu = Math.min(entry.cpu, result.cpu);
    }
  }
  const rate = (entry) => `${n(rows / entry.seconds)} rows/s`;
  const slower = 100 * (best.phones.seconds / best.emails.seconds - 1);
  const rss = (entry) => `peak RSS ${(entry.rss / 2 ** 20).toFixed(0)} MiB (goal ≤ 300 MB)`;
  results.push(
    ['phones', 'push --dry-run, email only', rate(best.emails), `best of ${rounds}, whole process, ${n(rows)} rows; CPU ${best.emails.cpu.toFixed(2)} s; ${rss(best.emails)}`],
    [
      'phones',
      'the same users with email + phone (records_v2)',
      rate(best.phones),
      `${slower.toFixed(1)}% slower (goal ≤ 30%); CPU ${best.phones.cpu.toFixed(2)} s (${(100 * (best.phones.cpu / best.emails.cpu - 1)).toFixed(0)}% more); ${n(best.phones.records)} identifiers; ${rss(best.phones)}`,
    ],
  );
}

// ---- 7. one write budget per token: a jobs file, and two processes --------------------------------

/**
 * Records/s from the first run's start to the last run's end (the reports' times, like `upload`:
 * start-up inside the runs counts, Node's own start does not) as a share of the 13,300 records/s
 * ceiling, and the share of writes answered 429.
 */
function budgetFigures(sandbox, reports) {
  const records = reports.reduce((sum, report) => sum + report.records, 0);
  const started = Math.min(...reports.map((report) => Date.parse(report.startedAt)));
  const finished = Math.max(...reports.map((report) => Date.parse(report.finishedAt)));
  const seconds = (finished - started) / 1000;
  const writes = sandbox.state.requests.filter((r) => r.method === 'PATCH');
  const limited = writes.filter((r) => r.status === 429).length;
  return {
    rate: `${n(records / seconds)} records/s`,
    share: records / seconds / (7 * 1900),
    limited: `${writes.length} writes, ${limited} answered 429 (${((100 * limited) / Math.max(1, writes.length)).toFixed(2)}%, goal ≤ 1%)`,
  };
}

async function benchJobs() {
  const users = sizes.jobsUsers;
  const file = generateCsv(path.join(benchDir, `upload-${users}.csv`), users, { maid: false });
  const audiences = ['Bench jobs A', 'Bench jobs B', 'Bench jobs C', 'Bench jobs D'];
  const jobsFile = path.join(benchDir, 'bench-jobs.yaml');
  const jobs = audiences.map((name, i) => `  - { name: job${i}, file: ${JSON.stringify(file)}, audience: ${JSON.stringify(name)} }`);
  fs.writeFileSync(jobsFile, `ad_account: "549755885175"\njobs:\n${jobs.join('\n')}\n`);
  await withSandbox({ writeRate: 7, maxRecords: 1900 }, async (sandbox) => {
    for (const name of audiences) arrangeAudience(sandbox, name);
    const result = await runCli(['run', jobsFile, '--json', '--no-progress'], { PINSYNC_API_BASE: sandbox.apiBase, PINSYNC_ACCESS_TOKEN: sandbox.token });
    const figures = budgetFigures(sandbox, JSON.parse(result.stdout).jobs.map((job) => job.report));
    results.push([
      'jobs',
      `pinsync run: 4 audiences × ${n(users)} users at 7 writes/s (first start to last end)`,
      figures.rate,
      `${figures.share.toFixed(3)} of 13,300 ceiling (goal ≥ 0.93); ${figures.limited}`,
    ]);
  });
}

async function benchTwoPushes() {
  const users = sizes.twoPushUsers;
  const file = generateCsv(path.join(benchDir, `upload-${users}.csv`), users, { maid: false });
  await withSandbox({ writeRate: 7, maxRecords: 1900 }, async (sandbox) => {
    arrangeAudience(sandbox, 'Bench left');
    arrangeAudience(sandbox, 'Bench right');
    const home = fs.mkdtempSync(path.join(os.tmpdir(), 'pinsync-bench-'));
    const cleanEnv = Object.fromEntries(Object.entries(process.env).filter(([key]) => !/^(PINSYNC_|PINTEREST_)/.test(key)));
    const env = { ...cleanEnv, PINSYNC_HOME: home, PINSYNC_KEYCHAIN: 'off', PINSYNC_API_BASE: sandbox.apiBase, PINSYNC_ACCESS_TOKEN: sandbox.token };
    const push = (audience) =>
      run(process.execPath, [cli, 'push', file, '--audience', audience, '--ad-account', '549755885175', '--no-progress', '--json'], { env, inheritEnv: false });
    const both = await Promise.all([push('Bench left'), push('Bench right')]);
    fs.rmSync(home, { recursive: true, force: true });
    const failed = both.find((result) => result.code !== 0);
    if (failed) throw new Error(`pinsync exited ${failed.code}: ${failed.stderr.slice(-500)}`);
    const figures = budgetFigures(sandbox, both.map((result) => JSON.parse(result.stdout)));
    results.push([
      'two-pushes',
      `2 pinsync push × ${n(users)} users, one PINSYNC_HOME and token, 7 writes/s (first start to last end)`,
      figures.rate,
      `${figures.share.toFixed(3)} of 13,300 ceiling (goal ≥ 0.90); ${figures.limited}`,
    ]);
  });
}

// ---- 9. a fast start: push --create into a busy account, and --version ---------------------------

/** An ad account with `count` customer-list audiences (two pages of each listing at 300). */
function busyAccount(sandbox, count) {
  for (let i = 0; i < count; i++) arrangeAudience(sandbox, `Segment ${i}`);
}

async function createRun(users, file, listRules) {
  return withSandbox({ writeRate: 7, maxRecords: 1900, listRules }, async (sandbox) => {
    busyAccount(sandbox, 300);
    const spawnedAt = Date.now();
    const result = await runCli(['push', file, '--audience', 'Bench new audience', '--ad-account', '549755885175', '--create', '--no-progress', '--json'], {
      PINSYNC_API_BASE: sandbox.apiBase,
      PINSYNC_ACCESS_TOKEN: sandbox.token,
    });
    const report = JSON.parse(result.stdout);
    const requests = sandbox.state.requests.filter((r) => r.path.startsWith('/v5/ad_accounts/'));
    const first = requests.find((r) => r.method !== 'GET');
    const readsBefore = requests.filter((r) => r.method === 'GET' && r.time < first.time).length;
    const writes = requests.filter((r) => r.method !== 'GET');
    const limited = writes.filter((r) => r.status === 429).length;
    return {
      report,
      fromStart: (first.time - Date.parse(report.startedAt)) / 1000,
      fromSpawn: (first.time - spawnedAt) / 1000,
      readsBefore,
      share: report.records / (report.durationMs / 1000) / (7 * 1900),
      limited: `${writes.length} writes, ${limited} answered 429`,
    };
  });
}

async function benchCreateStart() {
  const users = sizes.createUsers;
  const file = generateCsv(path.join(benchDir, `upload-${users}.csv`), users, { maid: false });
  const ready = await createRun(users, file, { processingMs: 0 });
  results.push(
    ['create-start', `push --create, ${n(users)} users, 300 audiences in the account: time to the first write`, `${ready.fromStart.toFixed(2)} s`, `after the run started (${ready.fromSpawn.toFixed(2)} s after the process was spawned); ${ready.readsBefore} reads before it`],
    ['create-start', 'the same, whole run (lists ready at once)', `${ready.share.toFixed(3)} of ceiling`, `${n(ready.report.records)} records in ${(ready.report.durationMs / 1000).toFixed(2)} s (goal ≥ 0.93); ${ready.limited}`],
  );
  if (quick) return;
  const processing = await createRun(users, file, {});
  results.push([
    'create-start',
    "the same against the sandbox's default 3 s of list processing",
    `${processing.share.toFixed(3)} of ceiling`,
    `${(processing.report.durationMs / 1000).toFixed(2)} s: the end waits for Pinterest to accept the audience (audiencePending ${processing.report.audiencePending}); first write ${processing.fromStart.toFixed(2)} s`,
  ]);
}

/** Mean seconds of each command line, run alternately `runs` times (hyperfine when installed). */
async function timeCommands(commands, runs) {
  const hyperfine = await run('hyperfine', ['--version']).catch(() => ({ code: -1 }));
  if (hyperfine.code === 0) {
    const exported = path.join(benchDir, 'hyperfine.json');
    const result = await run('hyperfine', ['-N', '--warmup', '3', '--runs', String(runs), '--export-json', exported, ...commands]);
    if (result.code !== 0) throw new Error(`hyperfine failed: ${result.stderr.slice(-300)}`);
    return { tool: 'hyperfine', means: JSON.parse(fs.readFileSync(exported, 'utf8')).results.map((entry) => entry.mean) };
  }
  const totals = commands.map(() => 0);
  for (let i = 0; i < runs; i++) {
    for (const [k, command] of commands.entries()) {
      const [program, ...rest] = command.split(' ');
      totals[k] += (await run(program, rest)).seconds;
    }
  }
  return { tool: 'alternating runs', means: totals.map((total) => total / runs) };
}

async function benchVersion() {
  const commands = [`${process.execPath} -e 0`, `${process.execPath} ${path.join(root, 'bin', 'pinsync')} --version`, `${process.execPath} ${path.join(root, 'bin', 'pinsync')} --help`];
  const { tool, means } = await timeCommands(commands, sizes.versionRuns);
  const [bare, version, help] = means;
  results.push(
    ['version', 'pinsync --version against node -e 0', `${(version / bare).toFixed(2)}×`, `${(version * 1000).toFixed(0)} ms against ${(bare * 1000).toFixed(0)} ms (goal ≤ 1.6×; ${tool}, ${sizes.versionRuns} runs each)`],
    ['version', 'pinsync --help (the whole program loaded)', `${(help / bare).toFixed(2)}×`, `${(help * 1000).toFixed(0)} ms`],
  );
}

async function benchSegments() {
  const count = sizes.segments;
  const rowsPer = 20;
  const file = path.join(benchDir, `segments-${count}.csv`);
  const names = Array.from({ length: count }, (_, i) => `Bench segment ${i}`);
  const lines = ['email,segment'];
  for (let i = 0; i < count * rowsPer; i++) lines.push(`user${i}@example.com,${names[i % count]}`);
  fs.writeFileSync(file, lines.join('\n') + '\n');
  const fresh = path.join(benchDir, `segments-new-${count}.csv`);
  fs.writeFileSync(fresh, lines.join('\n').replaceAll('Bench segment', 'Bench new segment') + '\n');
  await withSandbox({ writeRate: 1000, maxRecords: 1900 }, async (sandbox) => {
    for (const name of names) arrangeAudience(sandbox, name);
    const env = { PINSYNC_API_BASE: sandbox.apiBase, PINSYNC_ACCESS_TOKEN: sandbox.token };
    const common = ['--audience-column', 'segment', '--ad-account', '549755885175', '--no-progress', '--json', '--rate', '1000'];
    for (const [label, cliArgs] of [
      ['push', ['push', file, ...common]],
      ['sync', ['sync', file, ...common]],
      ['push --create --dry-run, all new', ['push', fresh, ...common, '--create', '--dry-run', '--max-new-audiences', String(count)]],
    ]) {
      const before = sandbox.state.requests.length;
      const result = await runCli(cliArgs, env);
      const requests = sandbox.state.requests.length - before;
      results.push([
        'segments',
        `${label}: ${n(count)} segments × ${rowsPer} rows`,
        `${result.seconds.toFixed(1)} s`,
        `peak RSS ${n(result.rss / 2 ** 20)} MiB (goal ≤ 300 MB); ${n(requests)} requests; ${result.cpu.toFixed(1)} s CPU`,
      ]);
    }
  });
}

// ---- run and print -------------------------------------------------------------------------------

if (!fs.existsSync(cli)) {
  console.error('Build first: npm run build (npm run bench does it).');
  process.exit(1);
}
console.error(`pinsync bench on ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, Node ${process.version}${quick ? ' (quick)' : ''}`);
for (const [name, bench] of [
  ['throughput', benchThroughput],
  ['rss', benchRss],
  ['upload', benchUpload],
  ['latency', benchLatency],
  ['write-rate', benchWriteRate],
  ['shared-token', benchSharedToken],
  ['quota', benchQuota],
  ['exclude', benchExclude],
  ['phones', benchPhones],
  ['jobs', benchJobs],
  ['two-pushes', benchTwoPushes],
  ['segments', benchSegments],
  ['create-start', benchCreateStart],
  ['version', benchVersion],
]) {
  if (!wanted(name)) continue;
  process.stderr.write(`running ${name}…\n`);
  await bench();
}
const widths = [0, 1, 2].map((i) => Math.max(0, ...results.map((row) => row[i].length)));
for (const row of results) console.log(row.map((cell, i) => (i < 3 ? cell.padEnd(widths[i]) : cell)).join('  '));

// Durable runs (mirror diff, resume overhead) have their own script; same run, printed after.
if (wanted('state')) {
  process.stderr.write('running state (sync, resume)…\n');
  const { spawnSync } = await import('node:child_process');
  const state = spawnSync(process.execPath, [path.join(root, 'scripts', 'bench-state.mjs'), ...sizes.state], { stdio: 'inherit' });
  if (state.status !== 0) {
    console.error(`bench state failed (exit ${state.status ?? state.signal}).`);
    process.exitCode = 1;
  }
}

// A year of a daily sync: the state must stay flat (retention, compaction).
if (wanted('state-year')) {
  const [users, days] = quick ? ['2000', '31'] : ['100000', '365'];
  process.stderr.write(`running state-year (${days} daily syncs of ${users} users)…\n`);
  const { spawnSync } = await import('node:child_process');
  const yearArgs = ['--sizes', '', '--resume-cli', '0', '--year', users, '--days', days];
  const year = spawnSync(process.execPath, [path.join(root, 'scripts', 'bench-state.mjs'), ...yearArgs], { stdio: 'inherit' });
  if (year.status !== 0) {
    console.error(`bench state-year failed (exit ${year.status ?? year.signal}).`);
    process.exitCode = 1;
  }
}
