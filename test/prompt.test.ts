// Prompts on a terminal: Ctrl-C at a question is the user stopping (exit 130), not a crash (exit 1).
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { ExitCode, InterruptedError } from '../src/errors.js';
import { inquirerPrompter } from '../src/prompt.js';
import { waitUntil } from './support/wait.js';

describe('inquirerPrompter', () => {
  it('turns Ctrl-C at a select into an InterruptedError (exit 130)', async () => {
    const input = new PassThrough();
    const output = new PassThrough();
    let shown = '';
    output.setEncoding('utf8').on('data', (text: string) => (shown += text));
    const asked = inquirerPrompter(input, output).select('Which ad account?', [
      { name: 'Sandbox Ads US (549755885175)', value: '549755885175' },
      { name: 'Sandbox Ads CA (549755885176)', value: '549755885176' },
    ]);
    await waitUntil(() => shown.includes('Which ad account?'), 'the question is on the screen');
    input.write('\u0003');
    const error = await asked.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InterruptedError);
    expect((error as InterruptedError).exitCode).toBe(ExitCode.interrupted);
    expect((error as Error).message).toBe('Cancelled at the prompt.');
  });
});
