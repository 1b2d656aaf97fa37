// The run's own outputs never destroy the input and never fail only after the upload: --report and
// --rejects are refused (exit 2, nothing sent) when they are the input or cannot be written, are put
// in place atomically, and a device such as /dev/stdout is written directly.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli, spawnCli } from '../support/cli.js';
import { makeHome } from '../support/home.js';
import { runInProcess } from '../support/in-process.js';
import { sandboxEnv, sandboxPerFile, US } from '../support/sandbox.js';
import { recordsWritten } from '../support/sandbox-records.js';
import { writeUsers } from '../support/users.js';

const t = sandboxPerFile({ writeRate: 100 });

const push = (home: string, file: string, ...extra: string[]) =>
  runInProcess(['push', file, '--audience', 'Outputs', '--ad-account', US, '--create', '--rate', '100', ...extra], { home, env: sandboxEnv(t.sandbox) });

describe('--report and --rejects', () => {
  it('refuses the input itself, also through a symlink or a hard link, before reading (exit 2, input intact, nothing sent)', async () => {
    const home = makeHome();
    const input = writeUsers(home, 'users.csv', 0, 50);
    const before = fs.readFileSync(input);
    fs.symlinkSync(input, path.join(home, 'link.csv'));
    fs.linkSync(input, path.join(home, 'hard.csv'));
    const writtenBefore = recordsWritten(t.sandbox);
    for (const [flag, file] of [['--rejects', input], ['--report', input], ['--report', path.join(home, 'link.csv')], ['--rejects', path.join(home, 'hard.csv')]]) {
      const r = await push(home, input, flag!, file!);
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toMatch(new RegExp(`${flag} .* is the input file itself`));
      expect(fs.readFileSync(input).equals(before)).toBe(true);
    }
    // Standard input redirected from the file (`< users.csv`) is the file too.
    const stdinFd = fs.openSync(input, 'r');
    // A process is the point here: its fd 0 is the file.
    const spawned = spawnCli(['push', '-', '--audience', 'Outputs', '--ad-account', US, '--report', input], {
      home,
      env: sandboxEnv(t.sandbox),
      stdio: [stdinFd, 'pipe', 'pipe'],
    });
    fs.closeSync(stdinFd);
    const redirected = await spawned.result;
    expect(redirected.code, redirected.stderr).toBe(2);
    expect(redirected.stderr).toMatch(/--report .* is the input file itself/);
    expect(fs.readFileSync(input).equals(before)).toBe(true);
    expect(recordsWritten(t.sandbox) - writtenBefore).toBe(0);
  }, 60_000);

  it('refuses a folder or /dev/full before anything is sent', async () => {
    const home = makeHome();
    const input = writeUsers(home, 'users.csv', 0, 50);
    const writtenBefore = recordsWritten(t.sandbox);
    const folder = await push(home, input, '--report', home);
    expect(folder.code).toBe(2);
    expect(folder.stderr).toMatch(/--report .* is a folder/);
    const full = await push(home, input, '--rejects', '/dev/full');
    expect(full.code).toBe(2);
    expect(full.stderr).toMatch(/Cannot write --rejects \/dev\/full \(no space left\)/);
    const missingFolder = await push(home, input, '--report', path.join(home, 'no', 'such', 'report.json'));
    expect(missingFolder.code).toBe(2);
    expect(recordsWritten(t.sandbox) - writtenBefore).toBe(0);
  }, 60_000);

  it('leaves an earlier file as it was when the run fails, and leaves no temporary behind', async () => {
    const home = makeHome();
    const input = writeUsers(home, 'users.csv', 0, 50);
    const rejects = path.join(home, 'rejects.csv');
    fs.writeFileSync(rejects, 'line,reason\n7,invalid_email\n');
    const r = await runInProcess(['push', input, '--audience', 'No such audience', '--ad-account', US, '--rejects', rejects], { home, env: sandboxEnv(t.sandbox) });
    expect(r.code).toBe(5);
    expect(fs.readFileSync(rejects, 'utf8')).toBe('line,reason\n7,invalid_email\n');
    expect(fs.readdirSync(home).filter((name) => name.endsWith('.tmp'))).toEqual([]);

    const done = await push(home, input, '--rejects', rejects);
    expect(done.code, done.stderr).toBe(0);
    expect(fs.readFileSync(rejects, 'utf8')).toBe('line,reason\n');
    expect(fs.readdirSync(home).filter((name) => name.endsWith('.tmp'))).toEqual([]);
  }, 60_000);

  it('writes --report /dev/stdout directly (the device stays a device)', async () => {
    const home = makeHome();
    const input = writeUsers(home, 'users.csv', 100, 150);
    // A process is the point: /dev/stdout is its own fd 1, the pipe this test reads.
    const args = ['push', input, '--audience', 'Outputs', '--ad-account', US, '--create', '--rate', '100', '--report', '/dev/stdout'];
    const r = await runCli(args, { home, env: sandboxEnv(t.sandbox) });
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ entered: 50, synced: 50, stoppedBy: 'end' });
    expect(fs.lstatSync('/dev/stdout').isSymbolicLink()).toBe(true);
  }, 60_000);
});
