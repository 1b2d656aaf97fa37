#!/usr/bin/env node
// Benchmarks durable runs through the built CLI against the sandbox (run after `npm run build`), so
// it calls the entry points a user does and keeps working when the state modules change inside:
//   sync-cli    `pinsync sync` of N users, then again with 1% churn: wall time and the CLI's peak RSS
//   resume-cli  a push of N users killed half-way, then the time from starting the rerun to its first
//               request (vs a fresh run with --restart)
//   node scripts/bench-state.mjs [--sizes 1000000,10000000] [--resume-cli 1000000]
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const dist = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'dist');
const args = process.argv.slice(2);
const option = (name, fallback) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : fallback;
};

const syncSizes = option('--sizes', '1000000,10000000').split(',').map(Number).filter(Boolean);
const resumeCliSize = Number(option('--resume-cli', '1000000'));
const rows = [];
for (const size of syncSizes) rows.push(await benchSyncCli(size));
if (resumeCliSize > 0) rows.push(await benchResumeCli(resumeCliSize));
printTable(rows);

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
