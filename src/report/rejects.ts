// The --rejects file: CSV `line,reason` for every not-synced or errored row, written as rows are
// judged (buffered, flat memory). Never the identifier itself.
import fs from 'node:fs';
import { UsageError } from '../errors.js';
import type { RejectSink } from '../pipeline/tally.js';

const FLUSH_CHARS = 64 * 1024;

export class RejectsFile implements RejectSink {
  private buffer = 'line,reason\n';
  private readonly fd: number;

  constructor(readonly file: string) {
    try {
      this.fd = fs.openSync(file, 'w', 0o600);
    } catch (error) {
      throw new UsageError(`Cannot write the rejects file ${file} (${(error as NodeJS.ErrnoException).code ?? 'error'}).`);
    }
  }

  reject(line: number, reason: string): void {
    this.buffer += `${line},${csvField(reason)}\n`;
    if (this.buffer.length >= FLUSH_CHARS) this.flush();
  }

  close(): void {
    this.flush();
    fs.closeSync(this.fd);
  }

  private flush(): void {
    if (this.buffer.length === 0) return;
    fs.writeSync(this.fd, this.buffer);
    this.buffer = '';
  }
}

function csvField(text: string): string {
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}
