// `pinsync sync <file|-> --audience X`: make the audience hold exactly the users in the file by
// sending only the difference from the last sync. Flags only; the run lives in src/state/mirror-run.ts.
import { Option, type Command } from 'commander';
import type { Context } from '../context.js';
import { action, parseDuration, parseInteger, parseNumber } from './action.js';

export interface SyncOptions {
  audience: string;
  adAccount?: string;
  create?: boolean;
  maxRemove: number;
  force?: boolean;
  dryRun?: boolean;
  format?: 'csv' | 'ndjson';
  delimiter?: string;
  emailColumn?: string;
  maidColumn?: string;
  idfaColumn?: string;
  batchSize?: number;
  /** Seconds. */
  flushInterval?: number;
  rate?: number;
  /** Milliseconds. */
  retryFor?: number;
  restart?: boolean;
  report?: string;
  rejects?: string;
  json?: boolean;
  progress?: boolean;
}

const MAX_BATCH_SIZE = 1900;

export function registerSync(program: Command): void {
  program
    .command('sync')
    .description('Mirror a file into an audience: add the users new since the last sync, remove the ones gone.')
    .argument('<file>', 'CSV or NDJSON file (.gz too), or - for standard input')
    .requiredOption('--audience <id-or-name>', 'audience id or exact name')
    .option('--ad-account <id>', 'ad account id (default: the profile default from `accounts use`)')
    .option('--create', 'create the audience (customer list first) when it does not exist')
    .option('--max-remove <percent>', 'stop before removing more than this share of the audience', parseNumber('--max-remove', 0, 100), 20)
    .option('--force', 'remove beyond --max-remove without asking; sync even when most rows have no valid identifier')
    .option('--dry-run', 'read the file and print how many users would be added and removed; send nothing')
    .addOption(new Option('--format <format>', 'input format (default: from the extension)').choices(['csv', 'ndjson']))
    .option('--delimiter <char>', 'CSV field delimiter (default ","; "tab" for tabs)')
    .option('--email-column <name>', 'column (or NDJSON field) holding email addresses')
    .option('--maid-column <name>', 'column holding mobile advertising ids (GAID/AAID)')
    .option('--idfa-column <name>', 'column holding Apple IDFAs')
    .option('--batch-size <n>', `records per request (max ${MAX_BATCH_SIZE})`, parseInteger('--batch-size', 3, MAX_BATCH_SIZE), MAX_BATCH_SIZE)
    .option('--flush-interval <seconds>', 'accepted for symmetry with push (a sync sends once the whole file is read)', parseNumber('--flush-interval', 0.05, 3600), 5)
    .option('--rate <qps>', 'write requests per second', parseNumber('--rate', 0.1, 1000), 7)
    .option('--retry-for <duration>', 'how long a failing batch is retried (e.g. 13h, 30m)', parseDuration('--retry-for'), 13 * 3_600_000)
    .option('--restart', 'start over instead of resuming an unfinished sync of the same file')
    .option('--report <file>', 'write the run report (JSON) to FILE')
    .option('--rejects <file>', 'write `line,reason` for every row not synced or errored to FILE')
    .option('--json', 'print the run report as JSON on stdout')
    .option('--no-progress', 'no progress bar or progress lines')
    .action(action<SyncOptions>((ctx, options, file) => runSync(ctx, options, file)));
}

export async function runSync(ctx: Context, options: SyncOptions, input: string): Promise<number> {
  const { runMirror } = await import('../state/mirror-run.js');
  return runMirror(ctx, options, input);
}
