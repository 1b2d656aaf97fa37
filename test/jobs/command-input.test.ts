// A command's output is the job's input even when the job starts reading after the command ended
// (a job looks its audience up first).
import os from 'node:os';
import { describe, expect, it } from 'vitest';
import { startCommandInput } from '../../src/jobs/command-input.js';

describe('startCommandInput', () => {
  it('keeps what the command printed until the job reads it, after the command has exited', async () => {
    const command = startCommandInput('printf "email\\na@example.com\\n"', { cwd: os.tmpdir(), env: { PATH: process.env.PATH } });
    expect(await command.complete).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 50)); // the exit's clean-up has run
    let text = '';
    for await (const chunk of command.stdout) text += String(chunk);
    expect(text).toBe('email\na@example.com\n');
  });
});
