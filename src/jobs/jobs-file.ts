// Reads a jobs file (`pinsync run jobs.yaml [JOB...]`) into a typed list of jobs ready to run, or
// stops with one UsageError (exit 2) naming file:line and key before any job starts. YAML is parsed
// by `yaml` (it keeps source positions), shapes are checked by the zod schema in jobs-schema.ts.
import fs from 'node:fs';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { LineCounter, parseDocument, type Document } from 'yaml';
import type { z } from 'zod';
import { webhookUrlProblem, type AnnounceOptions } from '../ci/announce-options.js';
import type { Env } from '../context.js';
import { durationToMs } from '../duration.js';
import { registerSecret } from '../redact.js';
import type { PushOptions } from '../runs/options.js';
import { UsageError } from '../errors.js';
import { jobsFileSchema, type JobEntry, type JobsFileEntry } from './jobs-schema.js';

export type JobMode = 'push' | 'remove' | 'sync';

/** Where a job's rows come from: a file (absolute path) or a shell command run in the jobs file's folder. */
export type JobInput = { kind: 'file'; file: string } | { kind: 'command'; command: string; cwd: string };

/** Push flags a job may set: all but those the whole run decides (--json, --progress, --rate) and --remove (mode: remove). */
type JobPushFlags = Omit<PushOptions, 'json' | 'progress' | 'rate' | 'remove'>;

/** A job's flags under push/sync option names (PushOptions, SyncOptions), paths made absolute. */
export interface JobOptions extends Partial<JobPushFlags> {
  /** Column naming each row's audience (instead of audience). */
  audienceColumn?: string;
  /** Sync only: default 20 (percent), as on the command line. */
  maxRemove?: number;
  /** mode: remove. */
  remove?: true;
  /** The file's top-level `exclude` followed by the job's own, absolute, without repeats. */
  exclude: string[];
}

export interface Job {
  name: string;
  mode: JobMode;
  /** Line of the job in the jobs file, for messages. */
  line: number;
  input: JobInput;
  options: JobOptions;
}

export interface JobsPlan {
  /** The jobs file, absolute; "-" when it was read from standard input. */
  file: string;
  /** Write requests per second shared by all jobs, when the file sets `rate`. */
  rate?: number;
  /** The selected jobs (all when none were named), in file order. */
  jobs: Job[];
  /** `notify:`, `notify_on:`, `ping:`, `metrics_file:` (URLs with their `${VAR}`s read, the file's path absolute). */
  announce: AnnounceOptions;
}

const DEFAULT_MAX_REMOVE = 20;

/**
 * Reads, validates and selects; `selected` are job names from the command line (none: every job).
 * `-` reads the jobs file from `stdin`. A jobs file that is not a regular file in a folder of its own
 * (`-`, /dev/stdin, a pipe such as `<(…)`) has no folder to speak of: its paths are relative to the
 * current folder, and its commands run there. `env` fills the `${VAR}`s of webhook URLs (a secret
 * belongs in the CI's secret store, not in the file).
 */
export async function loadJobsFile(file: string, selected: readonly string[] = [], stdin?: Readable, env: Env = {}): Promise<JobsPlan> {
  // This process's own standard input may be a socket, which cannot be opened by its name.
  if (file === '-' || OWN_STDIN.test(file)) return planJobs(await readStdin(stdin), '-', selected, path.resolve(), env);
  const absolute = path.resolve(file);
  return planJobs(await readJobsText(absolute), absolute, selected, streamed(absolute) ? path.resolve() : path.dirname(absolute), env);
}

/** The same from text already read (`file` names the file in messages; relative paths start at `folder`). */
function planJobs(text: string, file: string, selected: readonly string[] = [], folder = path.dirname(file), env: Env = {}): JobsPlan {
  const source = new JobsSource(text, file, folder);
  const entry = source.validated();
  const problems = new Problems(source);
  const sharedExclude = existingFiles(entry.exclude ?? [], ['exclude'], source, problems);
  const jobs = entry.jobs.map((job, index) => toJob(job, index, entry, sharedExclude, source, problems));
  checkUniqueNames(entry.jobs, problems);
  const announce = announceOptions(entry, source.folder, env, problems);
  problems.throwFirst();
  return { file, rate: entry.rate, jobs: selectJobs(jobs, selected, file), announce };
}

function announceOptions(entry: JobsFileEntry, folder: string, env: Env, problems: Problems): AnnounceOptions {
  const urls = entry.notify ?? [];
  const notify = urls.map((url, i) => webhookOf(url, urls.length === 1 ? ['notify'] : ['notify', i], env, problems));
  return withoutUndefined({
    notify,
    notifyOn: entry.notify_on,
    ping: entry.ping === undefined ? undefined : webhookOf(entry.ping, ['ping'], env, problems),
    metricsFile: entry.metrics_file === undefined ? undefined : path.resolve(folder, entry.metrics_file),
  });
}

/** A webhook URL with its `${VAR}`s read from the environment, checked; registered as a secret. */
function webhookOf(value: string, keyPath: KeyPath, env: Env, problems: Problems): string {
  const unset: string[] = [];
  const url = value.replace(/\$\{(\w+)\}/g, (_whole, name: string) => env[name] ?? (unset.push(name), ''));
  registerSecret(url);
  if (unset.length > 0) {
    problems.add(keyPath, `names the environment variable ${unset.join(', ')}, which is not set`);
    return url;
  }
  const problem = webhookUrlProblem(url);
  if (problem) problems.add(keyPath, problem);
  return url;
}

/** Names of this process's standard input. */
const OWN_STDIN = /^\/(?:dev\/stdin|dev\/fd\/0|proc\/self\/fd\/0)$/;

/** /dev/stdin, /dev/fd/N, /proc/self/fd/N or anything that is not a regular file (a FIFO): read once, from no folder. */
function streamed(file: string): boolean {
  if (/^\/(dev|proc)\//.test(file)) return true;
  const stat = fs.statSync(file, { throwIfNoEntry: false });
  return stat !== undefined && !stat.isFile() && !stat.isDirectory();
}

async function readStdin(stdin: Readable | undefined): Promise<string> {
  if (!stdin) throw new UsageError('No jobs file on standard input.');
  const chunks: Buffer[] = [];
  for await (const chunk of stdin) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk)));
  return Buffer.concat(chunks).toString('utf8');
}

async function readJobsText(file: string): Promise<string> {
  try {
    return await fs.promises.readFile(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a folder' : 'it cannot be read';
    throw new UsageError(`Cannot read the jobs file ${file}: ${why}.`);
  }
}

type KeyPath = ReadonlyArray<string | number>;

/** The parsed YAML document and where each key sits in it. */
class JobsSource {
  readonly name: string;
  readonly folder: string;
  private readonly lines = new LineCounter();
  private readonly document: Document;

  constructor(
    private readonly text: string,
    readonly file: string,
    folder: string,
  ) {
    this.name = file === '-' ? 'standard input' : path.basename(file);
    this.folder = folder;
    this.document = parseDocument(text, { lineCounter: this.lines, prettyErrors: false, uniqueKeys: true });
  }

  /** The file as the schema's type, or a UsageError for the first YAML or schema problem. */
  validated(): JobsFileEntry {
    const yamlError = this.document.errors[0];
    if (yamlError) {
      const line = this.lines.linePos(problemStart(this.text, yamlError.code, yamlError.message, yamlError.pos[0])).line;
      throw new UsageError(`${this.where(line)}: ${yamlProblem(yamlError.code, yamlError.message)}; fix the YAML and run again.`);
    }
    const result = jobsFileSchema.safeParse(this.document.toJS() ?? {});
    if (!result.success) throw new UsageError(this.describeIssue(result.error.issues[0]!));
    return result.data;
  }

  /** "jobs.yaml:7", or just the name when the line is unknown. */
  where(line: number | undefined): string {
    return line === undefined ? this.name : `${this.name}:${line}`;
  }

  /** Line of the key at `keyPath` (its value's line when the key itself is not found). */
  lineOf(keyPath: KeyPath): number | undefined {
    if (keyPath.length === 0) return undefined;
    const parent = this.document.getIn(keyPath.slice(0, -1), true) as { items?: unknown[] } | undefined;
    const last = keyPath[keyPath.length - 1];
    const pair = parent?.items?.find((item) => keyValue(item) === last) as { key?: { range?: number[] } } | undefined;
    const node = (pair?.key ?? this.document.getIn(keyPath, true)) as { range?: number[] } | undefined;
    const offset = node?.range?.[0];
    return offset === undefined ? this.lineOf(keyPath.slice(0, -1)) : this.lines.linePos(offset).line;
  }

  private describeIssue(issue: z.core.$ZodIssue): string {
    if (issue.code === 'unrecognized_keys') {
      const key = issue.keys[0]!;
      const keyPath = [...issue.path, key] as KeyPath;
      return `${this.where(this.lineOf(keyPath))}: unknown key ${showPath(keyPath)}; see the jobs file format in the README.`;
    }
    const keyPath = issue.path as KeyPath;
    const what = keyPath.length === 0 ? 'the file' : showPath(keyPath);
    return `${this.where(this.lineOf(keyPath))}: ${what} ${issueText(issue)}.`;
  }
}

/** Collects the checks' findings so the first one (in file order) is reported, with how many more. */
class Problems {
  private readonly found: Array<{ line: number; message: string }> = [];

  constructor(private readonly source: JobsSource) {}

  add(keyPath: KeyPath, message: string): void {
    const line = this.source.lineOf(keyPath);
    this.found.push({ line: line ?? 0, message: `${this.source.where(line)}: ${showPath(keyPath)} ${message}` });
  }

  throwFirst(): void {
    if (this.found.length === 0) return;
    this.found.sort((a, b) => a.line - b.line);
    const more = this.found.length - 1;
    const tail = more === 0 ? '' : ` (${more} more problem${more === 1 ? '' : 's'} in the file)`;
    throw new UsageError(`${this.found[0]!.message}${tail}; nothing was run.`);
  }
}

function toJob(job: JobEntry, index: number, entry: JobsFileEntry, sharedExclude: string[], source: JobsSource, problems: Problems): Job {
  const at = (...keys: string[]): KeyPath => ['jobs', index, ...keys];
  const input = jobInput(job, index, source, problems);
  if (job.mode !== 'sync' && job.max_remove !== undefined) problems.add(at('max_remove'), `applies only to mode: sync`);
  if ((job.audience === undefined) === (job.audience_column === undefined)) {
    problems.add(at(job.audience === undefined ? 'name' : 'audience_column'), 'needs exactly one of audience: or audience_column:');
  }
  const exclude = [...sharedExclude, ...existingFiles(job.exclude ?? [], at('exclude'), source, problems)];
  return {
    name: job.name,
    mode: job.mode,
    line: source.lineOf(at('name')) ?? 0,
    input,
    options: jobOptions(job, entry, exclude, source.folder, (key, message) => problems.add(at(key), message)),
  };
}

function jobInput(job: JobEntry, index: number, source: JobsSource, problems: Problems): JobInput {
  if (job.file !== undefined && job.command !== undefined) {
    problems.add(['jobs', index, 'command'], 'cannot be given with file: a job reads a file or a command, not both');
  } else if (job.file === undefined && job.command === undefined) {
    problems.add(['jobs', index, 'name'], 'needs a file: or a command: to read users from');
  }
  if (job.command !== undefined) return { kind: 'command', command: job.command, cwd: source.folder };
  const [file] = existingFiles(job.file === undefined ? [] : [job.file], ['jobs', index, 'file'], source, problems);
  return { kind: 'file', file: file ?? '' };
}

function jobOptions(job: JobEntry, entry: JobsFileEntry, exclude: string[], folder: string, badDuration: (key: string, message: string) => void): JobOptions {
  const options: JobOptions = {
    audience: job.audience,
    audienceColumn: job.audience_column,
    maxNewAudiences: job.max_new_audiences,
    adAccount: job.ad_account ?? entry.ad_account,
    create: job.create,
    description: job.description,
    format: job.format,
    delimiter: job.delimiter,
    emailColumn: job.email_column,
    maidColumn: job.maid_column,
    idfaColumn: job.idfa_column,
    phoneColumn: job.phone_column,
    phoneCountry: job.phone_country,
    rows: job.rows,
    batchSize: job.batch_size,
    flushInterval: job.flush_interval,
    retryFor: durationMs(job.retry_for, (message) => badDuration('retry_for', message)),
    audienceWait: durationMs(job.audience_wait, (message) => badDuration('audience_wait', message)),
    waitReady: job.wait_ready === true ? true : durationMs(job.wait_ready, (message) => badDuration('wait_ready', message)),
    warnSizeDrop: job.warn_size_drop,
    maxRemove: job.mode === 'sync' ? (job.max_remove ?? DEFAULT_MAX_REMOVE) : undefined,
    force: job.force,
    allowMissingIdentifiers: job.allow_missing_identifiers,
    restart: job.restart,
    dryRun: job.dry_run,
    remove: job.mode === 'remove' ? true : undefined,
    exclude: [...new Set(exclude)],
    rejects: job.rejects === undefined ? undefined : path.resolve(folder, job.rejects),
    report: job.report === undefined ? undefined : path.resolve(folder, job.report),
  };
  return withoutUndefined(options);
}

/** A duration key (`retry_for`, `audience_wait`): "13h", "2m", or a number of seconds. */
function durationMs(value: string | number | undefined, badDuration: (message: string) => void): number | undefined {
  if (value === undefined) return undefined;
  const ms = typeof value === 'number' ? value * 1000 : durationToMs(value);
  if (ms === undefined || ms <= 0) badDuration(`must be a duration such as 13h, 90m or 30s, not "${value}"`);
  return ms;
}

/** Paths relative to the jobs file's folder, made absolute; each missing one is a problem at its entry. */
function existingFiles(names: readonly string[], keyPath: KeyPath, source: JobsSource, problems: Problems): string[] {
  const list = keyPath[keyPath.length - 1] === 'exclude';
  return names.map((name, i) => {
    const file = path.resolve(source.folder, name);
    const why = unusableFile(file);
    if (why) problems.add(list ? [...keyPath, i] : keyPath, `${name} ${why} (paths are relative to the jobs file's folder)`);
    return file;
  });
}

function unusableFile(file: string): string | undefined {
  try {
    const stat = fs.statSync(file);
    if (stat.isDirectory()) return 'is a folder, not a file';
    fs.accessSync(file, fs.constants.R_OK);
    return undefined;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'does not exist' : 'cannot be read';
  }
}

function checkUniqueNames(jobs: readonly JobEntry[], problems: Problems): void {
  const seen = new Set<string>();
  jobs.forEach((job, index) => {
    if (seen.has(job.name)) problems.add(['jobs', index, 'name'], `"${job.name}" is used by an earlier job: job names must be unique`);
    seen.add(job.name);
  });
}

function selectJobs(jobs: Job[], selected: readonly string[], file: string): Job[] {
  const name = file === '-' ? 'the jobs file' : path.basename(file);
  if (selected.length === 0) return jobs;
  const names = new Set(jobs.map((job) => job.name));
  const unknown = selected.filter((name) => !names.has(name));
  if (unknown.length > 0) {
    throw new UsageError(
      `No job named ${unknown.map((job) => `"${job}"`).join(', ')} in ${name} (its jobs: ${[...names].join(', ')}).`,
    );
  }
  const wanted = new Set(selected);
  return jobs.filter((job) => wanted.has(job.name));
}

function keyValue(item: unknown): unknown {
  const key = (item as { key?: { value?: unknown } } | undefined)?.key;
  return key && typeof key === 'object' && 'value' in key ? key.value : key;
}

/** jobs[1].email_column */
function showPath(keyPath: KeyPath): string {
  return keyPath.map((key, i) => (typeof key === 'number' ? `[${key}]` : i === 0 ? key : `.${key}`)).join('');
}

function issueText(issue: z.core.$ZodIssue): string {
  if (issue.code === 'invalid_type' && /received undefined/.test(issue.message)) return 'is missing';
  const message = issue.message.replace(/^Invalid input: /, '');
  return /^(must|is) /.test(message) ? message : `is not valid: ${message}`;
}

/** The parser's problems people meet most, in our words (its own speak of its API: "use YAML.parseAllDocuments()"). */
const YAML_PROBLEMS: Record<string, string> = {
  MULTIPLE_DOCS: 'the file holds more than one YAML document (a `---` line starts another): keep the jobs in one',
  DUPLICATE_KEY: 'a key appears twice in the same place',
  TAB_AS_INDENT: 'a line is indented with a tab: YAML needs spaces',
};

/** Where a problem starts: the parser finds an unclosed quote at the end of the file; the quote that opened it is the line to fix. */
function problemStart(text: string, code: string, message: string, at: number): number {
  const quote = code === 'MISSING_CHAR' ? /^Missing closing (["'])quote/.exec(message) : null;
  if (!quote) return at;
  const opened = text.lastIndexOf(quote[1]!, Math.max(0, at - 1));
  return opened === -1 ? at : opened;
}

/** The YAML parser's first sentence, without its "at line L, column C" (we print file:line). */
function yamlProblem(code: string, message: string): string {
  const quote = /^Missing closing (["'])quote/.exec(message);
  if (quote) return `a value opened with ${quote[1]} is never closed`;
  const known = YAML_PROBLEMS[code];
  if (known) return known;
  const first = message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
  return first.charAt(0).toLowerCase() + first.slice(1);
}

function withoutUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
