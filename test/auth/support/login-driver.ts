// Drives `pinsync login --no-browser` as a user would: spawn the built CLI, read the consent address it
// prints on stderr, and answer the consent page in a real headless Chromium (never a downloaded browser).
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import type { Browser } from 'playwright-core';
import type { Sandbox } from '../../../src/sandbox/server.js';
import { cliEntry, cliEnv, repoRoot, type CliResult } from '../../support/cli.js';
import { CHROMIUM_PATH } from './environment.js';

export async function launchChromium(): Promise<Browser> {
  const { chromium } = await import('playwright-core');
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/** The environment a login against the sandbox needs: its API, its consent page and its app. */
export function loginEnv(sandbox: Sandbox, extra: Record<string, string | undefined> = {}): Record<string, string | undefined> {
  return {
    PINSYNC_API_BASE: sandbox.apiBase,
    PINSYNC_OAUTH_BASE: sandbox.oauthBase,
    PINTEREST_APP_ID: sandbox.appId,
    PINTEREST_APP_SECRET: sandbox.appSecret,
    ...extra,
  };
}

export interface RunningLogin {
  child: ChildProcessWithoutNullStreams;
  /** The consent-page address printed by the CLI. */
  consentUrl: Promise<string>;
  /** The local port the CLI listens on (from its "Waiting for … http://localhost:PORT/" line). */
  port: Promise<number>;
  done: Promise<CliResult>;
}

export function startLogin(args: string[], home: string, env: Record<string, string | undefined>, timeoutMs = 30_000): RunningLogin {
  const started = Date.now();
  const child = spawn(process.execPath, [cliEntry, 'login', '--no-browser', ...args], {
    cwd: repoRoot,
    env: cliEnv(home, env),
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  child.stdin.end();
  let stdout = '';
  let stderr = '';
  const waiters: (() => void)[] = [];
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
    for (const wake of waiters.splice(0)) wake();
  });
  const killer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const done = new Promise<CliResult>((resolve) => {
    child.on('close', (code, signal) => {
      clearTimeout(killer);
      for (const wake of waiters.splice(0)) wake();
      resolve({ code, signal, stdout, stderr, home, durationMs: Date.now() - started });
    });
  });
  let exited = false;
  void done.then(() => (exited = true));
  const waitFor = (pattern: RegExp): Promise<RegExpMatchArray> =>
    new Promise((resolve, reject) => {
      const check = () => {
        const match = stderr.match(pattern);
        if (match) resolve(match);
        else if (exited) reject(new Error(`login exited before printing ${pattern}:\n${stderr}`));
        else waiters.push(check);
      };
      check();
    });
  const consentUrl = waitFor(/(http:\/\/\S+\/oauth\/\?\S+)/).then((match) => match[1]!);
  const port = waitFor(/send you back to http:\/\/localhost:(\d+)\//).then((match) => Number(match[1]));
  consentUrl.catch(() => {});
  port.catch(() => {});
  return { child, consentUrl, port, done };
}

/** Opens the consent page and clicks #allow or #deny; returns where the browser ended up. */
export async function answerConsent(browser: Browser, consentUrl: string, button: '#allow' | '#deny'): Promise<{ url: string; text: string }> {
  const context = await browser.newContext();
  try {
    const page = await context.newPage();
    await page.goto(consentUrl);
    await Promise.all([page.waitForURL((url) => url.hostname === 'localhost', { timeout: 15_000 }), page.click(button)]);
    await page.waitForLoadState('load');
    return { url: page.url(), text: await page.locator('body').innerText() };
  } finally {
    await context.close();
  }
}
