#!/usr/bin/env node
// Benchmarks the durable-run state store (run after `npm run build`):
//   mirror diff time and peak RSS for 1M and 10M users with 1% churn, and the resume overhead
//   (time for a rerun to skip the part of a 1M-user run that Pinterest already acknowledged).
//   Plus the same end to end: the built CLI against the sandbox, a 1M-user push killed half-way, then
//   the time from starting the rerun to its first request (vs a fresh run with --restart).
// Each case runs in its own child process so its peak RSS is its own.
//   node scripts/bench-state.mjs [--sizes 1000000,10000000] [--resume 1000000] [--resume-cli 1000000]
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const self = fileURLToPath(import.meta.url);
const dist = path.join(path.dirname(self), '..', 'dist');
const args = process.argv.slice(2);
const option = (name, fallback) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : fallback;
};

if (args[0] === '--case') {
  await runCase(args[1], Number(args[2]));
} else {
  const sizes = option('--sizes', '1000000,10000000').split(',').map(Number).filter(Boolean);
  const resumeSize = Number(option('--resume', '1000000'));
  const resumeCliSize = Number(option('--resume-cli', '1000000'));
  const syncCliSizes = option('--sync-cli', '1000000').split(',').map(Number).filter(Boolean);
  const rows = [];
  for (const size of sizes) rows.push(spawnCase('mirror', size));
  if (resumeSize > 0) rows.push(spawnCase('resume', resumeSize));
  if (resumeCliSize > 0) rows.push(await benchResumeCli(resumeCliSize));
  for (const size of syncCliSizes) rows.push(await benchSyncCli(size));
  printTable(rows);
}

function spawnCase(kind, size) {
  const child = spawnSync(process.execPath, [self, '--case', kind, String(size)], { encoding: 'utf8', maxBuffer: 1 << 20 });
  if (child.status !== 0) {
    process.stderr.write(child.stderr);
    throw new Error(`bench case ${kind} ${size} failed`);
  }
  return JSON.parse(child.stdout.trim().split('\n').pop());
}

function printTable(rows) {
  const header = ['case', 'users', 'measured', 'seconds', 'peak RSS MB', 'notes'];
  const lines = [header, ...rows.map((r) => [r.kind, r.users.toLocaleString('en-US'), r.measured, r.seconds.toFixed(2), r.peakRssMb ? String(r.peakRssMb) : '-', r.notes])];
  const widths = header.map((_, i) => Math.max(...lines.map((l) => l[i].length)));
  for (const line of lines) process.stdout.write(line.map((cell, i) => cell.padEnd(widths[i])).join('  ').trimEnd() + '\n');
}

function hashOf(i) {
  return createHash('sha256').update(`user${i}@example.com`).digest('hex');
}

function peakRssMb() {
  return Math.round(process.resourceUsage().maxRSS / 1024);
}

async function runCase(kind, users) {
  const { openStateStore } = await import(path.join(dist, 'state', 'store.js'));
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'pinsync-bench-state-'));
  try {
    const store = await openStateStore(path.join(home, 'state.db'));
    const result = kind === 'mirror' ? await benchMirror(store, users) : await benchResume(store, home, users);
    store.close();
    process.stdout.write(JSON.stringify({ kind, users, ...result, peakRssMb: peakRssMb() }) + '\n');
  } finally {
    fs.rmSync(home, { recursive: true, force: true });
  }
}

/** First sync of N users (snapshot), then a second sync where 1% left and 1% joined. */
async function benchMirror(store, users) {
  const key = '549755885175/list-1';
  const first = store.snapshots.startDiff(key);
  const seedStart = performance.now();
  for (let i = 0; i < users; i++) first.stageRow(i + 2, [hashOf(i)]);
  first.diff();
  first.commitSnapshot(1, Date.now());
  first.dispose();
  const seedSeconds = (performance.now() - seedStart) / 1000;

  const churn = Math.floor(users / 100);
  const start = performance.now();
  const second = store.snapshots.startDiff(key);
  for (let i = churn; i < users + churn; i++) second.stageRow(i - churn + 2, [hashOf(i)]);
  const stagedAt = performance.now();
  const counts = second.diff();
  let added = 0;
  for (const row of second.addedRows()) added += row.records.length;
  let removed = 0;
  for (const record of second.removedRecords()) removed += record.length > 0 ? 1 : 0;
  const diffedAt = performance.now();
  second.commitSnapshot(2, Date.now());
  second.dispose();
  const seconds = (performance.now() - start) / 1000;
  if (added !== churn || removed !== churn || counts.added !== churn) throw new Error(`wrong diff: +${added} -${removed}`);
  const dbMb = Math.round(fs.statSync(store.file).size / 1e6);
  return {
    measured: 'stage+diff+commit (1% churn)',
    seconds,
    notes: `hash+stage ${((stagedAt - start) / 1000).toFixed(1)}s, diff ${((diffedAt - stagedAt) / 1000).toFixed(1)}s, commit ${((performance.now() - diffedAt) / 1000).toFixed(1)}s; +${added} -${removed}; first sync ${seedSeconds.toFixed(1)}s; state.db ${dbMb} MB`,
  };
}

/** A 1M-user run killed after half its batches; the rerun loads the journal and skips those lines. */
async function benchResume(store, home, users) {
  const { startRunJournal } = await import(path.join(dist, 'state', 'journal.js'));
  const input = path.join(home, 'users.csv');
  fs.writeFileSync(input, 'email\n' + 'x\n'.repeat(1000));
  const ctx = { profile: 'default', paths: { stateFile: store.file }, now: () => Date.now(), info: () => {} };
  const shape = { audience: 'bench', adAccount: '549755885175' };
  const journalOptions = { command: 'push', operation: 'ADD', input, requestShape: shape, retryForMs: 13 * 3600e3 };
  const first = await startRunJournal(ctx, journalOptions, store);
  const batchSize = 1900;
  const acknowledgedUpTo = Math.floor(users / 2);
  const writeStart = performance.now();
  let id = 0;
  for (let line = 2; line < acknowledgedUpTo + 2; line += batchSize) {
    const lastLine = Math.min(line + batchSize - 1, acknowledgedUpTo + 1);
    const lines = Array.from({ length: lastLine - line + 1 }, (_, k) => line + k);
    const batch = { id: ++id, firstLine: line, lastLine, records: lines.length, startedAt: Date.now(), lines };
    first.batchSent(batch);
    first.batchAcknowledged(batch);
  }
  const perAckMs = (performance.now() - writeStart) / id / 2;

  const start = performance.now();
  const second = await startRunJournal(ctx, journalOptions, store);
  const openedAt = performance.now();
  let skipped = 0;
  for (let line = 2; line < users + 2; line++) if (second.alreadyDelivered(line)) skipped++;
  const seconds = (performance.now() - start) / 1000;
  if (skipped !== acknowledgedUpTo) throw new Error(`skipped ${skipped}, expected ${acknowledgedUpTo}`);
  return {
    measured: 'resume: load journal + skip check',
    seconds,
    notes: `${id} acknowledged batches, ${skipped.toLocaleString('en-US')} lines skipped; journal load ${(openedAt - start).toFixed(0)} ms; ${perAckMs.toFixed(2)} ms per durable journal write (fsync)`,
  };
}

/** End to end: kill a push of N users half-way, then time the rerun's first request against a fresh run's. */
async function benchResumeCli(users) {
  const { startSandbox } = await import(path.join(dist, 'sandbox', 'server.js'));
  const sandbox = await startSandbox({ port: 0, writeRate: 1000 });
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'pinsync-bench-resume-'));
  try {
    const input = path.join(home, 'users.csv');
    const out = fs.createWriteStream(input);
    out.write('email\n');
    for (let i = 0; i < users; i++) out.write(`user${i}@example.com\n`);
    await new Promise((resolve) => out.end(resolve));
    const args = ['push', input, '--audience', 'bench resume', '--ad-account', '549755885175', '--create', '--rate', '200', '--no-progress'];
    const env = { ...process.env, PINSYNC_HOME: home, PINSYNC_KEYCHAIN: 'off', PINSYNC_API_BASE: sandbox.apiBase, PINSYNC_ACCESS_TOKEN: sandbox.token };
    const half = Math.ceil(users / 1900 / 2);
    await runCliUntil(args, env, () => sandbox.state.stats.successfulWrites >= half, true);
    const resumed = await runCliUntil(args, env, firstWriteAfter(sandbox), false);
    const fresh = await runCliUntil([...args, '--restart'], env, firstWriteAfter(sandbox), false);
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
    const child = spawn(process.execPath, [path.join(dist, 'main.js'), ...args], { env, stdio: 'ignore' });
    let firstMs;
    const poll = setInterval(() => {
      if (firstMs === undefined && reached()) {
        firstMs = performance.now() - started;
        clearInterval(poll);
        child.kill(kill ? 'SIGKILL' : 'SIGTERM');
      }
    }, 1);
    child.on('error', reject);
    child.on('exit', () => {
      clearInterval(poll);
      resolve({ firstMs: firstMs ?? performance.now() - started });
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
