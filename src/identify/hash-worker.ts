// Worker thread of the hash pool: normalises and hashes the identifier values of a block of rows
// (the CPU-heavy half of the pipeline), so reading and hashing use both cores on big files.
import { parentPort, workerData } from 'node:worker_threads';
import { isBlank, normaliserFor, OPTED_OUT, type IdentifierKind, type NormaliseOptions } from './normalise.js';
import { BLANK, INVALID, OK, OPTED_OUT_DEVICE, type HashRequest, type HashResult } from './hash-pool.js';

const { kinds, options } = workerData as { kinds: IdentifierKind[]; options: NormaliseOptions };
const normalisers = kinds.map((kind) => normaliserFor(kind, options));

parentPort!.on('message', (request: HashRequest) => {
  const values = request.values.split('\u0000');
  const count = request.count;
  const status = new Uint8Array(count);
  const lengths = new Uint8Array(count);
  const records: string[] = [];
  for (let i = 0; i < count; i++) {
    const raw = values[i]!;
    if (isBlank(raw)) {
      status[i] = BLANK;
      continue;
    }
    const record = normalisers[i % normalisers.length]!(raw);
    if (typeof record !== 'string') {
      status[i] = record === OPTED_OUT ? OPTED_OUT_DEVICE : INVALID;
      continue;
    }
    status[i] = OK;
    lengths[i] = record.length;
    records.push(record);
  }
  const result: HashResult = { id: request.id, status, lengths, records: records.join('') };
  parentPort!.postMessage(result, [status.buffer, lengths.buffer]);
});
