// `pinsync sync <file|-> --audience X`: make the audience hold exactly the users in the file by
// sending only the difference from the last sync. Flags only; the run lives in src/runs/sync.ts.
import type { Command } from 'commander';
import type { SyncOptions } from '../runs/options.js';
import { action, parseNumber, printAnnouncedRun } from './action.js';
import type { AnnounceOptions } from '../ci/announce-options.js';
import { addAnnounceOptions, addAudienceColumnOption, addInputOptions } from './input-flags.js';

export function registerSync(program: Command): void {
  const sync = program
    .command('sync')
    .description('Mirror a file into an audience: add the users new since the last sync, remove the ones gone.')
    .argument('<file>', 'CSV or NDJSON file (.gz too), or - for standard input')
    .option('--audience <id-or-name>', 'audience id or exact name (asked on a terminal when missing)')
    .option('--ad-account <id>', 'ad account id (default: the profile default from `accounts use`)')
    .option('--create', 'create the audience (customer list first) when it does not exist')
    .option('--max-remove <percent>', 'stop before removing more than this share of the audience', parseNumber('--max-remove', 0, 100), 20)
    .option('--force', 'remove beyond --max-remove without asking (a file with mostly invalid rows still needs --allow-missing-identifiers)')
    .option('--dry-run', 'read the file and print how many users would be added and removed; send nothing')
    .option('--json', 'print the run report as JSON on stdout');
  addAnnounceOptions(addInputOptions(addAudienceColumnOption(sync))).action(
    action<SyncOptions & AnnounceOptions>((ctx, options, file) =>
      printAnnouncedRun(ctx, 'sync', options, async () => {
        const { askForTargetIfMissing } = await import('./choices.js');
        await askForTargetIfMissing(ctx, options, true);
        const { runSync } = await import('../runs/sync.js');
        return runSync(ctx, options, file);
      }),
    ),
  );
}
