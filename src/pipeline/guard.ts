// The wrong-mapping guard: batches wait until the first rows (up to 1,000, or all of a smaller or
// slower input) are judged; when more than half have no valid identifier the run stops before any
// upload, naming the columns used. --force lets it through.
import { UsageError } from '../errors.js';
import { columnNames, type ColumnPlan } from './columns.js';

export const GUARD_WINDOW = 1000;

export class MappingGuard {
  private judged = 0;
  private unusable = 0;
  decided: boolean;

  constructor(private readonly force: boolean) {
    this.decided = force;
  }

  /** Counts one row; true when the window is full and a decision is due. */
  count(usable: boolean): boolean {
    if (this.decided) return false;
    this.judged++;
    if (!usable) this.unusable++;
    return this.judged >= GUARD_WINDOW;
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
    throw new UsageError(
      `${this.unusable} of the first ${this.judged} rows have no valid identifier in ${used}, so nothing was uploaded. ` +
        'Check the column with --email-column, --maid-column or --idfa-column, or pass --force to push anyway.',
    );
  }
}
