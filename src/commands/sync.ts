// `pinsync sync <file|-> --audience X`: make the audience hold exactly the users in the file by
// sending only the difference from the last sync. Flags only; the run lives in src/state/mirror-run.ts.
import type { Command } from 'commander';
import type { Context } from '../context.js';
import { action, parseNumber } from './action.js';
import { addInputOptions, type InputOptions } from './push.js';

export interface SyncOptions extends InputOptions {
  audience: string;
  adAccount?: string;
  create?: boolean;
  maxRemove: number;
  force?: boolean;
  dryRun?: boolean;
}

export function registerSync(program: Command): void {
  const sync = program
    .command('sync')
    .description('Mirror a file into an audience: add the users new since the last sync, remove the ones gone.')
    .argument('<file>', 'CSV or NDJSON file (.gz too), or - for standard input')
    .option('--audience <id-or-name>', 'audience id or exact name (asked on a terminal when missing)')
    .option('--ad-account <id>', 'ad account id (default: the profile default from `accounts use`)')
    .option('--create', 'create the audience (customer list first) when it does not exist')
    .option('--max-remove <percent>', 'stop before removing more than this share of the audience', parseNumber('--max-remove', 0, 100), 20)
    .option('--force', 'remove beyond --max-remove without asking; sync even when most rows have no valid identifier')
    .option('--dry-run', 'read the file and print how many users would be added and removed; send nothing')
    .option('--json', 'print the run report as JSON on stdout');
  addInputOptions(sync).action(
    action<SyncOptions>(async (ctx, options, file) => {
      const { askForTargetIfMissing } = await import('./choices.js');
      await askForTargetIfMissing(ctx, options, true);
      return runSync(ctx, options, file);
    }),
  );
}

export async function runSync(ctx: Context, options: SyncOptions, input: string): Promise<number> {
  const { runMirror } = await import('../state/mirror-run.js');
  return runMirror(ctx, options, input);
}
