// Picks the identifier columns: the ones named by --email-column/--maid-column/--idfa-column, else
// the first header matching a known alias (case, spaces, dashes and underscores ignored).
import { UsageError } from '../errors.js';
import type { IdentifierKind } from './normalise.js';

export type ListType = 'EMAIL' | 'MAID' | 'IDFA';

export interface ColumnFlags {
  emailColumn?: string;
  maidColumn?: string;
  idfaColumn?: string;
}

export interface IdentifierColumn {
  kind: IdentifierKind;
  /** Position in a CSV record (-1 for NDJSON, which looks fields up by name). */
  index: number;
  /** The header or key as written in the input. */
  name: string;
}

export interface ColumnPlan {
  columns: IdentifierColumn[];
  listType: ListType;
}

const aliases: Record<IdentifierKind, string[]> = {
  email: ['email', 'emailaddress', 'mail', 'emails', 'useremail', 'customeremail', 'primaryemail', 'hashedemail', 'emailsha256', 'emailhash', 'sha256email'],
  maid: ['maid', 'maids', 'gaid', 'aaid', 'adid', 'deviceid', 'mobileadid', 'mobileadvertisingid', 'advertisingid', 'googleadvertisingid', 'androidadvertisingid', 'androidid'],
  idfa: ['idfa', 'idfas', 'iosadid', 'iosadvertisingid', 'appleidfa', 'appleadvertisingid'],
};

const kinds: IdentifierKind[] = ['email', 'maid', 'idfa'];

export function aliasKey(header: string): string {
  return header.trim().toLowerCase().replace(/[\s_\-.]+/g, '');
}

/** Resolves the plan from the header names; throws a usage error naming the columns it saw. */
export function planColumns(headers: readonly string[], flags: ColumnFlags, byName = false): ColumnPlan {
  const named: Record<IdentifierKind, string | undefined> = {
    email: flags.emailColumn,
    maid: flags.maidColumn,
    idfa: flags.idfaColumn,
  };
  const anyNamed = kinds.some((kind) => named[kind] !== undefined);
  const columns: IdentifierColumn[] = [];
  for (const kind of kinds) {
    const index = anyNamed ? findNamed(headers, named[kind]) : findAlias(headers, kind, columns);
    if (anyNamed && named[kind] !== undefined && index === -1) {
      throw new UsageError(`No column "${named[kind]}" in the input (columns seen: ${listColumns(headers)}).`);
    }
    if (index !== -1) columns.push({ kind, index: byName ? -1 : index, name: headers[index]! });
  }
  if (columns.length === 0) {
    throw new UsageError(
      `No identifier column found (columns seen: ${listColumns(headers)}). Name one with --email-column, --maid-column or --idfa-column.`,
    );
  }
  return { columns, listType: listTypeOf(columns) };
}

function findNamed(headers: readonly string[], name: string | undefined): number {
  if (name === undefined) return -1;
  const exact = headers.findIndex((h) => h.trim() === name.trim());
  return exact !== -1 ? exact : headers.findIndex((h) => h.trim().toLowerCase() === name.trim().toLowerCase());
}

function findAlias(headers: readonly string[], kind: IdentifierKind, taken: IdentifierColumn[]): number {
  const wanted = aliases[kind];
  for (const alias of wanted) {
    const index = headers.findIndex((h, i) => aliasKey(h) === alias && !taken.some((c) => c.index === i));
    if (index !== -1) return index;
  }
  return -1;
}

function listTypeOf(columns: IdentifierColumn[]): ListType {
  if (columns.some((c) => c.kind === 'email')) return 'EMAIL';
  if (columns.some((c) => c.kind === 'maid')) return 'MAID';
  return 'IDFA';
}

/** Header names for a message; a cell that looks like an identifier (no header row?) is masked. */
function listColumns(headers: readonly string[]): string {
  if (headers.length === 0) return 'none';
  const shown = headers.slice(0, 20).map((h) => (looksLikeData(h) ? '(a value, not a name: is the header row missing?)' : JSON.stringify(h.trim().slice(0, 60))));
  return shown.join(', ') + (headers.length > 20 ? `, and ${headers.length - 20} more` : '');
}

function looksLikeData(cell: string): boolean {
  return cell.includes('@') || /[0-9a-f]{8}-?[0-9a-f]{4}/i.test(cell) || /\d{6,}/.test(cell);
}
