// A plain push is a fan-out of one: stopped the same way, both shapes end the same way (exit 130,
// stoppedBy "interrupted", and the resume hint naming their runs), in-process against the sandbox.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox, type Sandbox } from '../../src/sandbox/server.js';

import { startInProcess } from '../support/in-process.js';
import { US, sandboxEnv } from '../support/sandbox.js';
import { makeHome } from '../support/home.js';

let sandbox: Sandbox;
beforeAll(async () => {
  sandbox = await startSandbox({ port: 0, writeRate: 100 });
});
afterAll(async () => {
  await sandbox.stop();
});

/** Runs `args` and stops it (as Ctrl-C does) once the sandbox took `writes` more writes. */
async function stoppedAfterWrites(args: string[], home: string, writes: number) {
  const target = sandbox.state.stats.successfulWrites + writes;
  const run = startInProcess(args, { home, env: sandboxEnv(sandbox), timeoutMs: 60_000 });
  const poll = setInterval(() => {
    if (sandbox.state.stats.successfulWrites >= target) run.stop();
  }, 2);
  try {
    return await run.result;
  } finally {
    clearInterval(poll);
  }
}

function usersFile(dir: string, segments: number): string {
  const file = path.join(dir, 'users.csv');
  const rows = Array.from({ length: 6_000 }, (_, i) => `user${i}@example.com,Segment ${i % segments}`);
  fs.writeFileSync(file, ['email,segment', ...rows].join('\n') + '\n');
  return file;
}

describe('every shape of push ends alike', () => {
  it.each([
    ['a plain push', ['--audience', 'Ends plain', '--create'], /Run the same command again to resume run \d+ \(/],
    ['a fan-out push', ['--audience-column', 'segment', '--create'], /Run the same command again to resume runs \d+, \d+ \(/],
  ])('%s stopped mid-run: exit 130, stoppedBy interrupted, and a hint that names its runs', async (_, audienceFlags, hint) => {
    const home = makeHome();
    const file = usersFile(home, 2);
    const args = ['push', file, ...audienceFlags, '--ad-account', US, '--batch-size', '200', '--rate', '10', '--json'];
    const result = await stoppedAfterWrites(args, home, 4);
    expect(result.code, result.stderr).toBe(130);
    const report = JSON.parse(result.stdout) as { stoppedBy: string; pending: number };
    expect(report.stoppedBy).toBe('interrupted');
    expect(report.pending).toBeGreaterThan(0);
    expect(result.stderr).toMatch(hint);
  }, 60_000);
});
