// Interactive prompts on stderr (so stdout stays data). Loaded lazily: @inquirer is heavy.
import type { Readable, Writable } from 'node:stream';
import { InterruptedError } from './errors.js';

export interface Choice<T> {
  name: string;
  value: T;
  description?: string;
}

export interface Prompter {
  select<T>(message: string, choices: Choice<T>[]): Promise<T>;
  input(message: string, options?: { default?: string; validate?: (v: string) => true | string }): Promise<string>;
  password(message: string): Promise<string>;
  confirm(message: string, defaultValue?: boolean): Promise<boolean>;
}

export function inquirerPrompter(input: Readable, output: Writable): Prompter {
  const io = { input, output };
  const load = () => import('@inquirer/prompts');
  return {
    async select(message, choices) {
      const { select } = await load();
      return cancellable(() => select({ message, choices, pageSize: 15 }, io));
    },
    async input(message, options = {}) {
      const { input: ask } = await load();
      return cancellable(() => ask({ message, default: options.default, validate: options.validate }, io));
    },
    async password(message) {
      const { password } = await load();
      return cancellable(() => password({ message, mask: '*' }, io));
    },
    async confirm(message, defaultValue = false) {
      const { confirm } = await load();
      return cancellable(() => confirm({ message, default: defaultValue }, io));
    },
  };
}

/** Ctrl-C at a prompt is the user stopping (exit 130), not an internal error. */
async function cancellable<T>(ask: () => Promise<T>): Promise<T> {
  try {
    return await ask();
  } catch (error) {
    if (error instanceof Error && error.name === 'ExitPromptError') throw new InterruptedError('Cancelled at the prompt.', { cause: error });
    throw error;
  }
}
