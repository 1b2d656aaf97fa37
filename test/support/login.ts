// Drives `pinsync login --no-browser` as a user would: spawn the built CLI, read the consent address it
// prints on stderr, and answer the consent page in a real headless Chromium (never a downloaded browser).
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll } from 'vitest';
import type { Sandbox } from '../../src/sandbox/server.js';
import { spawnCli, type CliResult, type SpawnedCli } from './cli.js';
import { waitWhileRunning } from './interrupt.js';
import { CHROMIUM_PATH } from './machine.js';

/** A headless Chromium for every test of the file, unless `skip` (no Chromium on this machine). */
export function chromiumPerFile(skip: boolean): { readonly browser: Browser } {
  const fixture = { browser: undefined as unknown as Browser };
  beforeAll(async () => {
    if (!skip) fixture.browser = await launchChromium();
  });
  afterAll(() => fixture.browser?.close());
  return fixture;
}

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
  cli: SpawnedCli;
  /** The consent-page address printed by the CLI. */
  consentUrl: Promise<string>;
  /** The local port the CLI listens on (from its "Waiting for … http://localhost:PORT/" line). */
  port: Promise<number>;
  done: Promise<CliResult>;
}

/** Spawns `pinsync login --no-browser …` and reads the consent address and port it prints. */
export function startLogin(args: string[], home: string, env: Record<string, string | undefined>, timeoutMs = 30_000): RunningLogin {
  const cli = spawnCli(['login', '--no-browser', ...args], { home, env, timeoutMs });
  const printed = (pattern: RegExp) => waitWhileRunning(cli, () => pattern.test(cli.stderr()), `login printed ${pattern}`, timeoutMs).then(() => pattern.exec(cli.stderr())!);
  const consentUrl = printed(/(http:\/\/\S+\/oauth\/\?\S+)/).then((match) => match[1]!);
  const port = printed(/send you back to http:\/\/localhost:(\d+)\//).then((match) => Number(match[1]));
  consentUrl.catch(() => {});
  port.catch(() => {});
  return { cli, consentUrl, port, done: cli.result };
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
