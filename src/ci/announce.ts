// The end of a push, sync or run told to everyone who watches it, in one place: the GitHub Actions
// summary, outputs and annotation (only when GITHUB_ACTIONS=true), the notifications (--notify), the
// ping (--ping: its start when the run starts) and the metrics file (--metrics-file). The command runs
// its work inside announceRunEnd; whatever ends it — a result, or an error before or after one — is
// announced, then the exit code is returned or the error thrown on, so stdout (--json) stays untouched.
import type { Context } from '../context.js';
import { ExitCode } from '../errors.js';
import { stateProblem } from '../state/database.js';
import type { AnnounceOptions } from './announce-options.js';
import { endedByError, endedWithError, exitCodeOfError, type EndedRun, type RunCommand } from './ended-run.js';
import { inGitHubActions, tellGitHubActions } from './github-actions.js';
import { writeMetricsFile } from './metrics-file.js';
import { notifications, notificationText, Ping, postAll } from './webhooks.js';

/** Handed to the command's work: more settings (a jobs file's), and the run's end once it has one. */
export interface Announcement {
  /** Adds settings found once the work began (a jobs file's `notify:`, `ping:`…); a new ping starts now. */
  include(options: AnnounceOptions): void;
  /** The run's end as its result says it; an error thrown after this keeps its table and counts. */
  ended(ended: EndedRun): void;
}

export async function announceRunEnd(
  ctx: Context,
  command: RunCommand,
  options: AnnounceOptions,
  work: (announcement: Announcement) => Promise<number>,
  dryRun = false,
): Promise<number> {
  const announcer = new Announcer(ctx, dryRun);
  let exitCode: number;
  try {
    announcer.include(options);
    exitCode = await work(announcer);
  } catch (thrown) {
    const error = stateProblem(thrown, ctx.paths) ?? thrown;
    const ended = announcer.result ? endedWithError(announcer.result, error) : endedByError(command, error, dryRun);
    await announcer.announce(ended, exitCodeOfError(error));
    throw error;
  }
  // Announced once, outside the try: a notification that fails is a warning, never a second announcement.
  await announcer.announce(announcer.result ?? endedByError(command, new Error('the run ended without a result')), exitCode);
  return exitCode;
}

class Announcer implements Announcement {
  result: EndedRun | undefined;
  private readonly options: Required<Pick<AnnounceOptions, 'notify'>> & AnnounceOptions = { notify: [] };
  private ping: Ping | undefined;

  constructor(
    private readonly ctx: Context,
    private readonly dryRun: boolean,
  ) {}

  include(options: AnnounceOptions): void {
    this.options.notify = [...new Set([...this.options.notify, ...(options.notify ?? [])])];
    this.options.notifyOn ??= options.notifyOn;
    this.options.metricsFile ??= options.metricsFile;
    if (options.ping && !this.ping) {
      this.ping = new Ping(this.ctx, options.ping);
      this.ping.start();
    }
  }

  ended(ended: EndedRun): void {
    this.result = ended;
  }

  async announce(ended: EndedRun, exitCode: number): Promise<void> {
    const final = ended.exitCode === exitCode ? ended : { ...ended, exitCode };
    const { ctx, options } = this;
    if (inGitHubActions(ctx.env)) tellGitHubActions(ctx, final);
    if (options.metricsFile && !final.dryRun && !this.dryRun) this.writeMetrics(options.metricsFile, final);
    const notify = options.notifyOn === 'always' || final.exitCode !== ExitCode.ok ? options.notify : [];
    try {
      await Promise.all([postAll(ctx, notifications(notify, final, ctx.env)), this.ping?.end(final, notificationText(final, ctx.env))]);
    } catch (error) {
      ctx.warn(`Could not send the run's notifications (${(error as { code?: string }).code ?? 'error'}); the run's own result stands.`);
    }
  }

  private writeMetrics(file: string, ended: EndedRun): void {
    try {
      writeMetricsFile(file, ended, this.ctx.now());
    } catch (error) {
      this.ctx.warn(`Could not write the metrics file ${file} (${(error as NodeJS.ErrnoException).code ?? 'error'}); the run's own result stands.`);
    }
  }
}

export { endedJobsOf, endedRunOf } from './ended-run.js';
export type { AnnounceOptions } from './announce-options.js';
