// What a home's write budget left on disk (PINSYNC_HOME/state/budgets/*.db), for tests that read the
// grants as the budget made them rather than as a busy event loop reported them.
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';

/** The budget files of the state folder `stateDir`, one per token that wrote. */
export function budgetFiles(stateDir: string): string[] {
  const dir = path.join(stateDir, 'budgets');
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir).filter((name) => name.endsWith('.db')).map((name) => path.join(dir, name));
}

/** Grant times one budget file recorded (it keeps the last two seconds), in order. */
export function recordedGrants(file: string): number[] {
  const db = new Database(file, { readonly: true });
  try {
    return db.prepare<[], { at: number }>('SELECT at FROM grants ORDER BY at').all().map((row) => row.at);
  } finally {
    db.close();
  }
}

export function gaps(times: number[]): number[] {
  const sorted = [...times].sort((a, b) => a - b);
  return sorted.slice(1).map((time, i) => time - sorted[i]!);
}
