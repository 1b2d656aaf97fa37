// --notify, --ping and their jobs-file keys against a real HTTP listener on 127.0.0.1: a failed run is
// heard (a JSON body with Slack's `text` and the report; /start then /fail), a passing one is not
// (unless --notify-on always), a listener that hangs costs the run at most its timeout, and the
// URLs (they hold secrets) never appear in what pinsync prints.
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { WEBHOOK_TIMEOUT_MS } from '../../src/ci/webhooks.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/server.js';
import { parseJsonOutput, runCli } from '../support/cli.js';
import { makeHome } from '../support/home.js';
import { runInProcess } from '../support/in-process.js';
import { US, arrangeAudience, sandboxEnv } from '../support/sandbox.js';
import { writeFile } from '../support/files.js';
import { readKeyValues } from '../support/actions-runner.js';

interface Heard {
  method: string;
  path: string;
  query: URLSearchParams;
  body: string;
}

/** A webhook listener: records every request; `hang` never answers. */
async function listen(hang = false) {
  const heard: Heard[] = [];
  const server = http.createServer((request, response) => {
    let body = '';
    request.on('data', (chunk) => (body += chunk));
    request.on('end', () => {
      const url = new URL(request.url ?? '/', 'http://listener');
      heard.push({ method: request.method ?? '', path: url.pathname, query: url.searchParams, body });
      if (!hang) response.end('OK');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  listeners.push(server);
  return { heard, base };
}

const listeners: http.Server[] = [];
let sandbox: Sandbox | undefined;
afterEach(async () => {
  for (const server of listeners.splice(0)) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
  await sandbox?.stop();
  sandbox = undefined;
});

async function arrange() {
  sandbox = await startSandbox({ port: 0, writeRate: 1000 });
  arrangeAudience(sandbox, 'Newsletter');
  const home = makeHome('pinsync-notify-');
  const users = writeFile(home, 'users.csv', 'email\n' + Array.from({ length: 20 }, (_, i) => `user${i}@example.com`).join('\n') + '\n');
  return { sandbox, home, users };
}

const SECRET_PATH = '/services/T000/B000/s3cr3tw3bh00k';

describe('--notify and --ping', () => {
  it('a failed run POSTs the notification (text + report) and pings /start then /fail with one run id', async () => {
    const { sandbox, home, users } = await arrange();
    const hooks = await listen();
    const result = await runInProcess(
      ['push', users, '--audience', 'Nobody', '--ad-account', US, '--notify', `${hooks.base}${SECRET_PATH}`, '--ping', `${hooks.base}/ping/abc-uuid`],
      { env: sandboxEnv(sandbox), home },
    );
    expect(result.code).toBe(5);
    const notification = hooks.heard.find((request) => request.path === SECRET_PATH);
    expect(notification?.method).toBe('POST');
    const body = JSON.parse(notification!.body);
    expect(body.text).toMatch(/^pinsync push on .* failed \(exit 5\): No audience named "Nobody"/);
    expect(body).toMatchObject({ command: 'push', exitCode: 5, report: null });
    const pings = hooks.heard.filter((request) => request.path.startsWith('/ping/'));
    expect(pings.map((ping) => ping.path)).toEqual(['/ping/abc-uuid/start', '/ping/abc-uuid/fail']);
    expect(pings[0]!.query.get('rid')).toMatch(/^[0-9a-f-]{36}$/);
    expect(pings[1]!.query.get('rid')).toBe(pings[0]!.query.get('rid'));
    expect(pings[1]!.body).toContain('No audience named "Nobody"');
    expect(result.stderr + result.stdout).not.toContain('s3cr3tw3bh00k');
  });

  it('a passing run sends no notification, pings /start then the plain URL; --notify-on always notifies with the report', async () => {
    const { sandbox, home, users } = await arrange();
    const hooks = await listen();
    const args = ['push', users, '--audience', 'Newsletter', '--ad-account', US, '--json', '--notify', `${hooks.base}/hook`, '--ping', `${hooks.base}/ping/abc`];
    const quiet = await runInProcess(args, { env: sandboxEnv(sandbox), home });
    expect(quiet.code, quiet.stderr).toBe(0);
    expect(hooks.heard.map((request) => request.path)).toEqual(['/ping/abc/start', '/ping/abc']);

    hooks.heard.length = 0;
    const always = await runInProcess([...args, '--notify-on', 'always'], { env: sandboxEnv(sandbox), home });
    expect(always.code).toBe(0);
    const report = parseJsonOutput<Record<string, any>>(always);
    const body = JSON.parse(hooks.heard.find((request) => request.path === '/hook')!.body);
    expect(body.text).toMatch(/^pinsync push on .* succeeded: Synced 20 of 20 rows into audience "Newsletter"\./);
    expect(body.report).toEqual(report);
  });

  it('a listener that never answers costs the run at most the timeout, and is a warning naming only its host', async () => {
    const { sandbox, home, users } = await arrange();
    const hanging = await listen(true);
    const started = Date.now();
    const result = await runInProcess(['push', users, '--audience', 'Nobody', '--ad-account', US, '--notify', `${hanging.base}${SECRET_PATH}`], {
      env: sandboxEnv(sandbox),
      home,
      timeoutMs: 30_000,
    });
    const took = Date.now() - started;
    expect(result.code).toBe(5); // the run's own exit code, not the notification's
    expect(hanging.heard).toHaveLength(1);
    expect(took).toBeLessThan(WEBHOOK_TIMEOUT_MS + 3_000);
    expect(result.stderr).toMatch(new RegExp(`warning: The notification to ${hanging.base.replace('http://', '')} failed \\(no answer within 5 s\\); the run's own result stands\\.`));
    expect(result.stderr).not.toContain('s3cr3tw3bh00k');
  }, 30_000);

  it('a proxy variable that is not a URL makes the pings and the notification warnings: the run keeps its exit code and the step outputs are written once', async () => {
    const home = makeHome('pinsync-notify-');
    const users = writeFile(home, 'users.csv', 'email\n' + Array.from({ length: 5 }, (_, i) => `user${i}@example.com`).join('\n') + '\n');
    const output = writeFile(home, 'set_output', '');
    const summary = writeFile(home, 'step_summary', '');
    const hooks = await listen();
    // A real process: a start ping that rejected unheard would end it (an unhandled rejection).
    const result = await runCli(['push', users, '--audience', 'Newsletter', '--dry-run', '--notify', `${hooks.base}/hook`, '--notify-on', 'always', '--ping', `${hooks.base}/ping/abc`], {
      home,
      env: { HTTPS_PROXY: 'http://proxyuser:s3cr3tpr0xy@[not-a-host', GITHUB_ACTIONS: 'true', GITHUB_OUTPUT: output, GITHUB_STEP_SUMMARY: summary },
    });
    expect(result.code, result.stderr).toBe(0);
    const host = hooks.base.replace('http://', '');
    for (const what of ['start ping', 'ping', 'notification']) {
      expect(result.stderr).toContain(`warning: The ${what} to ${host} failed (ERR_INVALID_URL); the run's own result stands.`);
    }
    expect(hooks.heard).toEqual([]);
    expect(readKeyValues(output)).toMatchObject({ 'exit-code': '0' });
    expect(fs.readFileSync(output, 'utf8').match(/^exit-code/gm)).toHaveLength(1);
    expect(fs.readFileSync(summary, 'utf8').match(/^### /gm)).toHaveLength(1);
    expect(result.stderr).not.toMatch(/s3cr3tpr0xy|unexpected error|\n\s+at /);
  });

  it('refuses a webhook sent in clear to another machine (exit 2) without printing the URL', async () => {
    const { sandbox, home, users } = await arrange();
    const result = await runInProcess(['push', users, '--audience', 'Newsletter', '--ad-account', US, '--notify', 'http://hooks.example.com/s3cr3tw3bh00k'], {
      env: sandboxEnv(sandbox),
      home,
    });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/--notify must use https:\/\//);
    expect(result.stderr).not.toContain('s3cr3tw3bh00k');
  });

  it('a jobs file notifies the URLs of `notify:` (read from the environment with ${VAR}) and pings `ping:`', async () => {
    const { sandbox, home } = await arrange();
    const hooks = await listen();
    const jobs = writeFile(
      home,
      'jobs.yaml',
      `ad_account: "${US}"\nnotify: \${SLACK_WEBHOOK}\nping: "\${HC_BASE}/ping/jobs"\njobs:\n  - { name: ok, file: users.csv, audience: Newsletter }\n  - { name: ghost, file: users.csv, audience: Ghost }\n`,
    );
    const result = await runInProcess(['run', jobs, '--json'], {
      env: { ...sandboxEnv(sandbox), SLACK_WEBHOOK: `${hooks.base}${SECRET_PATH}`, HC_BASE: hooks.base },
      home,
    });
    expect(result.code).toBe(5);
    const report = parseJsonOutput<Record<string, any>>(result);
    const body = JSON.parse(hooks.heard.find((request) => request.path === SECRET_PATH)!.body);
    expect(body.text).toMatch(/^pinsync run on .* failed \(exit 5\): 1 of 2 jobs failed\. ghost exit 5: No audience named "Ghost"/);
    expect(body.report).toEqual(report);
    expect(hooks.heard.filter((request) => request.path.startsWith('/ping/')).map((ping) => ping.path)).toEqual(['/ping/jobs/start', '/ping/jobs/fail']);
  });

  it('a jobs file naming an unset variable is refused with its line before any job runs (exit 2)', async () => {
    const { sandbox, home } = await arrange();
    const jobs = writeFile(home, 'jobs.yaml', `ad_account: "${US}"\njobs:\n  - { name: ok, file: users.csv, audience: Newsletter }\nnotify: \${NOT_SET_ANYWHERE}\n`);
    const result = await runInProcess(['run', jobs], { env: sandboxEnv(sandbox), home });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/jobs\.yaml:4: notify names the environment variable NOT_SET_ANYWHERE, which is not set; nothing was run\./);
    expect(sandbox.state.requests.filter((request) => request.method !== 'GET')).toHaveLength(0);
  });
});
