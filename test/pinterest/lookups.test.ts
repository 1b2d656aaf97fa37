// Which ad account and which audience a command works on: flag > profile default > prompt (asked by
// the command, never by the run) > exit 2, and audiences by id or exact name.
import fs from 'node:fs';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { ConfigStore } from '../../src/config.js';
import type { Context } from '../../src/context.js';
import { NotFoundError, UsageError } from '../../src/errors.js';
import { askForTargetIfMissing, resolveAdAccount } from '../../src/commands/choices.js';
import { connectorsFor } from '../../src/connect.js';
import { findAudience } from '../../src/audiences/directory.js';
import { runPush } from '../../src/runs/push.js';
import type { Prompter } from '../../src/prompt.js';
import type { Sandbox } from '../../src/sandbox/server.js';
import { makeHome } from '../support/home.js';
import { clientFor } from '../support/pinterest-client.js';
import { CA, sandboxPerFile, US } from '../support/sandbox.js';

function contextFor(sandbox: Sandbox, options: { canPrompt?: boolean; prompter?: Partial<Prompter> } = {}): Context & { said: string[] } {
  const home = makeHome('pinsync-connect-');
  const said: string[] = [];
  const stream = new PassThrough();
  const ctx = {
    stdin: stream,
    stdout: stream,
    stderr: stream,
    stdinIsTTY: Boolean(options.canPrompt),
    stdoutIsTTY: false,
    stderrIsTTY: Boolean(options.canPrompt),
    env: { PINSYNC_API_BASE: sandbox.apiBase, PINSYNC_ACCESS_TOKEN: sandbox.token, PINSYNC_HOME: home, PINSYNC_KEYCHAIN: 'off' },
    profile: 'default',
    debug: false,
    color: false,
    canPrompt: Boolean(options.canPrompt),
    paths: { configDir: home, stateDir: home, configFile: path.join(home, 'config.json'), credentialsFile: path.join(home, 'credentials.json'), stateFile: path.join(home, 'state.db') },
    config: new ConfigStore(path.join(home, 'config.json')),
    prompter: options.prompter as Prompter,
    signal: new AbortController().signal,
    now: () => Date.now(),
    warn: (message) => said.push(message),
    info: (message) => said.push(message),
    debugLog: () => {},
    said,
  } as Omit<Context, 'connect' | 'connectInteractive' | 'clientWithTokens'> as Context & { said: string[] };
  return Object.assign(ctx, connectorsFor(ctx));
}

describe('resolveAdAccount', () => {
  const t = sandboxPerFile();

  it('takes --ad-account first, then the profile default', async () => {
    const ctx = contextFor(t.sandbox);
    ctx.config.updateProfile('default', { adAccountId: CA });
    expect(await resolveAdAccount(ctx, US)).toBe(US);
    expect(await resolveAdAccount(ctx, undefined)).toBe(CA);
  });

  it('rejects a non-numeric --ad-account as a usage error', async () => {
    await expect(resolveAdAccount(contextFor(t.sandbox), 'my-account')).rejects.toBeInstanceOf(UsageError);
  });

  it('asks on a terminal, listing the accounts by name', async () => {
    let offered: string[] = [];
    const ctx = contextFor(t.sandbox, {
      canPrompt: true,
      prompter: {
        select: async <T,>(_message: string, choices: Array<{ name: string; value: T }>) => {
          offered = choices.map((c) => c.name);
          return choices[1]!.value;
        },
      },
    });
    expect(await resolveAdAccount(ctx, undefined)).toBe(CA);
    expect(offered).toEqual([`Sandbox Ads US (${US})`, `Sandbox Ads CA (${CA})`]);
  });

  it('exits 2 naming --ad-account when nobody can be asked', async () => {
    const error = await resolveAdAccount(contextFor(t.sandbox), undefined).catch((e: unknown) => e);
    expect(error).toMatchObject({ exitCode: 2 });
    expect((error as Error).message).toContain('--ad-account');
  });
});

describe('push and sync without an ad account', () => {
  const t = sandboxPerFile();

  const pickSecond = { select: async <T,>(_message: string, choices: Array<{ value: T }>) => choices[1]!.value };

  it('asks for it on a terminal before the run, keeping the --audience given', async () => {
    const flags = { audience: 'Newsletter' } as { audience: string; adAccount?: string; create?: boolean };
    await askForTargetIfMissing(contextFor(t.sandbox, { canPrompt: true, prompter: pickSecond }), flags, true);
    expect(flags).toEqual({ audience: 'Newsletter', adAccount: CA });
  });

  it('lets a dry run without credentials go on to check the file locally', async () => {
    const ctx = contextFor(t.sandbox, { canPrompt: true, prompter: pickSecond });
    delete ctx.env.PINSYNC_ACCESS_TOKEN;
    const flags = { audience: 'Newsletter', dryRun: true };
    await askForTargetIfMissing(ctx, flags, true);
    expect(flags).toEqual({ audience: 'Newsletter', dryRun: true });
    await expect(askForTargetIfMissing(ctx, { audience: 'Newsletter' }, true)).rejects.toMatchObject({ exitCode: 4 });
  });

  it('the run itself never prompts: it names --ad-account (exit 2)', async () => {
    const ctx = contextFor(t.sandbox, { canPrompt: true, prompter: { select: () => Promise.reject(new Error('prompted')) } });
    const file = path.join(makeHome('pinsync-input-'), 'users.csv');
    fs.writeFileSync(file, 'email\na@example.com\n');
    const error = await runPush(ctx, { audience: 'Newsletter' }, file).catch((e: unknown) => e);
    expect(error).toMatchObject({ exitCode: 2 });
    expect((error as Error).message).toContain('--ad-account');
  });
});

describe('findAudience', () => {
  const t = sandboxPerFile();

  it('finds by id, by exact name, and by a digits-only name', async () => {
    const client = clientFor(t.sandbox);
    try {
      const spring = t.sandbox.state.createAudience(US, { name: 'Spring' });
      const year = t.sandbox.state.createAudience(US, { name: '2024' });
      expect((await findAudience(client, US, spring.id)).name).toBe('Spring');
      expect((await findAudience(client, US, 'Spring')).id).toBe(spring.id);
      expect((await findAudience(client, US, '2024')).id).toBe(year.id);
      await expect(findAudience(client, US, 'spring')).rejects.toBeInstanceOf(NotFoundError);
    } finally {
      await client.close();
    }
  });

  it('refuses a name two audiences share, listing their ids', async () => {
    const client = clientFor(t.sandbox);
    try {
      const a = t.sandbox.state.createAudience(US, { name: 'Twin' });
      const b = t.sandbox.state.createAudience(US, { name: 'Twin' });
      const error = await findAudience(client, US, 'Twin').catch((e: unknown) => e);
      expect(error).toBeInstanceOf(UsageError);
      expect((error as Error).message).toContain(`${a.id}, ${b.id}`);
    } finally {
      await client.close();
    }
  });
});
