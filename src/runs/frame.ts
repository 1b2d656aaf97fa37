// What every push and sync opens before it reads a row, in the order that keeps "exit 2 means nothing
// was sent" true: output paths checked, the input opened, the exclusion files loading in the
// background and the rejects file (open); then the client, the ad account (resolved once for the whole
// run) and the state store (connect: a phase a stop signal may cut short); and what closes them all
// again, whatever happened.
import { setMaxListeners } from 'node:events';
import type { Context } from '../context.js';
import { missingFlag } from '../errors.js';
import { AudienceDirectory } from '../audiences/directory.js';
import type { Exclusions } from '../identify/exclusions.js';
import { startLoadingExclusions } from '../identify/exclusion-loader.js';
import { openInput, type InputSource } from '../input/source.js';
import type { PinterestClient } from '../pinterest/client.js';
import { knownAdAccount } from '../pinterest/lookups.js';
import { columnNames, type ColumnPlan } from '../input/columns.js';
import { checkOutputPaths, inputPathsOf, outputPathsOf } from '../report/output-file.js';
import type { Progress } from '../report/progress.js';
import { RejectsFile } from '../report/rejects.js';
import { Tally } from '../send/tally.js';
import { tidyState } from '../state/retention.js';
import { openStateStore, type StateStore } from '../state/store.js';
import type { InputOptions } from './options.js';
import type { AudienceParts, RunParts } from './report.js';
import type { RunSettings } from './settings.js';
import { readingOf, type Reading } from './reading.js';

export interface FrameOptions {
  /** The client, or none for a dry run that checks the file locally. */
  connect(): Promise<PinterestClient | undefined>;
  /** Whether the frame opens the state store for this client (push: its journals; sync: every mirror's diff). */
  keepsState(client: PinterestClient | undefined): boolean;
  /** The run records history and snapshots (not a dry run): the state is tidied once it closes. */
  durable: boolean;
}

export class RunFrame {
  /** Rows that reach no audience (--audience-column: an empty value, a malformed row). */
  readonly unrouted: Tally;
  progress: Progress | undefined;
  /** Set by connect(); none for a dry run that checks the file locally, or a run stopped while connecting. */
  client: PinterestClient | undefined;
  store: StateStore | undefined;
  private tidiesState = false;

  private constructor(
    readonly ctx: Context,
    readonly startedAt: number,
    /** What each row is read for: its identifier columns, row format and phone country (checked). */
    readonly reading: Reading,
    readonly source: InputSource,
    /** Awaited with exclusionsReady() once the audience is known. */
    readonly loadingExclusions: Promise<Exclusions>,
    /** --ad-account or the profile default; unknown only in a dry run without credentials. */
    readonly adAccountId: string | undefined,
    readonly rejects: RejectsFile | undefined,
  ) {
    this.unrouted = new Tally(rejects);
  }

  /** What every report of this run reads off the frame: when it ran, its input, how its rows were read. */
  reportParts(plan: ColumnPlan | undefined): Pick<AudienceParts, 'startedAt' | 'finishedAt' | 'listType' | 'recordsV2' | 'input' | 'columns'> {
    return {
      startedAt: this.startedAt,
      finishedAt: this.ctx.now(),
      listType: plan?.listType,
      recordsV2: plan?.recordsV2,
      input: this.source.name,
      columns: columnNames(plan),
    };
  }

  /** The run-wide part of the run's own report: the account, the rows that reached no audience, the client's counters. */
  runParts(plan: ColumnPlan | undefined): Omit<RunParts, 'routing' | 'command' | 'operation' | 'dryRun'> {
    const { requests, retries, rateLimited } = this.client?.stats ?? { requests: 0, retries: 0, rateLimited: 0 };
    return {
      ...this.reportParts(plan),
      adAccountId: this.adAccountId,
      counts: this.unrouted.counts(),
      requests: { requests, retries, rateLimited },
      client: this.client,
      stop: this.ctx.signal,
    };
  }

  /**
   * What a run opens on this machine: output paths checked (against every input of the run), the
   * input, the exclusion files loading. A removal reads no exclusion list (`readsExclusions: false`):
   * exclusions hold back additions only; its lists are still never overwritten.
   */
  static async open(
    ctx: Context,
    input: string,
    options: InputOptions & { adAccount?: string },
    settings: RunSettings,
    { readsExclusions = true }: { readsExclusions?: boolean } = {},
  ): Promise<RunFrame> {
    const startedAt = ctx.now();
    const reading = readingOf(options);
    // Every request in flight, across every audience, listens to the stop signal: dozens at once are expected.
    setMaxListeners(0, ctx.signal);
    checkOutputPaths(inputPathsOf(input, options.exclude), outputPathsOf(options));
    const adAccountId = knownAdAccount(options.adAccount, ctx.config.profile(ctx.profile).adAccountId);
    // What can fail opens first, the exclusion loading (perhaps a worker) starts last: a failure leaves nothing open.
    const rejects = options.rejects ? new RejectsFile(options.rejects) : undefined;
    let source: InputSource;
    try {
      source = await openInput(input, ctx.stdin, options.format);
    } catch (error) {
      rejects?.close();
      throw error;
    }
    const forced = ctx.env.PINSYNC_EXCLUSION_WORKER;
    if (!readsExclusions && options.exclude?.length) {
      ctx.info('Exclusions hold back additions only: this removal removes the users of the exclusion lists like any other.');
    }
    const loadingExclusions = startLoadingExclusions(readsExclusions ? options.exclude : [], {
      delimiter: settings.delimiter,
      phoneCountry: reading.phoneCountry,
      onWorker: forced === undefined ? undefined : forced === '1',
    });
    loadingExclusions.catch(() => {}); // a run that stops before awaiting it says nothing of it
    return new RunFrame(ctx, startedAt, reading, source, loadingExclusions, adAccountId, rejects);
  }

  /** The client (credentials resolved, perhaps renewed) and the state store; close() closes them. */
  async connect(how: FrameOptions): Promise<void> {
    this.client = await how.connect();
    if (this.client && !this.adAccountId) throw missingFlag('--ad-account', 'ad account');
    if (how.keepsState(this.client)) this.store = await openStateStore(this.ctx.paths.stateFile);
    this.tidiesState = how.durable && this.client !== undefined;
  }

  /** The ad account's audiences and lists, listed once for the run (none without a client). */
  get directory(): AudienceDirectory | undefined {
    if (!this.client || !this.adAccountId) return undefined;
    this.audienceDirectory ??= new AudienceDirectory(this.client, this.adAccountId);
    return this.audienceDirectory;
  }

  private audienceDirectory: AudienceDirectory | undefined;

  async close(): Promise<void> {
    this.progress?.stop();
    this.rejects?.close();
    this.source.close();
    this.store?.close();
    await this.client?.close();
    // History pruned and state.db compacted when it pays, once every connection is closed; not after Ctrl-C (stop within 5 s).
    if (this.tidiesState && !this.ctx.signal.aborted) await tidyState(this.ctx);
  }
}
