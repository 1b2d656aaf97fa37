#!/usr/bin/env node
// `npm run demo`: the quick start without a Pinterest account. Starts the sandbox in this process,
// creates an audience by pushing fixtures/demo-users.csv with --create (live progress bar), then
// shows the audience. Paced (small batches, a low rate) so the bar is visible for a few seconds.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const cli = path.join(root, 'dist', 'main.js');
const input = path.join(root, 'fixtures', 'demo-users.csv');
const AD_ACCOUNT = '549755885175';
const AUDIENCE = 'Demo customers';

const { startSandbox } = await import(path.join(root, 'dist', 'sandbox', 'server.js'));
const sandbox = await startSandbox({ port: 0, writeRate: 10 });
const home = fs.mkdtempSync(path.join(os.tmpdir(), 'pinsync-demo-'));
const env = {
  ...process.env,
  PINSYNC_HOME: home,
  PINSYNC_KEYCHAIN: 'off',
  PINSYNC_API_BASE: sandbox.apiBase,
  PINSYNC_ACCESS_TOKEN: sandbox.token,
};

function pinsync(args) {
  process.stderr.write(`\n$ pinsync ${args.map((a) => (/\s/.test(a) ? JSON.stringify(a) : a)).join(' ')}\n`);
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [cli, ...args], { env, stdio: 'inherit' });
    child.on('close', (code) => resolve(code ?? 1));
  });
}

let code = 1;
try {
  process.stderr.write(`Sandbox Pinterest API at ${sandbox.apiBase} (ad account ${AD_ACCOUNT}, no real account needed).\n`);
  code = await pinsync([
    'push', path.relative(process.cwd(), input) || input,
    '--audience', AUDIENCE, '--ad-account', AD_ACCOUNT, '--create',
    '--batch-size', '700', '--rate', '10',
  ]);
  if (code === 0) code = await pinsync(['audiences', 'show', AUDIENCE, '--ad-account', AD_ACCOUNT]);
  process.stderr.write(
    `\nTry it yourself against this sandbox with \`pinsync sandbox\`, or on Pinterest after \`pinsync login\`:\n` +
      `  pinsync push fixtures/demo-users.csv --audience "My customers" --create\n`,
  );
} finally {
  await sandbox.stop();
  fs.rmSync(home, { recursive: true, force: true });
}
process.exitCode = code;
