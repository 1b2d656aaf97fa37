// A sandbox for a test file or for each test, what pinsync needs to point at it (its seeded ad
// accounts, the environment), and audiences arranged in it as an earlier `push --create` left them.
import { afterAll, afterEach, beforeAll, beforeEach, expect } from 'vitest';
import { startSandbox, type Sandbox, type SandboxOptions } from '../../src/sandbox/server.js';
import { makeHome } from './home.js';

/** The sandbox's "Sandbox Ads US" ad account (owner). */
export const US = '549755885175';
/** The sandbox's "Sandbox Ads CA" ad account (read-only permissions). */
export const CA = '549755885176';

interface SandboxAddress {
  apiBase: string;
  token: string;
}

/** The CLI's environment for the sandbox: its API, a token (the default user's unless given), no progress lines. */
export function sandboxEnv(sandbox: SandboxAddress, token = sandbox.token): Record<string, string> {
  return { PINSYNC_API_BASE: sandbox.apiBase, PINSYNC_ACCESS_TOKEN: token, PINSYNC_PROGRESS_INTERVAL: '3600' };
}

/**
 * Lists that are done processing at once: Pinterest's other rules stay (an audience needs ~100 matched
 * users), but a `--create` run does not wait the sandbox's 3 s of processing for its audience. Tests of
 * that wait (audience-pending) set `processingMs` themselves.
 */
export const LISTS_READY_AT_ONCE: Partial<SandboxOptions> = { listRules: { processingMs: 0 } };

/** The sandbox and a work folder of the current test (or file); read them inside the tests. */
export interface SandboxFixture {
  readonly sandbox: Sandbox;
  readonly dir: string;
}

export interface FixtureOptions extends Partial<SandboxOptions> {
  /** After the last test: every request the sandbox took was on the API's spec (none in `violations`). */
  requestsOnSpec?: boolean;
}

/** One sandbox for every test of the file (started before the first, stopped after the last). */
export function sandboxPerFile(options: FixtureOptions = {}): SandboxFixture {
  const fixture = { sandbox: undefined as unknown as Sandbox, dir: '' };
  beforeAll(async () => {
    Object.assign(fixture, await startFixture(options));
  });
  afterAll(() => stopFixture(fixture, options));
  return fixture;
}

/** A fresh sandbox and work folder for each test of the file. */
export function sandboxPerTest(options: FixtureOptions = {}): SandboxFixture {
  const fixture = { sandbox: undefined as unknown as Sandbox, dir: '' };
  beforeEach(async () => {
    Object.assign(fixture, await startFixture(options));
  });
  afterEach(() => stopFixture(fixture, options));
  return fixture;
}

async function startFixture({ requestsOnSpec: _, ...options }: FixtureOptions): Promise<SandboxFixture> {
  return { sandbox: await startSandbox({ port: 0, ...LISTS_READY_AT_ONCE, ...options }), dir: makeHome('pinsync-work-') };
}

async function stopFixture(fixture: SandboxFixture, options: FixtureOptions): Promise<void> {
  if (!fixture.sandbox) return;
  if (options.requestsOnSpec) expect(fixture.sandbox.state.violations).toEqual([]);
  await fixture.sandbox.stop();
}

/** A customer list with its CUSTOMER_LIST audience, as `push --create` would have left them. */
export function arrangeAudience(sandbox: Sandbox, name = 'Newsletter', records: string[] = []) {
  const list = sandbox.state.createCustomerList(US, { name, records });
  const audience = sandbox.state.createAudience(US, { name, audienceType: 'CUSTOMER_LIST', rule: { customer_list_id: list.id } });
  return { list, audience };
}
