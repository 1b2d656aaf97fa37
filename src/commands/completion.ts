// `pinsync completion bash|zsh|fish`: prints the completion script of this very program (generated in
// completion-script.ts from its commands and flags, loaded only here).
import { Argument, type Command } from 'commander';
import { action } from './action.js';

const SHELL_CHOICES = ['bash', 'zsh', 'fish'];

export function registerCompletion(program: Command): void {
  program
    .command('completion')
    .description('Print the shell completion script for bash, zsh or fish (commands, flags and fixed flag values).')
    .addArgument(new Argument('<shell>', 'bash, zsh or fish').choices(SHELL_CHOICES))
    .action(
      action<object, [string]>(async (ctx, _options, shell) => {
        const { completionScript } = await import('./completion-script.js');
        ctx.stdout.write(completionScript(shell as 'bash' | 'zsh' | 'fish', program));
        return 0;
      }),
    );
}
