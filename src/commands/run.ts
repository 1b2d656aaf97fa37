// `pinsync run <jobs.yaml> [JOB...]`: flags only; the run lives in src/jobs/jobs-run.ts.
import type { Command } from 'commander';
import type { RunCommandOptions } from '../jobs/run-jobs-file.js';
import { action } from './action.js';

export function registerRun(program: Command): void {
  program
    .command('run')
    .description('Run the pushes, removes and syncs of a jobs file side by side, under one write budget per token.')
    .argument('<jobs-file>', 'the jobs file (YAML; see the README)')
    .argument('[job...]', 'names of the jobs to run (default: every job)')
    .option('--dry-run', 'run every job dry: read, check and count, send nothing')
    .option('--json', 'print { exitCode, jobs: [{ name, exitCode, report }] } on stdout')
    .option('--report <file>', 'write the same JSON to FILE')
    .option('--no-progress', 'no progress lines from the jobs')
    .action(
      action<RunCommandOptions, [string, string[]]>(async (ctx, options, file, names) => {
        const { runJobsFile } = await import('../jobs/run-jobs-file.js');
        return runJobsFile(ctx, file, names, options);
      }),
    );
}
