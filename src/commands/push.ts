// `pinsync push <file|-> --audience <id|name>`: flags only; the run lives in runPush, which
// `audiences create --from` reuses. Heavy modules (client, pipeline, cli-progress) load in the action.
import { Option, type Command } from 'commander';
import { action, parseDuration, parseInteger, parseNumber } from './action.js';
import type { Context } from '../context.js';
import type { PushJournal } from '../pipeline/journal.js';
import { MAX_BATCH_SIZE } from '../pipeline/settings.js';

/** Input, batching and report flags shared by push, sync and `audiences create --from`. */
export interface InputOptions {
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
  /** false with --no-progress. */
  progress?: boolean;
}

export interface PushOptions extends InputOptions {
  audience: string;
  adAccount?: string;
  create?: boolean;
  remove?: boolean;
  dryRun?: boolean;
  force?: boolean;
  /** Audience description when --create makes one (audiences create --from). */
  description?: string;
}

/** Hooks for commands that reuse push (`audiences create --from`). */
export interface PushHooks {
  command?: string;
  /** A journal of the caller's own (tests, sync); by default push opens the durable one. */
  journal?: PushJournal;
}


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
    .option('--force', 'push even when most of the first rows have no valid identifier')
    .option('--json', 'print the run report as JSON on stdout');
  addInputOptions(push).action(
    action<PushOptions>(async (ctx, options, file) => {
      const { askForTargetIfMissing } = await import('./choices.js');
      await askForTargetIfMissing(ctx, options, !options.remove);
      return runPush(ctx, options, file);
    }),
  );
}

/**
 * Adds the input, batching and report flags. Defaults are applied by the runs (so `audiences
 * create` can tell which were given); `note` prefixes each help line, e.g. "with --from: ".
 */
export function addInputOptions(command: Command, note = ''): Command {
  return command
    .addOption(new Option('--format <format>', `${note}input format (default: from the extension)`).choices(['csv', 'ndjson']))
    .option('--delimiter <char>', `${note}CSV field delimiter (default ","; "tab" or "\\t" for tabs)`)
    .option('--email-column <name>', `${note}column (or NDJSON field) holding email addresses`)
    .option('--maid-column <name>', `${note}column holding mobile advertising ids (GAID/AAID)`)
    .option('--idfa-column <name>', `${note}column holding Apple IDFAs`)
    .option('--batch-size <n>', `${note}records per request (default and max ${MAX_BATCH_SIZE})`, parseInteger('--batch-size', 3, MAX_BATCH_SIZE))
    .option('--flush-interval <seconds>', `${note}send a partial batch this long after its first row (default 5)`, parseNumber('--flush-interval', 0.05, 3600))
    .option('--rate <qps>', `${note}write requests per second (default 7)`, parseNumber('--rate', 0.1, 1000))
    .option('--retry-for <duration>', `${note}how long a failing batch is retried, e.g. 30m (default 13h)`, parseDuration('--retry-for'))
    .option('--restart', `${note}start over instead of resuming an unfinished run of the same command`)
    .option('--report <file>', `${note}write the run report (JSON) to FILE`)
    .option('--rejects <file>', `${note}write \`line,reason\` for every row not synced or errored to FILE`)
    .option('--no-progress', `${note}no progress bar or progress lines`);
}

export async function runPush(ctx: Context, options: PushOptions, input: string, hooks: PushHooks = {}): Promise<number> {
  const { runPushCommand } = await import('../pipeline/push-run.js');
  return runPushCommand(ctx, options, input, hooks);
}
