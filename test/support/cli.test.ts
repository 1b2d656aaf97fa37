// The shared runCli helper itself: it runs the built CLI with an isolated home and reports exit code and output.
import { describe, expect, it } from 'vitest';
import { runCli } from './cli.js';

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
