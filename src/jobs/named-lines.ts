// A job's stderr: whole lines, each prefixed with the job's name, so jobs running together stay
// readable (the job's own messages and what its command prints on stderr alike).
import { Writable } from 'node:stream';

export class NamedLines extends Writable {
  private partial = '';

  constructor(
    private readonly name: string,
    private readonly target: Writable,
  ) {
    super();
  }

  override _write(chunk: Buffer | string, _encoding: BufferEncoding, done: () => void): void {
    const lines = (this.partial + String(chunk)).split('\n');
    this.partial = lines.pop()!;
    for (const line of lines) this.target.write(`[${this.name}] ${line}\n`);
    done();
  }

  /** Writes a last line that has no newline yet. */
  flush(): void {
    if (this.partial) this.target.write(`[${this.name}] ${this.partial}\n`);
    this.partial = '';
  }
}
