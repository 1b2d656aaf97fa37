#!/usr/bin/env node
// Benchmarks durable runs through the built CLI against the sandbox (run after `npm run build`), so
// it calls the entry points a user does and keeps working when the state modules change inside:
//   sync-cli    `pinsync sync` of N users, then again with 1% churn: wall time and the CLI's peak RSS
//   resume-cli  a push of N users killed half-way, then the time from starting the rerun to its first
//               request (vs a fresh run with --restart)
//   year        365 daily `pinsync sync` runs of N users with 1% churn (in this process, on the sandbox's
//               clock, so the retention sees the days pass): state.db size, runs kept, and the run's start
//               (until its first write) and duration, after every 30 runs. Flat, not growing, is the goal.
//   node scripts/bench-state.mjs [--sizes 1000000,10000000] [--resume-cli 1000000] [--year 100000 --days 365]
//   (--dist DIR runs the year against another build, e.g. /work/base/dist, for a side-by-side baseline)
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PassThrough, Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';

const args = process.argv.slice(2);
const option = (name, fallback) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : fallback;
};
const dist = path.resolve(option('--dist', path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'dist')));

const syncSizes = option('--sizes', '1000000,10000000').split(',').map(Number).filter(Boolean);
const resumeCliSize = Number(option('--resume-cli', '1000000'));
const yearUsers = Number(option('--year', '0'));
const rows = [];
for (const size of syncSizes) rows.push(await benchSyncCli(size));
if (resumeCliSize > 0) rows.push(await benchResumeCli(resumeCliSize));
if (rows.length > 0) printTable(rows);
if (yearUsers > 0) await benchYear(yearUsers, Number(option('--days', '365')));

/**
 * A year of a daily job: each day the file keeps N users, 1% of them replaced (1% added, 1% gone), and
 * `pinsync sync` mirrors it. The runs share one clock with the sandbox that moves a day per run, as cron
 * would. Prints a row after every 30 runs.
 */
async function benchYear(users, days) {
  const [{ startSandbox }, { runProgram }] = await Promise.all([import(path.join(dist, 'sandbox', 'server.js')), import(path.join(dist, 'program.js'))]);
  let offset = 0;
  const now = () => Date.now() + offset;
  let firstWriteAt;
  const sandbox = await startSandbox({
    port: 0,
    writeRate: 1000,
    requestLogSize: 1000,
    now,
    listRules: { audiencesNeedReadyList: false },
    onRequest: (request) => {
      if (request.method === 'PATCH') firstWriteAt ??= performance.now();
    },
  });
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'pinsync-bench-year-'));
  const churn = Math.floor(users / 100);
  // A token that outlives the year: the credential chain has its own test; this measures the state.
  const token = sandbox.state.issueTokens({ expiresInSeconds: 2 * 365 * 86400 }).accessToken;
  const env = { PINSYNC_HOME: home, PINSYNC_KEYCHAIN: 'off', PINSYNC_API_BASE: sandbox.apiBase, PINSYNC_ACCESS_TOKEN: token, PINSYNC_PROGRESS_INTERVAL: '3600' };
  const header = ['day', 'state.db MB', 'runs kept', 'start s (median of 30)', 'run s (median of 30)'];
  const table = [header];
  const print = (line) => process.stdout.write(line.map((cell) => String(cell).padEnd(24)).join('').trimEnd() + '\n');
  print(header);
  let starts = [];
  let durations = [];
  try {
    for (let day = 0; day < days; day++) {
      offset += 24 * 3600_000;
      const file = await writeEmails(path.join(home, 'users.csv'), day * churn, day * churn + users);
      firstWriteAt = undefined;
      const started = performance.now();
      const code = await runProgram(['node', 'pinsync', 'sync', file, '--audience', 'bench year', '--ad-account', '549755885175', '--create', '--rate', '1000', '--no-progress'], quietIO(env, now));
      if (code !== 0) throw new Error(`day ${day}: sync exited ${code}`);
      starts.push(((firstWriteAt ?? performance.now()) - started) / 1000);
      durations.push((performance.now() - started) / 1000);
      if ((day + 1) % 30 === 0 || day === days - 1) {
        const line = [day + 1, (stateBytes(home) / 2 ** 20).toFixed(1), await runsKept(runProgram, env, now), median(starts).toFixed(2), median(durations).toFixed(2)];
        table.push(line);
        print(line);
        starts = [];
        durations = [];
      }
    }
  } finally {
    await sandbox.stop();
    fs.rmSync(home, { recursive: true, force: true });
  }
  return table;
}

function stateBytes(home) {
  return ['state.db', 'state.db-wal'].reduce((sum, name) => sum + (fs.statSync(path.join(home, name), { throwIfNoEntry: false })?.size ?? 0), 0);
}

async function runsKept(runProgram, env, now) {
  const io = quietIO(env, now);
  await runProgram(['node', 'pinsync', 'runs', '--json', '--limit', '100000'], io);
  return JSON.parse(io.stdout.text).length;
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

function quietIO(env, now) {
  const collect = () => new Writable({ write(chunk, _encoding, done) { this.text = (this.text ?? '') + chunk; done(); } });
  const stdin = new PassThrough();
  stdin.end();
  return { stdin, stdout: collect(), stderr: collect(), stdinIsTTY: false, stdoutIsTTY: false, stderrIsTTY: false, env, signal: new AbortController().signal, now };
}

function printTable(rows) {
  const header = ['case', 'users', 'measured', 'seconds', 'peak RSS MB', 'notes'];
  const lines = [header, ...rows.map((r) => [r.kind, r.users.toLocaleString('en-US'), r.measured, r.seconds.toFixed(2), r.peakRssMb ? String(r.peakRssMb) : '-', r.notes])];
  const widths = header.map((_, i) => Math.max(...lines.map((l) => l[i].length)));
  for (const line of lines) process.stdout.write(line.map((cell, i) => cell.padEnd(widths[i])).join('  ').trimEnd() + '\n');
}

/** End to end: kill a push of N users half-way, then time the rerun's first request against a fresh run's. */
async function benchResumeCli(users) {
  const { startSandbox } = await import(path.join(dist, 'sandbox', 'server.js'));
  const sandbox = await startSandbox({ port: 0, writeRate: 1000 });
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'pinsync-bench-resume-'));
  try {
    const input = await writeEmails(path.join(home, 'users.csv'), 0, users);
    const args = ['push', input, '--audience', 'bench resume', '--ad-account', '549755885175', '--create', '--rate', '200', '--no-progress'];
    // Each run has its own token, revoked when it ends: a write the killed run left in flight is then
    // refused, so it cannot pass for the next run's first request.
    const envWithToken = (token) => ({ ...process.env, PINSYNC_HOME: home, PINSYNC_KEYCHAIN: 'off', PINSYNC_API_BASE: sandbox.apiBase, PINSYNC_ACCESS_TOKEN: token });
    const runOnce = async (runArgs, reached, kill) => {
      const token = sandbox.state.issueTokens().accessToken;
      try {
        return await runCliUntil(runArgs, envWithToken(token), reached, kill);
      } finally {
        sandbox.state.revokeToken(token);
      }
    };
    const half = Math.ceil(users / 1900 / 2);
    await runOnce(args, () => sandbox.state.stats.successfulWrites >= half, true);
    const resumed = await runOnce(args, firstWriteAfter(sandbox), false);
    const fresh = await runOnce([...args, '--restart'], firstWriteAfter(sandbox), false);
    return {
      kind: 'resume-cli',
      users,
      measured: 'rerun: start to first request',
      seconds: resumed.firstMs / 1000,
      peakRssMb: 0,
      notes: `fresh run (--restart): ${(fresh.firstMs / 1000).toFixed(2)}s to first request; so skipping ~${Math.round(users / 2).toLocaleString('en-US')} delivered rows costs ${((resumed.firstMs - fresh.firstMs) / 1000).toFixed(2)}s (read + hash, nothing sent)`,
    };
  } finally {
    await sandbox.stop();
    fs.rmSync(home, { recursive: true, force: true });
  }
}

function firstWriteAfter(sandbox) {
  const start = sandbox.state.stats.successfulWrites;
  return () => sandbox.state.stats.successfulWrites > start;
}

/** Runs the CLI; records when `reached()` first holds; kills it then when `kill`, else stops it after. */
function runCliUntil(args, env, reached, kill) {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(dist, 'main.js'), ...args], { env, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    let firstMs;
    const poll = setInterval(() => {
      if (firstMs === undefined && reached()) {
        firstMs = performance.now() - started;
        clearInterval(poll);
        child.kill(kill ? 'SIGKILL' : 'SIGTERM');
      }
    }, 1);
    child.on('error', reject);
    child.on('exit', (code) => {
      clearInterval(poll);
      // A run that ended before its first request measured nothing: say why instead of printing a time.
      if (firstMs === undefined) return reject(new Error(`pinsync ${args[0]} exited ${code} before its first request: ${stderr.slice(-500)}`));
      resolve({ firstMs });
    });
  });
}

/** The real command: `pinsync sync` of N users, then again with 1% churn; wall time and the CLI's peak RSS. */
async function benchSyncCli(users) {
  const { startSandbox } = await import(path.join(dist, 'sandbox', 'server.js'));
  const sandbox = await startSandbox({ port: 0, writeRate: 1000, requestLogSize: 1000 });
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'pinsync-bench-sync-'));
  try {
    const churn = Math.floor(users / 100);
    const day1 = await writeEmails(path.join(home, 'day1.csv'), 0, users);
    const day2 = await writeEmails(path.join(home, 'day2.csv'), churn, users + churn);
    const env = { ...process.env, PINSYNC_HOME: home, PINSYNC_KEYCHAIN: 'off', PINSYNC_API_BASE: sandbox.apiBase, PINSYNC_ACCESS_TOKEN: sandbox.token };
    const args = (file) => ['sync', file, '--audience', 'bench mirror', '--ad-account', '549755885175', '--create', '--rate', '1000', '--no-progress', '--json'];
    const first = await timedCli(args(day1), env);
    const second = await timedCli(args(day2), env);
    const report = JSON.parse(second.stdout);
    if (report.added !== churn || report.removed !== churn) throw new Error(`sync-cli: +${report.added} -${report.removed}`);
    return {
      kind: 'sync-cli',
      users,
      measured: 'pinsync sync, 1% churn',
      seconds: second.seconds,
      peakRssMb: second.peakRssMb,
      notes: `sent +${report.added} -${report.removed} in ${report.requests} requests; first sync ${first.seconds.toFixed(1)}s at ${first.peakRssMb} MB peak`,
    };
  } finally {
    await sandbox.stop();
    fs.rmSync(home, { recursive: true, force: true });
  }
}

async function writeEmails(file, from, to) {
  const out = fs.createWriteStream(file);
  let chunk = 'email\n';
  for (let i = from; i < to; i++) {
    chunk += `user${i}@example.com\n`;
    if (chunk.length > 1 << 20) {
      if (!out.write(chunk)) await new Promise((resolve) => out.once('drain', resolve));
      chunk = '';
    }
  }
  out.write(chunk);
  await new Promise((resolve) => out.end(resolve));
  return file;
}

/** Runs the CLI under /usr/bin/time for its peak RSS (falls back to no RSS figure without it). */
function timedCli(args, env) {
  const useTime = fs.existsSync('/usr/bin/time');
  const command = useTime ? '/usr/bin/time' : process.execPath;
  const argv = useTime ? ['-f', 'PEAK_RSS_KB=%M', process.execPath, path.join(dist, 'main.js'), ...args] : [path.join(dist, 'main.js'), ...args];
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(command, argv, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('exit', (code) => {
      if (code !== 0) return reject(new Error(`sync exited ${code}: ${stderr.slice(-500)}`));
      const kb = Number(/PEAK_RSS_KB=(\d+)/.exec(stderr)?.[1] ?? 0);
      resolve({ stdout, seconds: (performance.now() - started) / 1000, peakRssMb: Math.round(kb / 1024) });
    });
  });
}
