// Credentials never travel in clear: a plain http:// PINSYNC_API_BASE or PINSYNC_OAUTH_BASE off this
// machine is refused (exit 2, naming the host) before any token, refresh token or app secret is sent.
// The refused base is a real listener on this machine's network address, which counts connections.
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeHome } from '../support/home.js';
import { runInProcess } from '../support/in-process.js';

const TOKEN = 'pina_CANARYTOKEN0000000000000000';
const US = '549755885175';

/** A non-loopback IPv4 address of this machine, if it has one (else a name that never resolves). */
function networkAddress(): string {
  const found = Object.values(os.networkInterfaces())
    .flat()
    .find((address) => address && address.family === 'IPv4' && !address.internal);
  return found?.address ?? 'pinterest.invalid';
}

let trap: net.Server;
let connections = 0;
let host: string;

beforeAll(async () => {
  const address = networkAddress();
  trap = net.createServer((socket) => {
    connections += 1;
    socket.destroy();
  });
  await new Promise<void>((resolve) => trap.listen(0, address === 'pinterest.invalid' ? '127.0.0.1' : address, resolve));
  host = `${address}:${(trap.address() as net.AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise((resolve) => trap.close(resolve));
});

function expectRefused(result: { code: number | null; stderr: string }, variable: string): void {
  expect(result.code, result.stderr).toBe(2);
  expect(result.stderr.trim().split('\n')).toHaveLength(1);
  expect(result.stderr).toContain(`${variable} points at ${host} over plain http`);
  expect(result.stderr).not.toContain('CANARY');
  expect(connections).toBe(0);
}

describe('a plain http base off this machine', () => {
  it('is refused by every command that sends a token, before sending it', async () => {
    const home = makeHome();
    const file = path.join(home, 'users.csv');
    fs.writeFileSync(file, 'email\na@example.com\n');
    const env = { PINSYNC_API_BASE: `http://${host}/v5`, PINSYNC_ACCESS_TOKEN: TOKEN };
    for (const args of [
      ['push', file, '--audience', 'Newsletter', '--ad-account', US],
      ['sync', file, '--audience', 'Newsletter', '--ad-account', US],
      ['accounts', 'list'],
      ['audiences', 'list', '--ad-account', US],
      ['status'],
      ['doctor'],
    ]) {
      expectRefused(await runInProcess(args, { env, home }), 'PINSYNC_API_BASE');
    }
  });

  it('is refused before a refresh token and the app secret are sent to mint a token', async () => {
    const env = {
      PINSYNC_API_BASE: `http://${host}/v5`,
      PINSYNC_REFRESH_TOKEN: 'pinr_CANARYREFRESH000000000000',
      PINTEREST_APP_ID: '1234567',
      PINTEREST_APP_SECRET: 'CANARYSECRET',
    };
    expectRefused(await runInProcess(['accounts', 'list'], { env }), 'PINSYNC_API_BASE');
  });

  it('login refuses a consent page or token endpoint in clear before listening or opening anything', async () => {
    const app = { PINTEREST_APP_ID: '1234567', PINTEREST_APP_SECRET: 'CANARYSECRET' };
    const consent = await runInProcess(['login', '--no-browser', '--port', '0'], {
      env: { ...app, PINSYNC_OAUTH_BASE: `http://${host}`, PINSYNC_API_BASE: 'http://127.0.0.1:9/v5' },
    });
    expectRefused(consent, 'PINSYNC_OAUTH_BASE');
    expect(consent.stderr).not.toContain('/oauth/');
    const tokens = await runInProcess(['login', '--no-browser', '--port', '0'], { env: { ...app, PINSYNC_API_BASE: `http://${host}/v5` } });
    expectRefused(tokens, 'PINSYNC_API_BASE');
  });
});
