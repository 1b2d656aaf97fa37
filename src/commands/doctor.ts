// `pinsync doctor [FILE] [--audience X | --audience-column NAME] [--exclude FILE]… [--create]`: a
// preflight for cron jobs; `pinsync doctor jobs.yaml` checks a jobs file and each of its jobs.
// Flags and printing: one line per check (ok / warn / FAIL, or ✓ ! ✗ on a colour terminal) with the
// fix; the checks live in src/runs/doctor.ts (and src/jobs/preflight.ts for a jobs file).
import type { Command } from 'commander';
import type { Context } from '../context.js';
import type { CheckLine, DoctorOptions, Outcome } from '../runs/doctor.js';
import { action, parseInteger } from './action.js';

export function registerDoctor(program: Command): void {
  program
    .command('doctor')
    .description('Check credentials, token expiry, scopes, the ad account, the audience and a file before a scheduled run.')
    .argument('[file]', 'a CSV or NDJSON file whose identifier columns to check, or a jobs file (.yaml, .yml) to check with every job')
    .option('--audience <id-or-name>', 'check that this audience exists')
    .option('--ad-account <id>', 'ad account to check (default: the profile default)')
    .option('--create', 'the audience may be missing: push/sync --create will create it')
    .option('--format <format>', 'csv or ndjson (default: from the file name)')
    .option('--delimiter <char>', 'CSV field delimiter')
    .option('--email-column <name>', 'the column holding email addresses')
    .option('--maid-column <name>', 'the column holding mobile ad ids')
    .option('--idfa-column <name>', 'the column holding IDFAs')
    .option('--phone-column <name>', 'the column holding phone numbers')
    .option('--rows <format>', 'v2: one records_v2 row per user (API 5.28) even without a phone column')
    .option('--audience-column <name>', 'check every audience this column names (they exist, or --create makes at most --max-new-audiences)')
    .option('--max-new-audiences <n>', 'with --audience-column and --create: how many new audiences a run may make (default 20)', parseInteger('--max-new-audiences', 0, 1_000_000))
    .option('--exclude <file>', 'an exclusion list to read (repeatable)', (file: string, earlier: string[] = []) => [...earlier, file])
    .action(action<DoctorOptions, [string | undefined]>((ctx, options, file) => runDoctorCommand(ctx, options, file)));
}

async function runDoctorCommand(ctx: Context, options: DoctorOptions, file: string | undefined): Promise<number> {
  const print = (line: CheckLine) => ctx.stdout.write(`${symbol(ctx, line.outcome)} ${line.text}\n`);
  if (file !== undefined && /\.ya?ml$/i.test(file)) {
    const { preflightJobsFile } = await import('../jobs/preflight.js');
    return preflightJobsFile(ctx, file, print);
  }
  const { runDoctor } = await import('../runs/doctor.js');
  return runDoctor(ctx, options, file, print);
}

function symbol(ctx: Context, outcome: Outcome): string {
  const fancy = ctx.stdoutIsTTY && !ctx.env.NO_COLOR;
  if (!fancy) return { ok: 'ok  ', warn: 'warn', fail: 'FAIL' }[outcome];
  return { ok: '\u001b[32m✓\u001b[39m', warn: '\u001b[33m!\u001b[39m', fail: '\u001b[31m✗\u001b[39m' }[outcome];
}

