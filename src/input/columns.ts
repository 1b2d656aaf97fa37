// Picks the identifier columns: the ones named by --email-column/--maid-column/--idfa-column/
// --phone-column, else the first header matching a known alias (case, spaces, dashes and underscores
// ignored). With --audience-column, also the column naming each row's audience (read after the
// identifiers). Decides how rows travel: as `records` (one string of identifiers), or as API 5.28
// `records_v2` rows (one per user, every identifier of the row in it) when there is a phone column or
// `--rows v2` asks for it: phones travel only in records_v2 rows.
import { UsageError } from '../errors.js';

/** The kinds of identifier a column can hold. */
export type IdentifierKind = 'email' | 'maid' | 'idfa' | 'phone';

export type ListType = 'EMAIL' | 'MAID' | 'IDFA';

/** `--rows`: `v1` the `records` string, `v2` one records_v2 row per user (API 5.28). */
export type RowFormat = 'v1' | 'v2';

export interface ColumnFlags {
  emailColumn?: string;
  maidColumn?: string;
  idfaColumn?: string;
  phoneColumn?: string;
  /** --rows v2: records_v2 rows even without a phone column (v1 with a phone column is refused). */
  rows?: RowFormat;
  /** --audience-column: each row names its audience here (push/sync fan-out). */
  audienceColumn?: string;
  /**
   * Read every column whose header is an identifier alias, several of one kind too (exclusion lists:
   * `email` blank and `hashed_email` filled must exclude by the hashed one; more is never less safe).
   */
  everyAliasColumn?: boolean;
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
  /** Each row goes as one records_v2 row holding all its identifiers (API 5.28), not into `records` (absent: false). */
  recordsV2?: boolean;
  /** With --audience-column: where each row's audience is; its value comes after the identifiers' (values[columns.length]). */
  audience?: AudienceColumn;
}

export interface AudienceColumn {
  /** Position in a CSV record (-1 for NDJSON, which follows the dotted path `name`). */
  index: number;
  name: string;
}

/** Header spellings (after aliasKey) taken for each kind, most preferred first. */
export const aliases: Record<IdentifierKind, string[]> = {
  email: ['email', 'emailaddress', 'mail', 'emails', 'useremail', 'customeremail', 'primaryemail', 'hashedemail', 'emailsha256', 'emailhash', 'sha256email'],
  maid: ['maid', 'maids', 'gaid', 'aaid', 'adid', 'deviceid', 'mobileadid', 'mobileadvertisingid', 'advertisingid', 'googleadvertisingid', 'androidadvertisingid', 'androidid'],
  idfa: ['idfa', 'idfas', 'iosadid', 'iosadvertisingid', 'appleidfa', 'appleadvertisingid'],
  phone: ['phone', 'phonenumber', 'mobile', 'mobilephone', 'mobilenumber', 'mobilephonenumber', 'cell', 'cellphone', 'telephone', 'tel', 'msisdn', 'phonee164', 'e164', 'hashedphone', 'hashedphonenumber', 'phonesha256', 'phonehash', 'sha256phone'],
};

/** In plan order: a row's identifiers (and a records_v2 row's fields) always come in this order. */
export const kinds: readonly IdentifierKind[] = ['email', 'maid', 'idfa', 'phone'];

export function aliasKey(header: string): string {
  return header.trim().toLowerCase().replace(/[\s_\-.]+/g, '');
}

/** Resolves the plan from the header names; throws a usage error naming the columns it saw. */
export function planColumns(headers: readonly string[], flags: ColumnFlags, byName = false): ColumnPlan {
  const named = namedColumns(flags);
  const anyNamed = kinds.some((kind) => named[kind] !== undefined);
  const columns: IdentifierColumn[] = flags.everyAliasColumn && !anyNamed ? everyAliasColumn(headers, byName) : [];
  for (const kind of flags.everyAliasColumn && !anyNamed ? [] : kinds) {
    const index = anyNamed ? findNamed(headers, kind, named[kind]) : findAlias(headers, kind, columns);
    if (anyNamed && named[kind] !== undefined && index === -1) {
      throw new UsageError(`No column "${named[kind]}" in the input (columns seen: ${listColumns(headers)}).`);
    }
    if (index !== -1) columns.push({ kind, index: byName ? -1 : index, name: headers[index]! });
  }
  if (columns.length === 0) {
    throw new UsageError(`No identifier column found (columns seen: ${listColumns(headers)}). ${NAME_ONE}`);
  }
  const plan: ColumnPlan = { columns, listType: listTypeOf(columns), recordsV2: recordsV2Of(columns, flags.rows) };
  if (flags.audienceColumn !== undefined) plan.audience = audienceColumnOf(headers, flags.audienceColumn, byName, columns);
  return plan;
}

/** The --audience-column header: exact, else ignoring case; a missing one is a usage error, an identifier column too. */
function audienceColumnOf(headers: readonly string[], name: string, byName: boolean, columns: readonly IdentifierColumn[]): AudienceColumn {
  const index = findNamed(headers, 'audience', name);
  if (index === -1) throw new UsageError(`No column "${name.trim()}" in the input for --audience-column (columns seen: ${listColumns(headers)}).`);
  if (columns.some((column) => column.index === index)) throw identifierAsAudienceColumn(name);
  return { index: byName ? -1 : index, name: headers[index]!.trim() };
}

/**
 * Whether a column named so holds identifiers: an identifier alias (`email`, `E-Mail`, `maid` …, also
 * as the last part of a dotted path), or a column named by --email-column, --maid-column, --idfa-column or --phone-column.
 */
export function isIdentifierColumnName(name: string, flags: ColumnFlags): boolean {
  const isAlias = (text: string) => kinds.some((kind) => aliases[kind].includes(aliasKey(text)));
  const last = name.trim().split('.').pop() ?? '';
  const named = Object.values(namedColumns(flags)).some((column) => column !== undefined && column.trim().toLowerCase() === name.trim().toLowerCase());
  return isAlias(name) || isAlias(last) || named;
}

/** --audience-column naming an identifier column (exit 2). */
export function identifierAsAudienceColumn(name: string): UsageError {
  return new UsageError(
    `--audience-column ${name.trim()} is an identifier column: a raw identifier must never become an audience name. Name the column that holds each row's audience (segment) names.`,
  );
}

/** How a usage error asks for an identifier column. */
export const NAME_ONE = 'Name one with --email-column, --maid-column, --idfa-column or --phone-column.';

export function namedColumns(flags: ColumnFlags): Record<IdentifierKind, string | undefined> {
  return { email: flags.emailColumn, maid: flags.maidColumn, idfa: flags.idfaColumn, phone: flags.phoneColumn };
}

/** records_v2 rows with a phone column (phones go nowhere else) or when --rows v2 asks; `--rows v1` with phones is refused. */
export function recordsV2Of(columns: readonly { kind: IdentifierKind }[], rows: RowFormat | undefined): boolean {
  const phones = columns.some((c) => c.kind === 'phone');
  if (phones && rows === 'v1') {
    throw new UsageError('--rows v1 cannot carry phone numbers: Pinterest takes them only in records_v2 rows. Drop --rows v1, or the phone column.');
  }
  return phones || rows === 'v2';
}

function findNamed(headers: readonly string[], kind: IdentifierKind | 'audience', name: string | undefined): number {
  if (name === undefined) return -1;
  const wanted = name.trim();
  const exact = positionsOf(headers, (h) => h.trim() === wanted);
  const matches = exact.length > 0 ? exact : positionsOf(headers, (h) => h.trim().toLowerCase() === wanted.toLowerCase());
  if (matches.length > 1) {
    throw new UsageError(`${describeTwins(headers, matches)} both match --${kind}-column "${wanted}": rename one in the header so pinsync knows which to read.`);
  }
  return matches.length === 1 ? matches[0]! : -1;
}

/** Every header that is an identifier alias, in header order, with its kind. */
function everyAliasColumn(headers: readonly string[], byName: boolean): IdentifierColumn[] {
  const columns: IdentifierColumn[] = [];
  headers.forEach((header, index) => {
    const kind = kinds.find((k) => aliases[k].includes(aliasKey(header)));
    if (kind) columns.push({ kind, index: byName ? -1 : index, name: header });
  });
  return columns;
}

/** The first alias (in order of preference) some header carries; two headers with that name are ambiguous. */
function findAlias(headers: readonly string[], kind: IdentifierKind, taken: IdentifierColumn[]): number {
  for (const alias of aliases[kind]) {
    const matches = positionsOf(headers, (h, i) => aliasKey(h) === alias && !taken.some((c) => c.index === i));
    if (matches.length > 1) {
      throw new UsageError(`${describeTwins(headers, matches)} could both be the ${kind} column: name the one to use with --${kind}-column.`);
    }
    if (matches.length === 1) return matches[0]!;
  }
  return -1;
}

function positionsOf(headers: readonly string[], test: (header: string, index: number) => boolean): number[] {
  const positions: number[] = [];
  headers.forEach((h, i) => test(h, i) && positions.push(i));
  return positions;
}

function describeTwins(headers: readonly string[], positions: number[]): string {
  const [a, b] = positions.map((i) => `${i + 1} (${JSON.stringify(headers[i]!.trim())})`);
  return `Columns ${a} and ${b}`;
}

/** The columns read, by kind, for reports (an NDJSON kind no object held has no name and is left out). */
export function columnNames(plan: ColumnPlan | undefined): Record<string, string> {
  const found = (plan?.columns ?? []).filter((c) => c.name.trim().length > 0);
  return Object.fromEntries(found.map((c) => [c.kind, c.name.trim()]));
}

/** EMAIL with an email column, else MAID, else IDFA; a phone-only file makes an EMAIL list (Pinterest's default list_type). */
export function listTypeOf(columns: readonly { kind: IdentifierKind }[]): ListType {
  if (columns.some((c) => c.kind === 'email')) return 'EMAIL';
  if (columns.some((c) => c.kind === 'maid')) return 'MAID';
  if (columns.some((c) => c.kind === 'idfa')) return 'IDFA';
  return 'EMAIL';
}

/** Header names for a message: only cells that look like column names; the rest may be a user's data. */
export function listColumns(headers: readonly string[]): string {
  if (headers.length === 0) return 'none';
  const shown = headers.slice(0, 20).filter(looksLikeColumnName).map((h) => JSON.stringify(h.trim().slice(0, 60)));
  const hidden = headers.length - shown.length - Math.max(0, headers.length - 20);
  const parts = [...shown];
  if (hidden > 0) parts.push(`plus ${hidden} not shown as they look like values, not names: is the header row missing?`);
  if (headers.length > 20) parts.push(`and ${headers.length - 20} more`);
  return parts.join(', ');
}

/** Words column names are made of; a cell of other words ("Jane", "Doe") may be a person's data. */
const nameWords = new Set(
  ('id key uid uuid user users customer customers client contact member account person profile subscriber lead ' +
    'name names first last middle full given family sur surname display nick nickname title ' +
    'email emails mail address addr street city town state region province country zip postal postcode code ' +
    'phone mobile cell tel telephone fax number num no nr ' +
    'birth birthday birthdate dob date day month year time created updated modified deleted signup joined at on ' +
    'age gender sex language locale lang timezone tz currency ' +
    'status type kind segment list group tag tags source channel campaign consent optin optout opt in out subscribed ' +
    'value score total amount count price revenue orders order purchase seen ' +
    'hashed hash sha sha256 md5 sha1 device ad ads advertising mobile maid gaid aaid adid idfa idfv ios android google apple ' +
    'external internal crm company organisation organization org job role website url notes note comment comments')
    .split(' '),
);

function looksLikeColumnName(cell: string): boolean {
  const trimmed = cell.trim();
  if (trimmed.length === 0 || trimmed.length > 60) return false;
  if (Object.values(aliases).some((list) => list.includes(aliasKey(trimmed)))) return true;
  const words = trimmed
    .replace(/([a-z])([A-Z])/g, '$1 $2')
    .toLowerCase()
    .split(/[\s_\-.:#/()]+/)
    .filter((w) => w.length > 0);
  return words.some((w) => nameWords.has(w)) && words.every((w) => nameWords.has(w) || /^\d{1,2}$/.test(w));
}
