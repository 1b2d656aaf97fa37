import { it } from 'vitest';
import { startSandbox } from '../../src/sandbox/server.js';
import { clientFor, hashedRecords, US } from './helpers.js';
it('debug', async () => {
  const sandbox = await startSandbox({ port: 0, writeRate: 7 });
  const grants: number[] = [];
  const client = clientFor(sandbox, { onEvent: (e) => { if (e.type !== 'request') console.log(JSON.stringify(e)); } });
  const list = await client.createCustomerList(US, { name: 'Rate list', records: hashedRecords(1), list_type: 'EMAIL' });
  await Promise.all(Array.from({ length: 21 }, (_, i) => client.updateCustomerList(US, list.id!, { operation_type: 'ADD', records: hashedRecords(2, 1000 + i * 2) })));
  const t0 = sandbox.state.requests[0]!.time;
  const ts = sandbox.state.requests.map((r) => r.time - t0);
  const spans = ts.slice(7).map((t, i) => t - ts[i]!);
  console.log('MINSPAN8', Math.min(...spans), 'statuses', sandbox.state.requests.map((r) => r.status).filter((s) => s !== 200));
  await client.close(); await sandbox.stop();
});
