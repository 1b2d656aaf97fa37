// The two ways tests run pinsync: the built CLI in a process (runCli) and the program in this process
// (runInProcess). The process adds only what main.ts does: its exit code is the program's result, and
// a piped stdout gets all of its output before the exit.
import { describe, expect, it } from 'vitest';
import { runCli } from './cli.js';
import { runInProcess } from './in-process.js';
import { sandboxEnv, sandboxPerFile, US } from './sandbox.js';
import { writeUsers } from './users.js';

const t = sandboxPerFile();

describe('runCli', () => {
  it('runs `pinsync --version` and returns its exit code and stdout', async () => {
    const result = await runCli(['--version']);
    expect(result.code).toBe(0);
    expect(result.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
    expect(result.home).toMatch(/pinsync-test-/);
  });

  it('reports a usage error as exit 2 on stderr', async () => {
    const result = await runCli(['no-such-command']);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^pinsync: unknown command 'no-such-command'/);
  });
});

describe('the process around the program', () => {
  it('exits with the code the program returns, and a piped stdout larger than a pipe buffer arrives whole', async () => {
    for (let i = 0; i < 1000; i++) t.sandbox.state.createAudience(US, { name: `Audience number ${i} with a long enough name` });
    const args = ['audiences', 'list', '--ad-account', US, '--json'];
    const spawned = await runCli(args, { env: sandboxEnv(t.sandbox) });
    const inProcess = await runInProcess(args, { env: sandboxEnv(t.sandbox) });
    expect(spawned.code, spawned.stderr).toBe(0);
    expect(spawned.stdout.length).toBeGreaterThan(256 * 1024);
    expect(JSON.parse(spawned.stdout)).toHaveLength(1000);
    expect(spawned.stdout).toBe(inProcess.stdout);

    const file = writeUsers(t.dir, 'users.csv', 0, 10);
    const missing = ['push', file, '--audience', 'Nobody', '--ad-account', US, '--json'];
    const [spawnedMissing, inProcessMissing] = [await runCli(missing, { env: sandboxEnv(t.sandbox) }), await runInProcess(missing, { env: sandboxEnv(t.sandbox) })];
    expect(spawnedMissing.code).toBe(5);
    expect(spawnedMissing.code).toBe(inProcessMissing.code);
    expect(spawnedMissing.stderr).toBe(inProcessMissing.stderr);
  });
});
