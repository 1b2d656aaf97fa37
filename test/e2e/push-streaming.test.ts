// Streaming mode: rows written to the CLI's standard input reach Pinterest at the next flush, not at
// the end of the input, and a stop (Ctrl-C) ends cleanly with the counts and a sentence on resuming.
import { describe, expect, it } from 'vitest';
import { startInProcess } from '../support/in-process.js';
import { waitWhileRunning } from '../support/interrupt.js';
import { arrangeAudience, sandboxEnv, sandboxPerTest, US } from '../support/sandbox.js';
import { recordsOf } from '../support/sandbox-records.js';
import { sha256 } from '../support/users.js';

const t = sandboxPerTest({ writeRate: 1000 });

function startPush(args: string[]) {
  return startInProcess(['push', '-', ...args], { env: sandboxEnv(t.sandbox), keepInputOpen: true });
}

describe('pinsync push - (streaming)', () => {
  it('syncs rows written to stdin at each flush while stdin stays open', async () => {
    const { list } = arrangeAudience(t.sandbox);
    const run = startPush(['--audience', 'Newsletter', '--ad-account', US, '--flush-interval', '0.2', '--format', 'ndjson', '--json', '--force']);
    const held = (count: number) => () => recordsOf(t.sandbox, list.id).length === count;
    run.write('{"email":"first@example.com"}\n');
    await waitWhileRunning(run, held(1), 'the first row is synced while stdin is open');
    run.write('{"email":"second@example.com"}\n{"email":"third@example.com"}\n');
    await waitWhileRunning(run, held(3), 'the next rows are synced while stdin is open');
    run.end();
    const result = await run.result;
    expect(result.code, result.stderr).toBe(0);
    expect(recordsOf(t.sandbox, list.id)).toEqual(['first', 'second', 'third'].map((u) => sha256(`${u}@example.com`)).sort());
    expect(JSON.parse(result.stdout)).toMatchObject({ entered: 3, synced: 3, pending: 0 });
  });

  it('stops on Ctrl-C: in-flight requests finish, counts add up, exit 130 with how to resume', async () => {
    const { list } = arrangeAudience(t.sandbox);
    const run = startPush(['--audience', 'Newsletter', '--ad-account', US, '--flush-interval', '0.2', '--json', '--force']);
    run.write('email\none@example.com\n');
    await waitWhileRunning(run, () => recordsOf(t.sandbox, list.id).length === 1, 'the first row is synced');
    t.sandbox.setFaults({ latencyMs: 1500 });
    run.write('two@example.com\n');
    await waitWhileRunning(run, () => t.sandbox.requestsInProgress() > 0, 'the second batch is in flight');
    run.stop();
    const result = await run.result;
    expect(result.code).toBe(130);
    expect(JSON.parse(result.stdout)).toMatchObject({ entered: 2, synced: 2, pending: 0, outcome: 'interrupted' });
    expect(result.stderr).toMatch(/standard input cannot be resumed|send the rest/i);
  });
});
