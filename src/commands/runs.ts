// `pinsync runs [--json]` lists past runs per audience; `pinsync runs show ID [--json]` prints one
// run's stored report. The state store is loaded lazily inside the actions.
import type { Command } from 'commander';
import type { Context } from '../context.js';
import { NotFoundError, UsageError } from '../errors.js';
import { action, parseInteger } from './action.js';

interface RunsOptions {
  json?: boolean;
  limit?: number;
}

export function registerRuns(program: Command): void {
  const runs = program
    .command('runs')
    .description('List past push and sync runs per audience, with their counts and exit codes.')
    .option('--json', 'print one JSON array on stdout')
    .option('--limit <n>', 'how many recent runs to list', parseInteger('--limit', 1, 100_000), 50)
    .action(action<RunsOptions, []>((ctx, options) => runRunsList(ctx, options)));
  runs
    .command('show')
    .description('Show one run in full: its stored report.')
    .argument('[run-id]', 'the id from `pinsync runs` (asked on a terminal when missing)')
    .option('--json', 'print the report as JSON on stdout')
    // `runs show 3 --json`: commander hands --json to the parent `runs`, so both are read.
    .action(action<RunsOptions, [string | undefined]>((ctx, options, id) => runRunsShow(ctx, { ...runs.opts(), ...options }, id)));
}

export async function runRunsList(ctx: Context, options: RunsOptions): Promise<number> {
  const { currentHealthWarnings, listRuns, renderRunsTable } = await import('../state/run-history.js');
  const rows = await listRuns(ctx, options.limit ?? 50);
  if (options.json) {
    ctx.stdout.write(JSON.stringify(rows, null, 2) + '\n');
  } else if (rows.length === 0) {
    ctx.info('No runs recorded yet: `pinsync push` and `pinsync sync` record theirs here.');
  } else {
    ctx.stdout.write(await renderRunsTable(ctx, rows));
    for (const warning of currentHealthWarnings(rows)) ctx.warn(warning);
  }
  return 0;
}

export async function runRunsShow(ctx: Context, options: RunsOptions, id: string | undefined): Promise<number> {
  const { showRun, renderRunDetails } = await import('../state/run-history.js');
  const run = await showRun(ctx, id?.trim() || (await askForRun(ctx)));
  ctx.stdout.write(options.json ? JSON.stringify(run, null, 2) + '\n' : renderRunDetails(run));
  return 0;
}

/** `runs show` without an id: pick one of the recent runs on a terminal; off a terminal, exit 2. */
async function askForRun(ctx: Context): Promise<string> {
  if (!ctx.canPrompt) throw new UsageError('No run given: pass its id, e.g. `pinsync runs show 3` (no terminal to ask on; `pinsync runs` lists them).');
  const { listRuns } = await import('../state/run-history.js');
  const recent = (await listRuns(ctx, 30)).sort((a, b) => b.id - a.id);
  if (recent.length === 0) throw new NotFoundError('No runs recorded yet: `pinsync push` and `pinsync sync` record theirs here.');
  const id = await ctx.prompter.select(
    'Which run?',
    recent.map((run) => ({
      name: `${run.id}  ${run.command} ${run.audienceName ?? run.audienceId ?? '?'}  ${run.startedAt}  ${run.status}${run.exitCode === null ? '' : ` (exit ${run.exitCode})`}`,
      value: String(run.id),
    })),
  );
  return id;
}
