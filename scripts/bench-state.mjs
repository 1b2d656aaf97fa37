#!/usr/bin/env node
// Benchmarks the durable-run state store (run after `npm run build`):
//   mirror diff time and peak RSS for 1M and 10M users with 1% churn, and the resume overhead
//   (time for a rerun to skip the part of a 1M-user run that Pinterest already acknowledged).
// Each case runs in its own child process so its peak RSS is its own.
//   node scripts/bench-state.mjs [--sizes 1000000,10000000] [--resume 1000000]
import { spawnSync } from 'node:child_process';
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
  const rows = [];
  for (const size of sizes) rows.push(spawnCase('mirror', size));
  if (resumeSize > 0) rows.push(spawnCase('resume', resumeSize));
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
  const lines = [header, ...rows.map((r) => [r.kind, r.users.toLocaleString('en-US'), r.measured, r.seconds.toFixed(2), String(r.peakRssMb), r.notes])];
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
