// Streaming mode: rows written to the CLI's standard input reach Pinterest within the flush
// interval (plus a second), and Ctrl-C stops cleanly with the counts and a sentence on resuming.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startSandbox, type Sandbox } from '../../src/sandbox/server.js';
import { cliEntry, cliEnv, makeHome, repoRoot } from '../support/cli.js';
import { arrangeAudience, recordsOf, sha256 } from './push-helpers.js';
import { US, sandboxEnv } from '../support/sandbox.js';

let sandbox: Sandbox;
let child: ChildProcessWithoutNullStreams | undefined;
beforeEach(async () => {
  sandbox = await startSandbox({ port: 0, writeRate: 1000 });
});
afterEach(async () => {
  if (child && child.exitCode === null) child.kill('SIGKILL');
  await sandbox.stop();
});

function startPush(args: string[], env: Record<string, string> = {}) {
  const proc = spawn(process.execPath, [cliEntry, 'push', '-', ...args], {
    cwd: repoRoot,
    env: cliEnv(makeHome(), { ...sandboxEnv(sandbox), ...env }),
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  child = proc;
  let stdout = '';
  let stderr = '';
  proc.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  proc.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const exit = new Promise<number | null>((resolve) => proc.on('close', (code) => resolve(code)));
  return { proc, exit, output: () => ({ stdout, stderr }) };
}

async function waitFor(condition: () => boolean, timeoutMs: number): Promise<number> {
  const started = Date.now();
  while (!condition()) {
    if (Date.now() - started > timeoutMs) throw new Error(`not within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return Date.now() - started;
}

describe('pinsync push - (streaming)', () => {
  it('syncs rows written to stdin within the flush interval plus a second', async () => {
    const { list } = arrangeAudience(sandbox);
    const run = startPush(['--audience', 'Newsletter', '--ad-account', US, '--flush-interval', '1', '--format', 'ndjson', '--json', '--force']);
    run.proc.stdin.write('{"email":"first@example.com"}\n');
    const firstMs = await waitFor(() => recordsOf(sandbox, list.id).length === 1, 10_000);
    run.proc.stdin.write('{"email":"second@example.com"}\n{"email":"third@example.com"}\n');
    const secondMs = await waitFor(() => recordsOf(sandbox, list.id).length === 3, 10_000);
    expect(secondMs).toBeLessThanOrEqual(2_000);
    expect(firstMs).toBeLessThanOrEqual(5_000); // includes start-up and the audience look-up
    run.proc.stdin.end();
    expect(await run.exit).toBe(0);
    expect(recordsOf(sandbox, list.id)).toEqual(['first', 'second', 'third'].map((u) => sha256(`${u}@example.com`)).sort());
    expect(JSON.parse(run.output().stdout)).toMatchObject({ entered: 3, synced: 3, pending: 0 });
  });

  it('stops on Ctrl-C: in-flight requests finish, counts add up, exit 130 with how to resume', async () => {
    const { list } = arrangeAudience(sandbox);
    const run = startPush(['--audience', 'Newsletter', '--ad-account', US, '--flush-interval', '0.2', '--json', '--force']);
    run.proc.stdin.write('email\none@example.com\n');
    await waitFor(() => recordsOf(sandbox, list.id).length === 1, 10_000);
    sandbox.setFaults({ latencyMs: 1500 });
    run.proc.stdin.write('two@example.com\n');
    await waitFor(() => sandbox.requestsInProgress() > 0, 10_000); // the second batch is now in flight
    run.proc.kill('SIGINT');
    expect(await run.exit).toBe(130);
    const report = JSON.parse(run.output().stdout);
    expect(report).toMatchObject({ entered: 2, synced: 2, pending: 0, outcome: 'interrupted' });
    expect(run.output().stderr).toMatch(/standard input cannot be resumed|send the rest/i);
  });
});
