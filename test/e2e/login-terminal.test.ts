// `pinsync login` on a real terminal (a pty from util-linux `script`), answered in a real headless
// Chromium: without PINTEREST_APP_ID/SECRET the app credentials are asked (the secret masked, never
// echoed), and after the consent the ad account to use by default is picked from a list.
import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { KEY, plain, runInTerminal } from '../support/terminal.js';
import { hasChromium, skipWithout } from '../support/machine.js';
import { answerConsent, chromiumPerFile } from '../support/login.js';
import { parseJsonOutput } from '../support/cli.js';
import { makeHome } from '../support/home.js';
import { runInProcess } from '../support/in-process.js';
import { sandboxPerFile } from '../support/sandbox.js';

const skip = skipWithout(hasChromium(), 'Chromium', 'apt-get install chromium (or set PINSYNC_TEST_CHROMIUM)');

const t = sandboxPerFile();
const chromium = chromiumPerFile(skip);

describe.skipIf(skip)('pinsync login on a terminal', () => {
  it('asks for the app id and the secret (masked), then for the default ad account', async () => {
    const home = makeHome();
    const env = { PINSYNC_API_BASE: t.sandbox.apiBase, PINSYNC_OAUTH_BASE: t.sandbox.oauthBase };
    const session = runInTerminal(['login', '--no-browser', '--port', '0'], { home, env });

    await session.waitFor(/Pinterest app id:/);
    session.type(t.sandbox.appId + KEY.enter);
    await session.waitFor(/Pinterest app secret:/);
    session.type(t.sandbox.appSecret + KEY.enter);
    const screen = await session.waitFor(/(http:\/\/\S+\/oauth\/\?\S+)/);
    const consentUrl = /(http:\/\/\S+\/oauth\/\?\S+)/.exec(screen)![1]!;
    await answerConsent(chromium.browser, consentUrl, '#allow');
    await session.waitFor(/Default ad account for this profile:[\s\S]*Sandbox Ads US \(549755885175\)/);
    session.type(KEY.enter);

    expect(await session.exit, plain(session.raw())).toBe(0);
    const shown = plain(session.raw());
    expect(shown).not.toContain(t.sandbox.appSecret); // masked as it was typed, and never printed after
    expect(shown).toMatch(/Pinterest app secret: \*{8,}/);
    expect(shown).toContain('Default ad account set to 549755885175.');
    const status = await runInProcess(['status', '--json'], { home, env });
    expect(status.code, status.stderr).toBe(0);
    expect(parseJsonOutput(status)).toMatchObject({ tokenSource: 'file', adAccountId: '549755885175' });
    expect(fs.readFileSync(`${home}/config.json`, 'utf8')).not.toContain(t.sandbox.appSecret);
  }, 60_000);
});
