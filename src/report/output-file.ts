// The run's own output files (--report, --rejects): checked before anything is read or sent (never
// the input, writable), then written atomically — a temporary beside the target, renamed over it at
// the end — so a failed run never leaves a half-written file. A device, FIFO or /dev/stdout-like link
// is written directly: a rename would replace the device node instead of writing to it.
import fs from 'node:fs';
import path from 'node:path';
import { UsageError } from '../errors.js';

export interface OutputPath {
  /** The flag that named it, for messages: "--report". */
  flag: string;
  file: string;
}

/** A file the run reads: the input, an exclusion list, the jobs file, a job's input. */
export interface InputPath {
  /** What it is, for messages: "the input file itself", "the exclusion file", 'the input of job "a"'. */
  what: string;
  /** A path, or "-" for standard input (a file when redirected: `< users.csv`). */
  file: string;
}

/**
 * Refuses (exit 2) an output that is the same file (device and inode, so also through a symlink or a
 * hard link) as any input of the run, or as another output, or that cannot be written.
 */
export function checkOutputPaths(inputs: readonly InputPath[], outputs: readonly OutputPath[]): void {
  const read = new Map<string, string>();
  for (const { what, file } of inputs) {
    const id = file === '-' ? stdinFileId() : fileId(file);
    if (id && !read.has(id)) read.set(id, what);
  }
  const written = new Map<string, string>();
  for (const { flag, file } of outputs) {
    const id = fileId(file);
    const input = id && read.get(id);
    if (input) throw new UsageError(`${flag} ${file} is ${input}: writing it would destroy ${input === INPUT_ITSELF ? 'your input' : 'it'}. Choose another file name.`);
    if (id && written.has(id)) throw new UsageError(`${written.get(id)} and ${flag} name the same file (${file}): give each its own file.`);
    if (id) written.set(id, flag);
    checkWritable(flag, file);
  }
}

/** How a run's own input is named (the message then speaks of "your input"). */
export const INPUT_ITSELF = 'the input file itself';

/** A push's or sync's inputs: the input, then each exclusion list. */
export function inputPathsOf(input: string, exclude: readonly string[] = []): InputPath[] {
  return [{ what: INPUT_ITSELF, file: input }, ...exclude.map((file) => ({ what: 'the exclusion file (--exclude)', file }))];
}

/** One output file, written as a whole at commit. Write errors are kept and reported by commit(). */
export class OutputFile {
  private failure: NodeJS.ErrnoException | undefined;
  private closed = false;

  private constructor(
    private readonly flag: string,
    private readonly file: string,
    private readonly fd: number,
    /** Where it is written until commit; undefined when written directly (device, FIFO). */
    private readonly temporary: string | undefined,
    private readonly target: string,
    /** This process's own descriptor (/dev/stdout): written, never closed. */
    private readonly borrowed = false,
  ) {}

  static open(flag: string, file: string): OutputFile {
    const own = ownDescriptor(file);
    if (own !== undefined) return new OutputFile(flag, file, own, undefined, file, true);
    try {
      if (writtenDirectly(file)) return new OutputFile(flag, file, fs.openSync(file, 'a'), undefined, file);
      const target = existingRealPath(file) ?? path.resolve(file);
      const temporary = path.join(path.dirname(target), `.${path.basename(target)}.${process.pid}.tmp`);
      fs.rmSync(temporary, { force: true });
      return new OutputFile(flag, file, fs.openSync(temporary, 'wx', 0o600), temporary, target);
    } catch (error) {
      throw cannotWrite(flag, file, error);
    }
  }

  write(text: string): void {
    if (this.failure || this.closed) return;
    try {
      fs.writeSync(this.fd, text);
    } catch (error) {
      this.failure = error as NodeJS.ErrnoException;
    }
  }

  /** Puts the file in place; throws (exit 2) when any write failed, leaving the previous file as it was. */
  commit(): void {
    if (this.closed) return;
    this.close();
    if (this.failure) {
      this.removeTemporary();
      throw cannotWrite(this.flag, this.file, this.failure);
    }
    if (!this.temporary) return;
    try {
      fs.renameSync(this.temporary, this.target);
    } catch (error) {
      this.removeTemporary();
      throw cannotWrite(this.flag, this.file, error);
    }
  }

  /** Drops what was written (the run ended by an error): the target stays as it was. */
  discard(): void {
    if (this.closed) return;
    this.close();
    this.removeTemporary();
  }

  private close(): void {
    this.closed = true;
    if (this.borrowed) return;
    try {
      fs.closeSync(this.fd);
    } catch (error) {
      this.failure ??= error as NodeJS.ErrnoException;
    }
  }

  private removeTemporary(): void {
    if (this.temporary) fs.rmSync(this.temporary, { force: true });
  }
}

/** Writes a whole file through OutputFile (the --report at the end of a run). */
export function writeOutputFile(flag: string, file: string, text: string): void {
  const output = OutputFile.open(flag, file);
  output.write(text);
  output.commit();
}

function checkWritable(flag: string, file: string): void {
  const own = ownDescriptor(file);
  if (own !== undefined) return probeDevice(flag, file, () => own);
  let stat: fs.Stats;
  try {
    stat = fs.statSync(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw cannotWrite(flag, file, error);
    checkFolder(flag, file, path.dirname(path.resolve(file)));
    return;
  }
  if (stat.isDirectory()) throw new UsageError(`${flag} ${file} is a folder: give a file name.`);
  if (stat.isFIFO()) return access(flag, file, file); // opening a FIFO waits for its reader: only at the end
  if (!writtenDirectly(file)) {
    access(flag, file, file);
    checkFolder(flag, file, path.dirname(existingRealPath(file) ?? path.resolve(file)));
    return;
  }
  probeDevice(flag, file, () => fs.openSync(file, 'a'));
}

/** An empty write already fails where every write would (/dev/full: ENOSPC; a closed descriptor: EBADF). */
function probeDevice(flag: string, file: string, open: () => number): void {
  try {
    const fd = open();
    try {
      fs.writeSync(fd, Buffer.alloc(0));
    } finally {
      if (ownDescriptor(file) === undefined) fs.closeSync(fd);
    }
  } catch (error) {
    throw cannotWrite(flag, file, error);
  }
}

/** /dev/stdout, /dev/stderr, /dev/fd/N, /proc/self/fd/N name this process's own descriptor, which may be a socket that cannot be opened by name. */
function ownDescriptor(file: string): number | undefined {
  if (file === '/dev/stdout') return 1;
  if (file === '/dev/stderr') return 2;
  const numbered = /^\/(?:dev|proc\/self)\/fd\/(\d+)$/.exec(file);
  return numbered ? Number(numbered[1]) : undefined;
}

/** The temporary and the rename need a writable folder. */
function checkFolder(flag: string, file: string, folder: string): void {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(folder);
  } catch (error) {
    throw cannotWrite(flag, file, error);
  }
  if (!stat.isDirectory()) throw cannotWrite(flag, file, Object.assign(new Error(), { code: 'ENOTDIR' }));
  access(flag, file, folder);
}

function access(flag: string, file: string, what: string): void {
  try {
    fs.accessSync(what, fs.constants.W_OK);
  } catch (error) {
    throw cannotWrite(flag, file, error);
  }
}

/** Not a plain file reached by ordinary links: a device, FIFO or socket, or a link through /dev or /proc (/dev/stdout). */
function writtenDirectly(file: string): boolean {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(file);
  } catch {
    return false;
  }
  return !stat.isFile() || linksThroughSpecialFolder(file);
}

function linksThroughSpecialFolder(file: string): boolean {
  let current = path.resolve(file);
  for (let hop = 0; hop < 40; hop++) {
    if (/^\/(dev|proc)\//.test(current)) return true;
    let stat: fs.Stats;
    try {
      stat = fs.lstatSync(current);
    } catch {
      return false;
    }
    if (!stat.isSymbolicLink()) return false;
    current = path.resolve(path.dirname(current), fs.readlinkSync(current));
  }
  return false;
}

function existingRealPath(file: string): string | undefined {
  try {
    return fs.realpathSync(file);
  } catch {
    return undefined;
  }
}

/** "device:inode" of an existing file (following links), else undefined. */
function fileId(file: string): string | undefined {
  try {
    const stat = fs.statSync(file);
    return `${stat.dev}:${stat.ino}`;
  } catch {
    return undefined;
  }
}

/** Standard input redirected from a file (`< users.csv`) is that file. */
function stdinFileId(): string | undefined {
  try {
    const stat = fs.fstatSync(0);
    return stat.isFile() ? `${stat.dev}:${stat.ino}` : undefined;
  } catch {
    return undefined;
  }
}

const WHY: Record<string, string> = {
  ENOENT: 'no such folder',
  ENOTDIR: 'no such folder',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  EROFS: 'read-only file system',
  ENOSPC: 'no space left',
  EDQUOT: 'no space left',
  EISDIR: 'it is a folder',
  ENXIO: 'nothing reads from it',
  EBADF: 'not open',
};

function cannotWrite(flag: string, file: string, error: unknown): UsageError {
  const code = (error as NodeJS.ErrnoException | undefined)?.code ?? '';
  return new UsageError(`Cannot write ${flag} ${file} (${WHY[code] ?? code ?? 'error'}): choose a writable file.`, { cause: error });
}

/** The output files a run's flags name, in the order they are checked. */
export function outputPathsOf(options: { report?: string; rejects?: string; metricsFile?: string }): OutputPath[] {
  const paths: OutputPath[] = [];
  if (options.report) paths.push({ flag: '--report', file: options.report });
  if (options.rejects) paths.push({ flag: '--rejects', file: options.rejects });
  if (options.metricsFile) paths.push({ flag: '--metrics-file', file: options.metricsFile });
  return paths;
}
