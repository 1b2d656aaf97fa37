// Finds the identifier fields of one NDJSON object. Objects of one stream differ (a Segment `track`
// event has no email, an `identify` event has one), so every object is searched: named fields by
// their dotted path (`traits.email`), else every top-level key by the same aliases as CSV headers.
// An --audience-column field is followed the same way (dotted path allowed) and read after them.
import { aliasKey, aliases, kinds, namedColumns, type AudienceColumn, type ColumnFlags, type IdentifierColumn } from './columns.js';
/** Keys remembered with their alias verdict; past this many (a stream with ever-new keys) they are recomputed. */
const MAX_REMEMBERED_KEYS = 4096;
const NOT_AN_ALIAS = -1;

export class FieldPicker {
  /** One column per kind read; `name` is the path given, or the first key found for that kind. */
  readonly columns: IdentifierColumn[];
  private readonly paths: Array<string[] | undefined>;
  /** With --audience-column: its value goes to values[columns.length]. */
  readonly audience: AudienceColumn | undefined;
  private readonly audiencePath: string[] | undefined;
  /** Fields were named with flags (else found by alias). */
  readonly named: boolean;
  private readonly keyVerdicts = new Map<string, number>();
  private readonly bestRank: number[] = kinds.map(() => Number.POSITIVE_INFINITY);
  private readonly bestValue: unknown[] = kinds.map(() => undefined);
  private readonly bestKey: string[] = kinds.map(() => '');

  constructor(flags: ColumnFlags) {
    const named = namedColumns(flags);
    this.named = kinds.some((kind) => named[kind] !== undefined);
    const read = this.named ? kinds.filter((kind) => named[kind] !== undefined) : kinds;
    this.columns = read.map((kind) => ({ kind, index: -1, name: named[kind]?.trim() ?? '' }));
    this.paths = this.columns.map((c) => (this.named ? c.name.split('.') : undefined));
    const audienceName = flags.audienceColumn?.trim();
    this.audience = audienceName ? { index: -1, name: audienceName } : undefined;
    this.audiencePath = audienceName?.split('.');
  }

  /** Fills `values` (one per column, '' when absent); returns a bit per column whose value is not empty. */
  pick(object: Record<string, unknown>, values: string[]): number {
    const found = this.named ? this.pickNamed(object, values) : this.pickByAlias(object, values);
    if (this.audience) values[this.columns.length] = fieldText(fieldAt(object, this.audience.name, this.audiencePath!));
    return found;
  }

  private pickNamed(object: Record<string, unknown>, values: string[]): number {
    let found = 0;
    for (let i = 0; i < this.columns.length; i++) {
      values[i] = fieldText(fieldAt(object, this.columns[i]!.name, this.paths[i]!));
      if (values[i]!.length > 0) found |= 1 << i;
    }
    return found;
  }

  private pickByAlias(object: Record<string, unknown>, values: string[]): number {
    this.bestRank.fill(Number.POSITIVE_INFINITY);
    for (const key in object) {
      const verdict = this.verdictOf(key);
      if (verdict === NOT_AN_ALIAS) continue;
      const kind = verdict & 3;
      const rank = verdict >> 2;
      const value = object[key];
      // An empty field does not hide a filled one of a less preferred alias (`email: null, Email Address: …`).
      if (rank < this.bestRank[kind]! && fieldText(value).length > 0) {
        this.bestRank[kind] = rank;
        this.bestValue[kind] = value;
        this.bestKey[kind] = key;
      }
    }
    let found = 0;
    for (let i = 0; i < kinds.length; i++) {
      if (this.bestRank[i] === Number.POSITIVE_INFINITY) {
        values[i] = '';
        continue;
      }
      values[i] = fieldText(this.bestValue[i]);
      this.columns[i]!.name ||= this.bestKey[i]!;
      found |= 1 << i;
    }
    return found;
  }

  /** The kind (low 2 bits: four kinds) and alias preference (the rest) of a key, or NOT_AN_ALIAS. */
  private verdictOf(key: string): number {
    const known = this.keyVerdicts.get(key);
    if (known !== undefined) return known;
    const verdict = aliasVerdict(key);
    if (this.keyVerdicts.size < MAX_REMEMBERED_KEYS) this.keyVerdicts.set(key, verdict);
    return verdict;
  }
}

function aliasVerdict(key: string): number {
  const wanted = aliasKey(key);
  for (let kind = 0; kind < kinds.length; kind++) {
    const rank = aliases[kinds[kind]!].indexOf(wanted);
    if (rank !== -1) return (rank << 2) | kind;
  }
  return NOT_AN_ALIAS;
}

/** A top-level key named exactly so (it may hold dots), else the dotted path. */
function fieldAt(object: Record<string, unknown>, name: string, path: string[]): unknown {
  return name in object ? object[name] : valueAt(object, path);
}

/** Follows a dotted path; a segment matches a key exactly, else ignoring case. */
function valueAt(object: Record<string, unknown>, path: string[]): unknown {
  let current: unknown = object;
  for (const segment of path) {
    if (current === null || typeof current !== 'object' || Array.isArray(current)) return undefined;
    const record = current as Record<string, unknown>;
    current = segment in record ? record[segment] : record[keyIgnoringCase(record, segment)];
  }
  return current;
}

function keyIgnoringCase(record: Record<string, unknown>, segment: string): string {
  const wanted = segment.toLowerCase();
  for (const key in record) if (key.toLowerCase() === wanted) return key;
  return segment;
}

export function fieldText(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return String(value);
  return '';
}
