// The --rejects file: CSV `line,reason` for every not-synced or errored row, written as rows are
// judged (buffered, flat memory) and put in place atomically when the run ends. Never the identifier itself.
import type { RejectSink } from '../send/tally.js';
import { OutputFile } from './output-file.js';

const FLUSH_CHARS = 64 * 1024;

export class RejectsFile implements RejectSink {
  private buffer = 'line,reason\n';
  private readonly output: OutputFile;

  /** Opens it before anything is sent (checkOutputPaths has vetted the path). */
  constructor(readonly file: string) {
    this.output = OutputFile.open('--rejects', file);
  }

  reject(line: number, reason: string): void {
    this.buffer += `${line},${csvField(reason)}\n`;
    if (this.buffer.length >= FLUSH_CHARS) this.flush();
  }

  /** The run reported its end: the file takes its place (throws, exit 2, when it could not be written). */
  commit(): void {
    this.flush();
    this.output.commit();
  }

  /** The run failed before reporting: the previous file, if any, stays as it was. */
  close(): void {
    this.output.discard();
  }

  private flush(): void {
    if (this.buffer.length === 0) return;
    this.output.write(this.buffer);
    this.buffer = '';
  }
}

function csvField(text: string): string {
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}
