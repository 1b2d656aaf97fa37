// The list commands' table: aligned columns, numbers on the right, long names cut to the terminal.
import type { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { renderDetails, renderTable, stdoutTableOptions, type Column } from '../../src/report/table.js';

interface Row {
  id: string;
  name: string;
  size: string;
}
const columns: Column<Row>[] = [
  { header: 'ID', value: (r) => r.id },
  { header: 'NAME', value: (r) => r.name, shrink: true },
  { header: 'SIZE', value: (r) => r.size, align: 'right' },
];
const rows: Row[] = [
  { id: '1', name: 'Spring buyers', size: '—' },
  { id: '22', name: 'A much longer audience name than fits', size: '1,000' },
];

describe('renderTable', () => {
  it('aligns columns to their widest cell, numbers to the right, no colour codes by default', () => {
    expect(renderTable(rows, columns)).toBe(
      ['ID  NAME                                    SIZE', '1   Spring buyers                              —', '22  A much longer audience name than fits  1,000', ''].join('\n'),
    );
  });

  it('cuts shrinkable columns with an ellipsis to fit the terminal width', () => {
    const lines = renderTable(rows, columns, { width: 30 }).trimEnd().split('\n');
    for (const line of lines) expect([...line].length).toBeLessThanOrEqual(30);
    expect(lines[2]).toContain('…');
  });

  it('bolds the header only when colour is on, and strips control characters from data', () => {
    expect(renderTable(rows, columns, { color: true })).toMatch(/^\u001b\[1mID/);
    expect(renderTable([{ id: '1', name: 'evil\u001b[2Jname', size: '' }], columns)).not.toContain('\u001b');
  });
});

describe('renderDetails', () => {
  it('lines up the values after the longest label and keeps control characters out', () => {
    expect(renderDetails([['Audience', 'Spring (id 1)'], ['  Status', 'READY'], ['Description', 'x\u001b[2Jy']])).toBe(
      'Audience     Spring (id 1)\n  Status     READY\nDescription  x [2Jy\n',
    );
  });
});

describe('stdoutTableOptions', () => {
  const tty = (env: Record<string, string>) =>
    stdoutTableOptions({ stdout: { columns: 100 } as unknown as Writable, stdoutIsTTY: true, env });
  it('cuts to the terminal and bolds unless NO_COLOR or CI say otherwise (CI=0 is not CI)', () => {
    expect(tty({})).toEqual({ width: 100, color: true });
    expect(tty({ CI: 'true' }).color).toBe(false);
    expect(tty({ CI: '0' }).color).toBe(true);
    expect(tty({ NO_COLOR: '1' }).color).toBe(false);
  });
});
