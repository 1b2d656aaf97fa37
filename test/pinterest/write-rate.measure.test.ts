// Measurement for the report, not part of the normal suite (takes ~10 s):
//   PINSYNC_MEASURE=1 npx vitest run test/pinterest/write-rate.measure.test.ts
// 70 concurrent writes at the default 7/s against a sandbox limited to 7 per 1-second window.
import { describe, expect, it } from 'vitest';
import { startSandbox } from '../../src/sandbox/server.js';
import { clientFor, hashedRecords, US } from './helpers.js';

describe.runIf(process.env.PINSYNC_MEASURE)('write rate (measurement)', () => {
  it('70 writes at 7/s', async () => {
    const sandbox = await startSandbox({ port: 0, writeRate: 7 });
    const client = clientFor(sandbox);
    try {
      const list = sandbox.state.createCustomerList(US, { name: 'Measure', records: [hashedRecords(1, 10_000_000)] });
      const started = Date.now();
      await Promise.all(
        Array.from({ length: 70 }, (_, i) =>
          client.updateCustomerList(US, list.id, { operation_type: 'ADD', records: hashedRecords(1900, i * 1900) }),
        ),
      );
      const seconds = (Date.now() - started) / 1000;
      const line = `70 writes x 1,900 records: ${seconds.toFixed(2)} s, ${(70 / seconds).toFixed(2)} writes/s, 429s: ${client.stats.rateLimited}, retries: ${client.stats.retries}`;
      console.log(line);
      expect(sandbox.state.customerList(list.id)!.records.size).toBe(70 * 1900 + 1);
    } finally {
      await client.close();
      await sandbox.stop();
    }
  }, 60_000);
});
