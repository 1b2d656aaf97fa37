import { createHash } from 'node:crypto';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { listKey } from '../../src/state/snapshot.js';
import { openStateStore } from '../../src/state/store.js';
import { makeHome } from '../support/home.js';

const h = (value: string) => createHash('sha256').update(value).digest('hex');

async function stage(file: string, rows: string[][]) {
  const store = await openStateStore(file);
  const diff = store.snapshots.startDiff(listKey('549755885175', 'list-1'));
  rows.forEach((records, i) => diff.stageRow(i + 2, records.map(h)));
  return { store, diff };
}

describe('mirror snapshots', () => {
  it('adds everything and removes nothing on a first sync', async () => {
    const file = path.join(makeHome('pinsync-state-'), 'state.db');
    const { store, diff } = await stage(file, [['a'], ['b'], ['a'], ['c', 'd']]);
    expect(diff.diff()).toEqual({ snapshotSize: 0, inputSize: 4, added: 4, addedRows: 3, removed: 0, removedRows: 0, hasSnapshot: false });
    expect({ newRows: diff.newRows, duplicateRows: diff.duplicateRows }).toEqual({ newRows: 3, duplicateRows: 1 });
    expect([...diff.addedRows()].map((row) => ({ ...row, records: row.records.sort() }))).toEqual([
      { line: 2, records: [h('a')] },
      { line: 3, records: [h('b')] },
      { line: 5, records: [h('c'), h('d')].sort() },
    ]);
    diff.commitSnapshot(1, 1);
    diff.dispose();
    store.close();
  });

  it('sends only the difference from the last snapshot, then replaces it', async () => {
    const file = path.join(makeHome('pinsync-state-'), 'state.db');
    const first = await stage(file, [['a'], ['b'], ['c']]);
    first.diff.diff();
    first.diff.commitSnapshot(1, 1);
    first.store.close();

    const second = await stage(file, [['b'], ['c'], ['d'], ['e']]);
    expect(second.diff.diff()).toMatchObject({ snapshotSize: 3, added: 2, removed: 1, hasSnapshot: true });
    expect([...second.diff.addedRows()].map((row) => row.line)).toEqual([4, 5]);
    expect([...second.diff.removedRecords()]).toEqual([h('a')]);
    second.diff.commitSnapshot(2, 2);
    expect(second.store.snapshots.generation(listKey('549755885175', 'list-1'))).toMatchObject({ size: 4 });
    // The old generation is gone: the store holds one copy per list.
    expect((second.store.db.prepare('SELECT count(*) AS n FROM snapshot_members').get() as { n: number }).n).toBe(4);
    second.store.close();
  });

  it('leaves the snapshot untouched when a sync does not commit', async () => {
    const file = path.join(makeHome('pinsync-state-'), 'state.db');
    const first = await stage(file, [['a']]);
    first.diff.diff();
    first.diff.commitSnapshot(1, 1);
    first.store.close();
    const aborted = await stage(file, [['z']]);
    aborted.diff.diff();
    aborted.diff.dispose();
    aborted.store.close();
    const third = await stage(file, [['a'], ['b']]);
    expect(third.diff.diff()).toMatchObject({ added: 1, removed: 0 });
    third.store.close();
  });

  it('pages through large diffs in line order', async () => {
    const file = path.join(makeHome('pinsync-state-'), 'state.db');
    const rows = Array.from({ length: 12_000 }, (_, i) => [`user${i}`]);
    const { store, diff } = await stage(file, rows);
    expect(diff.diff().added).toBe(12_000);
    const lines = [...diff.addedRows()].map((row) => row.line);
    expect(lines).toHaveLength(12_000);
    expect(lines.every((line, i) => line === i + 2)).toBe(true);
    store.close();
  });
});

describe('records_v2 snapshots (one row per user)', () => {
  const row = (...ids: string[]) => ids.map((id) => `${id[0]}${h(id)}`).join('');
  async function stageRows(file: string, rows: string[]) {
    const store = await openStateStore(file);
    const diff = store.snapshots.startDiff(listKey('549755885175', 'list-2'));
    rows.forEach((record, i) => diff.stageRow(i + 2, [record]));
    return { store, diff };
  }

  it('sends a changed row again whole, and removes what no row holds any more grouped by its user', async () => {
    const file = path.join(makeHome(), 'state.db');
    const first = await stageRows(file, [row('Eann', 'P1'), row('Ebob', 'P2'), row('Ecat', 'P3')]);
    expect(first.diff.diff()).toMatchObject({ added: 6, addedRows: 3 });
    first.diff.commitSnapshot(1, 1);
    first.store.close();

    // Ann unchanged, Bob changed phone, Cat left, Dan joined.
    const second = await stageRows(file, [row('Eann', 'P1'), row('Ebob', 'P9'), row('Edan', 'P4')]);
    expect(second.diff.diff()).toMatchObject({ snapshotSize: 6, added: 4, addedRows: 2, removed: 3, removedRows: 2 });
    expect([...second.diff.addedRows()]).toEqual([
      { line: 3, records: [row('Ebob', 'P9')] },
      { line: 4, records: [row('Edan', 'P4')] },
    ]);
    expect([...second.diff.removedRecords()].sort()).toEqual([row('P2'), row('Ecat', 'P3')].sort());
    second.diff.commitSnapshot(2, 2);
    second.store.close();

    const third = await stageRows(file, [row('Eann', 'P1'), row('Ebob', 'P9'), row('Edan', 'P4')]);
    expect(third.diff.diff()).toMatchObject({ added: 0, removed: 0 });
    third.store.close();
  });
});
