// `pinsync run <jobs.yaml> [JOB...]`: flags only; the jobs run in src/jobs/run-jobs-file.ts, their end
// is announced by src/ci/ (the jobs file's `notify:`, `ping:`, `metrics_file:` join the flags').
import type { Command } from 'commander';
import type { AnnounceOptions } from '../ci/announce-options.js';
import type { RunCommandOptions } from '../jobs/run-jobs-file.js';
import { action } from './action.js';
import { addAnnounceOptions } from './input-flags.js';

export function registerRun(program: Command): void {
  const run = program
    .command('run')
    .description('Run the pushes, removes and syncs of a jobs file side by side, under one write budget per token.')
    .argument('<jobs-file>', 'the jobs file (YAML; see the README)')
    .argument('[job...]', 'names of the jobs to run (default: every job)')
    .option('--dry-run', 'run every job dry: read, check and count, send nothing')
    .option('--json', 'print { exitCode, jobs: [{ name, exitCode, report }] } on stdout')
    .option('--report <file>', 'write the same JSON to FILE')
    .option('--no-progress', 'no progress lines from the jobs');
  addAnnounceOptions(run).action(
    action<RunCommandOptions & AnnounceOptions, [string, string[]]>(async (ctx, options, file, names) => {
      const { announceRunEnd, endedJobsOf } = await import('../ci/announce.js');
      return announceRunEnd(
        ctx,
        'run',
        options,
        async (announcement) => {
          const { loadJobsFile } = await import('../jobs/jobs-file.js');
          const plan = await loadJobsFile(file, names, ctx.stdin, ctx.env);
          announcement.include(plan.announce);
          const { runJobsFile } = await import('../jobs/run-jobs-file.js');
          const metricsFile = options.metricsFile ?? plan.announce.metricsFile;
          return runJobsFile(ctx, plan, { ...options, metricsFile }, (report) => announcement.ended(endedJobsOf(report, Boolean(options.dryRun), ctx.now())));
        },
        options.dryRun,
      );
    }),
  );
}
