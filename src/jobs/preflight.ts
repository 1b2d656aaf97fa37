// `pinsync doctor jobs.yaml`: a jobs file checked as `pinsync run` would take it, sending nothing: the
// credentials once, the file itself (keys, types, files on disk), its outputs against its inputs, then
// for each job what its push or sync would need (runs/doctor.ts checkRun), each line under `[job]`.
// A job's `command:` is not run: only the job runs it.
import type { Context } from '../context.js';
import { checkAccess, checkRun, DoctorChecks, type CheckLine, type DoctorOptions } from '../runs/doctor.js';
import { loadJobsFile, type Job, type JobsPlan } from './jobs-file.js';
import { checkRunOutputs } from './run-jobs-file.js';

export async function preflightJobsFile(ctx: Context, file: string, print: (line: CheckLine) => void): Promise<number> {
  const checks = new DoctorChecks(print);
  const access = await checkAccess(ctx, checks.say);
  try {
    const plan = checkJobsFile(await jobsPlan(ctx, file, checks.say), checks.say);
    for (const job of plan?.jobs ?? []) {
      const say = (line: CheckLine) => checks.say({ ...line, text: `[${job.name}] ${line.text}` });
      if (job.input.kind === 'command') say({ outcome: 'ok', text: `command: \`${job.input.command}\` is run by the job, not by doctor` });
      await checkRun(ctx, access, doctorOptions(job), job.input.kind === 'file' ? job.input.file : undefined, say);
    }
  } finally {
    await access?.client.close();
  }
  return checks.end(ctx);
}

async function jobsPlan(ctx: Context, file: string, say: (line: CheckLine) => void): Promise<JobsPlan | undefined> {
  try {
    const plan = await loadJobsFile(file, [], ctx.stdin, ctx.env);
    say({ outcome: 'ok', text: `jobs file ${plan.file === '-' ? 'on standard input' : plan.file}: ${plan.jobs.length} ${plan.jobs.length === 1 ? 'job' : 'jobs'}` });
    return plan;
  } catch (error) {
    say({ outcome: 'fail', text: error instanceof Error ? error.message : String(error), exitCode: (error as { exitCode?: number }).exitCode ?? 2 });
    return undefined;
  }
}

/** Its outputs (report:, rejects:, metrics_file:) never one of its inputs, and writable. */
function checkJobsFile(plan: JobsPlan | undefined, say: (line: CheckLine) => void): JobsPlan | undefined {
  if (!plan) return undefined;
  try {
    checkRunOutputs(plan, undefined, plan.announce.metricsFile);
    return plan;
  } catch (error) {
    say({ outcome: 'fail', text: error instanceof Error ? error.message : String(error), exitCode: 2 });
    return plan;
  }
}

/** The job's own options, as its run takes them: a removal applies no exclusions. */
function doctorOptions(job: Job): DoctorOptions {
  return { ...job.options, exclude: job.mode === 'remove' ? [] : job.options.exclude };
}
