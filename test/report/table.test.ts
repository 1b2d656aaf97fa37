// The list commands' table: aligned columns, numbers on the right, long names cut to the terminal.
import { describe, expect, it } from 'vitest';
import { renderTable, type Column } from '../../src/report/table.js';

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
