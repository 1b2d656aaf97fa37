// A small table renderer for list commands: columns sized to their content, the widest column
// shrunk (with an ellipsis) to fit the terminal width, bold headers only on a colour terminal.

import { isTruthy, type Context } from '../context.js';

export interface Column<T> {
  header: string;
  value: (row: T) => string;
  /** Right-align (numbers). */
  align?: 'left' | 'right';
  /** May be cut with an ellipsis when the table is too wide (e.g. names). */
  shrink?: boolean;
}

export interface TableOptions {
  /** Terminal width; undefined (not a TTY) means never cut. */
  width?: number;
  /** Bold headers (a TTY without NO_COLOR). */
  color?: boolean;
}

const GAP = '  ';

export function renderTable<T>(rows: T[], columns: Column<T>[], options: TableOptions = {}): string {
  const cells = rows.map((row) => columns.map((column) => clean(column.value(row))));
  const widths = columns.map((column, i) => Math.max(textWidth(column.header), ...cells.map((line) => textWidth(line[i]!))));
  fitToWidth(widths, columns, options.width);
  const header = columns.map((column, i) => pad(column.header, widths[i]!, column.align)).join(GAP).trimEnd();
  const lines = [options.color ? `\u001b[1m${header}\u001b[22m` : header];
  for (const line of cells) {
    lines.push(columns.map((column, i) => pad(cut(line[i]!, widths[i]!), widths[i]!, column.align)).join(GAP).trimEnd());
  }
  return lines.join('\n') + '\n';
}

/** Shrink the shrinkable columns, widest first, until the table fits (never below 8 characters). */
function fitToWidth<T>(widths: number[], columns: Column<T>[], total: number | undefined): void {
  if (!total || total <= 0) return;
  const overall = () => widths.reduce((sum, w) => sum + w, 0) + GAP.length * (widths.length - 1);
  while (overall() > total) {
    let widest = -1;
    for (let i = 0; i < widths.length; i += 1) {
      if (columns[i]!.shrink && widths[i]! > 8 && (widest < 0 || widths[i]! > widths[widest]!)) widest = i;
    }
    if (widest < 0) return;
    widths[widest] = widths[widest]! - 1;
  }
}

/** One record as `Label  value` lines, labels padded to one width (`audiences show`, `status`). */
export function renderDetails(rows: Array<[label: string, value: string]>): string {
  const width = Math.max(...rows.map(([label]) => textWidth(label)));
  return rows.map(([label, value]) => `${pad(label, width)}${GAP}${clean(value)}`.trimEnd()).join('\n') + '\n';
}

/** Control characters from API data (or a file name) must not reach the terminal. */
export function clean(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f-\u009f]/g, ' ');
}

function textWidth(text: string): number {
  return [...text].length;
}

function cut(text: string, width: number): string {
  const chars = [...text];
  return chars.length <= width ? text : chars.slice(0, Math.max(0, width - 1)).join('') + '…';
}

function pad(text: string, width: number, align: 'left' | 'right' = 'left'): string {
  const space = ' '.repeat(Math.max(0, width - textWidth(text)));
  return align === 'right' ? space + text : text + space;
}

/** Width and colour for a table on the command's stdout: cut to the terminal, plain when piped or NO_COLOR. */
export function stdoutTableOptions(ctx: Pick<Context, 'stdout' | 'stdoutIsTTY' | 'env'>): TableOptions {
  if (!ctx.stdoutIsTTY) return {};
  const columns = (ctx.stdout as { columns?: number }).columns;
  // The same rule as ctx.color (which is about stderr), applied to stdout.
  const plain = Boolean(ctx.env.NO_COLOR) || isTruthy(ctx.env.CI);
  return { width: columns && columns > 20 ? columns : undefined, color: !plain };
}
