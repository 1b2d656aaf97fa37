// Shared arrangements for the durable-run end-to-end tests: generated user files, the hashes
// Pinterest should end up holding, and the sandbox environment for the CLI.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { spawn } from 'node:child_process';
import type { Sandbox } from '../../src/sandbox/server.js';
import { cliEntry, cliEnv, repoRoot } from '../support/cli.js';
import { sandboxEnv } from '../support/sandbox.js';

export function email(i: number): string {
  return `user${i}@example.com`;
}

export function sha256(value: string): string {
  return createHash('sha256').update(value).digest('hex');
}

/** A CSV of users from..to-1 (one email each). */
export function writeUsers(dir: string, name: string, from: number, to: number): string {
  const lines = ['email'];
  for (let i = from; i < to; i++) lines.push(email(i));
  const file = path.join(dir, name);
  fs.writeFileSync(file, lines.join('\n') + '\n');
  return file;
}

export function hashesOf(from: number, to: number): Set<string> {
  const out = new Set<string>();
  for (let i = from; i < to; i++) out.add(sha256(email(i)));
  return out;
}


/**
 * The records the audience's customer list holds now, found by the audience name; while the audience is
 * pending (Pinterest has not accepted it on a young list), the customer list of that name.
 */
export function listRecords(sandbox: Sandbox, audienceName: string): Set<string> {
  const audience = [...sandbox.state.audiences.values()].find((a) => a.name === audienceName);
  const waiting = [...sandbox.state.customerLists.values()].filter((l) => l.name === audienceName);
  if (!audience && waiting.length !== 1) throw new Error(`no audience named ${audienceName}, and ${waiting.length} customer lists of that name`);
  const list = audience ? sandbox.state.customerList(audience.rule.customer_list_id!) : waiting[0];
  if (!list) throw new Error(`audience ${audienceName} has no list`);
  return list.records;
}

export function sameSet(a: Set<string>, b: Set<string>): boolean {
  if (a.size !== b.size) return false;
  for (const value of a) if (!b.has(value)) return false;
  return true;
}

/** Records sent to Pinterest in successful (2xx) customer-list writes. */
export function recordsWritten(sandbox: Sandbox): number {
  return sandbox.state.requests
    .filter((r) => r.path.includes('/customer_lists') && r.method !== 'GET' && r.status >= 200 && r.status < 300)
    .reduce((sum, r) => sum + r.records, 0);
}

/** Runs the CLI and presses Ctrl-C (SIGINT) once the sandbox has acknowledged `writes` more writes. */
export async function interruptAfterWrites(
  sandbox: Sandbox,
  args: string[],
  home: string,
  writes: number,
): Promise<{ code: number | null; stderr: string }> {
  const target = sandbox.state.stats.successfulWrites + writes;
  const child = spawn(process.execPath, [cliEntry, ...args], { cwd: repoRoot, env: cliEnv(home, sandboxEnv(sandbox)) });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const poll = setInterval(() => {
    if (sandbox.state.stats.successfulWrites >= target) {
      clearInterval(poll);
      child.kill('SIGINT');
    }
  }, 2);
  const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
  clearInterval(poll);
  return { code, stderr };
}
