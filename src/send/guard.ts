// The wrong-mapping guard: batches wait until the first rows (up to 1,000, or all of a smaller or
// slower input; a sync judges its whole file) are judged; when more than half have no valid
// identifier the run stops before any upload, naming the columns used. Only its own flag lifts it.
import { UsageError } from '../errors.js';
import { columnNames, type ColumnPlan } from '../input/columns.js';

export const GUARD_WINDOW = 1000;

export interface GuardOptions {
  /** The flag that lifts the guard, named in its message (push: --force, sync: --allow-missing-identifiers). */
  liftFlag?: string;
  /** What the run does, for "pass FLAG to push anyway". */
  verb?: string;
  /** Rows judged before the decision; Infinity judges every row (a sync sends nothing before the end). */
  window?: number;
}

export class MappingGuard {
  private judged = 0;
  private unusable = 0;
  decided: boolean;
  private readonly window: number;

  constructor(
    lifted: boolean,
    private readonly options: GuardOptions = {},
  ) {
    this.decided = lifted;
    this.window = options.window ?? GUARD_WINDOW;
  }

  /** Counts one row; true when the window is full and a decision is due. */
  count(usable: boolean): boolean {
    if (this.decided) return false;
    this.judged++;
    if (!usable) this.unusable++;
    return this.judged >= this.window;
  }

  /** Throws when the mapping looks wrong; afterwards batches may go out. */
  decide(plan: ColumnPlan | undefined): void {
    if (this.decided) return;
    this.decided = true;
    if (!plan || this.unusable * 2 <= this.judged) return;
    const used =
      Object.entries(columnNames(plan))
        .map(([kind, name]) => `"${name}" (read as ${kind === 'email' ? 'email addresses' : kind === 'maid' ? 'mobile ad ids' : 'IDFAs'})`)
        .join(' and ') || 'any identifier field';
    const rows = this.window === Infinity ? `the ${this.judged} rows` : `the first ${this.judged} rows`;
    throw new UsageError(
      `${this.unusable} of ${rows} have no valid identifier in ${used}, so nothing was uploaded. ` +
        `Check the column with --email-column, --maid-column or --idfa-column, or pass ${this.options.liftFlag ?? '--force'} to ${this.options.verb ?? 'push'} anyway.`,
    );
  }
}
