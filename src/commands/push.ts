// `pinsync push <file|-> --audience <id|name>`: flags only; the run lives in src/runs/push.ts
// (which `audiences create --from` reuses). Heavy modules (client, the run, cli-progress) load in the action.
import type { Command } from 'commander';
import { action, printAnnouncedRun } from './action.js';
import type { AnnounceOptions } from '../ci/announce-options.js';
import { addAnnounceOptions, addAudienceColumnOption, addInputOptions } from './input-flags.js';
import type { PushOptions } from '../runs/options.js';

export function registerPush(program: Command): void {
  const push = program
    .command('push')
    .description('Add (or --remove) the users of a CSV or NDJSON file, or of standard input, to a customer-list audience.')
    .argument('<file>', 'CSV or NDJSON file (.gz too), or - for standard input')
    .option('--audience <id-or-name>', 'audience id or exact name (asked on a terminal when missing)')
    .option('--ad-account <id>', 'ad account id (default: the profile default from `accounts use`)')
    .option('--create', 'create the audience (customer list first) when it does not exist')
    .option('--remove', 'remove the users from the audience instead of adding them')
    .option('--dry-run', 'read, check and count everything, send nothing')
    .option('--force', 'push even when most of the first rows have no valid identifier (same as --allow-missing-identifiers)')
    .option('--json', 'print the run report as JSON on stdout');
  addAnnounceOptions(addInputOptions(addAudienceColumnOption(push))).action(
    action<PushOptions & AnnounceOptions>((ctx, options, file) =>
      printAnnouncedRun(ctx, 'push', options, async () => {
        const { askForTargetIfMissing } = await import('./choices.js');
        await askForTargetIfMissing(ctx, options, !options.remove);
        const { runPush } = await import('../runs/push.js');
        return runPush(ctx, options, file);
      }),
    ),
  );
}

