// login on a terminal, in-process: the app id and secret are asked (secret masked) and kept with the
// tokens, and the user picks the profile's default ad account from a list. The consent page is the
// sandbox's, answered over real HTTP (the Chromium run is in test/e2e/login.test.ts).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FileStore } from '../../src/auth/file-store.js';
import { runLogin } from '../../src/auth/login.js';
import type { Choice, Prompter } from '../../src/prompt.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/server.js';
import { testContext, type TestContext } from '../support/test-context.js';

let sandbox: Sandbox;

beforeAll(async () => {
  sandbox = await startSandbox({ port: 0 });
});

afterAll(async () => {
  await sandbox?.stop();
});

async function printedConsentUrl(ctx: TestContext): Promise<string> {
  for (let i = 0; i < 200; i += 1) {
    const match = ctx.output().stderr.match(/(http:\/\/\S+\/oauth\/\?\S+)/);
    if (match) return match[1]!;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`no consent address printed:\n${ctx.output().stderr}`);
}

/** What the user's browser does on the sandbox consent page after clicking "Give access". */
async function allowInBrowser(consentUrl: string): Promise<void> {
  const page = await (await fetch(consentUrl)).text();
  const request = /name="request" value="([^"]+)"/.exec(page)?.[1];
  expect(request).toBeTruthy();
  const decision = await fetch(new URL('/oauth/decision', consentUrl), {
    method: 'POST',
    body: new URLSearchParams({ request: request!, decision: 'allow' }),
    redirect: 'manual',
  });
  const location = decision.headers.get('location')!;
  expect((await fetch(location.replace('//localhost:', '//127.0.0.1:'))).status).toBe(200);
}

describe('login on a terminal', () => {
  it('asks for the app credentials, stores them with the tokens, and offers the default ad account', async () => {
    const asked: string[] = [];
    let offered: Choice<unknown>[] = [];
    const prompter: Prompter = {
      input: async (message) => (asked.push(message), sandbox.appId),
      password: async (message) => (asked.push(message), sandbox.appSecret),
      select: async <T>(message: string, choices: Choice<T>[]) => {
        asked.push(message);
        offered = choices;
        return choices.find((choice) => String(choice.name).includes('549755885175'))!.value;
      },
      confirm: async () => false,
    };
    const ctx = testContext(
      { PINSYNC_API_BASE: sandbox.apiBase, PINSYNC_OAUTH_BASE: sandbox.oauthBase },
      'default',
      { canPrompt: true, stdinIsTTY: true, stderrIsTTY: true, prompter },
    );
    const running = runLogin(ctx, { browser: false, port: 0, timeout: 20_000 });
    await allowInBrowser(await printedConsentUrl(ctx));
    expect(await running).toBe(0);

    expect(asked).toEqual(['Pinterest app id:', 'Pinterest app secret:', 'Default ad account for this profile:']);
    expect(offered.map((choice) => choice.value)).toEqual(['549755885175', '549755885176', '']);
    const stored = await new FileStore(ctx.paths.credentialsFile).read('default');
    expect(stored).toMatchObject({ appId: sandbox.appId, appSecret: sandbox.appSecret });
    expect(ctx.config.profile('default').adAccountId).toBe('549755885175');
    expect(ctx.output().stderr).toMatch(/Default ad account set to 549755885175/);
    expect(ctx.output().stderr).not.toContain(sandbox.appSecret);
  });

  it('offers the current default first, so pressing Enter keeps it', async () => {
    let offered: Choice<unknown>[] = [];
    const prompter: Prompter = {
      input: async () => sandbox.appId,
      password: async () => sandbox.appSecret,
      select: async <T>(_message: string, choices: Choice<T>[]) => ((offered = choices), choices[0]!.value),
      confirm: async () => false,
    };
    const ctx = testContext(
      { PINSYNC_API_BASE: sandbox.apiBase, PINSYNC_OAUTH_BASE: sandbox.oauthBase },
      'default',
      { canPrompt: true, stdinIsTTY: true, stderrIsTTY: true, prompter },
    );
    ctx.config.updateProfile('default', { adAccountId: '549755885176' });
    const running = runLogin(ctx, { browser: false, port: 0, timeout: 20_000 });
    await allowInBrowser(await printedConsentUrl(ctx));
    expect(await running).toBe(0);
    expect(offered.map((choice) => choice.value)).toEqual(['549755885176', '549755885175', '']);
    expect(String(offered[0]!.name)).toMatch(/\(current\)/);
    expect(ctx.config.profile('default').adAccountId).toBe('549755885176');
  });
});
