// Match health in a run. Before its first write a run reads how Pinterest matched the list's previous
// finished run (the next run records it, so a daily sync keeps a history without waiting); with
// --wait-ready the run waits for its own upload to be matched and records that. A list that stays
// TOO_SMALL, or an audience that shrank by more than --warn-size-drop, is a warning. Reading health never
// fails a run: a failed read is a warning.
import type { Context } from '../context.js';
import { DEFAULT_SIZE_DROP_PERCENT, describeMatch, healthWarning, readHealth, waitUntilMatched, type HealthTarget, type PinterestHealth } from '../audiences/match-health.js';
import type { PinterestClient } from '../pinterest/client.js';
import type { RunReport } from '../report/run-report.js';
import type { HealthReading } from '../state/match-health.js';
import type { StateStore } from '../state/store.js';
import type { ListWriter } from '../send/upload.js';

/** --wait-ready without a duration waits this long at most. */
export const DEFAULT_WAIT_READY_MS = 30 * 60_000;

export interface HealthFlags {
  /** --wait-ready: true, or how long (ms) to wait for Pinterest to match this run's upload. */
  waitReady?: number | true;
  /** --warn-size-drop: percent the audience may shrink between readings before a warning (default 20). */
  warnSizeDrop?: number;
}

/** The audience as the run knows it; its list may appear during the run (--create). */
interface Target {
  adAccountId?: string;
  customerListId?: string;
  audienceId?: string;
  audienceName: string;
}

export class MatchHealth {
  private earlier: Promise<void> | undefined;

  constructor(
    private readonly ctx: Context,
    private readonly store: StateStore,
    private readonly client: PinterestClient,
    private readonly target: Target,
    private readonly flags: HealthFlags,
    /** This run's id in the history: the earlier run is one before it (this one may be finished by the time it is read). */
    private readonly runId: number | undefined,
  ) {}

  /** Reads and records the health of the list's last finished run without a reading, once. */
  readEarlier(): Promise<void> {
    this.earlier ??= this.readEarlierRun().catch((error: unknown) => this.couldNotRead(error));
    return this.earlier;
  }

  /** A writer that reads the earlier run's health before its first write (so the reading is Pinterest's, not this run's). */
  before(writer: ListWriter): ListWriter {
    return {
      send: async (records, deadline) => {
        await this.readEarlier();
        await writer.send(records, deadline);
      },
    };
  }

  /** The end of the run: with --wait-ready and a clean end, waits until Pinterest matched the upload and records it. */
  async finish(report: RunReport, exitCode: number): Promise<void> {
    await this.readEarlier();
    const { runId } = this;
    const target = this.healthTarget();
    if (this.flags.waitReady === undefined || runId === undefined || exitCode !== 0 || !target) return;
    const waitMs = this.flags.waitReady === true ? DEFAULT_WAIT_READY_MS : this.flags.waitReady;
    try {
      this.ctx.info(`Waiting for Pinterest to match the upload to audience "${target.audienceName}" (--wait-ready, at most ${waitMs < 60_000 ? `${Math.ceil(waitMs / 1000)} s` : `${Math.round(waitMs / 60_000)} min`})…`);
      const { health, matched } = await waitUntilMatched(this.client, target, { untilMs: this.ctx.now() + waitMs, now: this.ctx.now, signal: this.ctx.signal });
      const reading = this.record(runId, health, usersSyncedBy(report));
      this.ctx.info(`Audience "${target.audienceName}": ${describeMatch(reading)}${matched ? '' : `; Pinterest is still matching (list ${health.listStatus}): the next run records the final figures`}.`);
    } catch (error) {
      this.couldNotRead(error);
    }
  }

  private async readEarlierRun(): Promise<void> {
    const target = this.healthTarget();
    // A stopped run reads nothing more: the read would only fail on the stop signal.
    if (!target || this.ctx.signal.aborted) return;
    const earlier = this.store.health.latestUnchecked(target.adAccountId, target.customerListId, this.runId);
    if (!earlier) return;
    const report = earlier.reportJson ? (JSON.parse(earlier.reportJson) as RunReport) : undefined;
    this.record(earlier.runId, await readHealth(this.client, target), report ? usersSyncedBy(report) : null);
  }

  /** Stores a reading with its warning (said now), compared with the list's reading before it. */
  private record(runId: number, health: PinterestHealth, usersSynced: number | null): HealthReading {
    const target = this.healthTarget()!;
    const previous = this.store.health.previous(target.adAccountId, target.customerListId, runId);
    const reading: HealthReading = { checkedAt: this.ctx.now(), ...health, usersSynced, warning: null };
    reading.warning = healthWarning(target.audienceName, reading, previous, this.flags.warnSizeDrop ?? DEFAULT_SIZE_DROP_PERCENT) ?? null;
    this.store.health.record(runId, reading);
    if (reading.warning) this.ctx.warn(reading.warning);
    return reading;
  }

  private healthTarget(): HealthTarget | undefined {
    const { adAccountId, customerListId, audienceId, audienceName } = this.target;
    return adAccountId && customerListId ? { adAccountId, customerListId, audienceId, audienceName } : undefined;
  }

  private couldNotRead(error: unknown): void {
    this.ctx.warn(`Could not read the match health of audience "${this.target.audienceName}" (${(error as Error).message}); the run goes on.`);
  }
}

/** A sync leaves exactly its synced rows in the audience; a push only adds, so its users are not the audience's. */
function usersSyncedBy(report: RunReport): number | null {
  return report.operation === 'MIRROR' ? report.synced : null;
}
