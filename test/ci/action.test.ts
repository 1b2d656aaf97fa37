// action.yml, its shell steps run the way the GitHub runner runs them (test/support/actions-runner.ts)
// against the sandbox: outputs and summary come from pinsync, PINSYNC_HOME is saved under a key of its
// own run and restored by the next run of the same scope (a second sync sends only the difference),
// jobs of other scopes or the same run never overwrite each other's entry, a failed run still saves,
// and a refresh token is never cached without PINSYNC_STORE_KEY.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { startSandbox, type Sandbox } from '../../src/sandbox/server.js';
import { repoRoot } from '../support/cli.js';
import { makeHome } from '../support/home.js';
import { runCompositeAction, type RunnerJob } from '../support/actions-runner.js';
import { US } from '../support/sandbox.js';

let sandbox: Sandbox;
beforeAll(async () => {
  sandbox = await startSandbox({ port: 0, writeRate: 1000, listRules: { processingMs: 0 } });
});
afterAll(() => sandbox.stop());

const writes = () => sandbox.state.requests.filter((request) => request.method !== 'GET' && request.path.includes('/customer_lists'));

/** A job on a fresh runner: its own folder (workspace, RUNNER_TEMP), the repository's shared cache. */
function job(cacheStore: string, runId: number, inputs: Record<string, string>, env: Record<string, string | undefined> = {}): RunnerJob {
  const folder = makeHome('pinsync-runner-');
  fs.writeFileSync(path.join(folder, 'users.csv'), 'email\n' + Array.from({ length: 150 }, (_, i) => `user${i}@example.com`).join('\n') + '\n');
  return {
    runId,
    inputs,
    folder,
    cacheStore,
    env: { PINSYNC_API_BASE: sandbox.apiBase, PINSYNC_ACCESS_TOKEN: sandbox.token, PINSYNC_PROGRESS_INTERVAL: '3600', ...env },
  };
}

describe('action.yml', () => {
  it('is a composite action whose outputs are the run step\'s, with the cache restored before and saved after, also on failure', () => {
    const action = parse(fs.readFileSync(path.join(repoRoot, 'action.yml'), 'utf8'));
    expect(action.runs.using).toBe('composite');
    expect(Object.keys(action.inputs)).toEqual(expect.arrayContaining(['command', 'jobs-file', 'node-version', 'cache', 'cache-scope']));
    expect(action.inputs['node-version'].default).toBe('22');
    for (const name of ['synced', 'errored', 'pending', 'not-synced', 'exit-code', 'run-id']) expect(action.outputs[name].value).toBe(`\${{ steps.run.outputs.${name} }}`);
    const uses = action.runs.steps.map((step: { uses?: string }) => step.uses?.replace(/@.*/, '')).filter(Boolean);
    expect(uses).toEqual(['actions/setup-node', 'actions/cache/restore', 'actions/cache/save']);
    const save = action.runs.steps.find((step: { uses?: string }) => step.uses?.startsWith('actions/cache/save'));
    expect(save.if).toMatch(/^always\(\) && /);
    for (const step of action.runs.steps) if (step.run) expect(step.shell).toBe('bash');
  });

  it('runs a sync, hands on its outputs and summary, saves PINSYNC_HOME; the next run restores it and sends only the new user', async () => {
    const cache = makeHome('pinsync-cache-');
    const command = `sync users.csv --audience "Action sync" --ad-account ${US} --create`;
    const first = await runCompositeAction(repoRoot, job(cache, 101, { command }));
    expect(first.conclusion, first.steps.map((step) => step.stderr).join('\n')).toBe('success');
    expect(first.outputs).toMatchObject({ synced: '150', errored: '0', pending: '0', 'not-synced': '0', 'exit-code': '0' });
    expect(first.outputs['run-id']).toMatch(/^\d+$/);
    expect(first.summary).toMatch(/^### ✅ pinsync sync: done/);
    expect(first.summary).toContain('| Action sync | 150 | 150 | 0 | 0 | 0 | 0 | +150 / -0 | 0 |');
    expect(first.restored).toBeUndefined();
    expect(first.saved).toEqual([expect.stringMatching(/^pinsync-home-Sync-audiences-sync-101-1-[0-9a-f]+$/)]);

    const before = writes().length;
    const secondJob = job(cache, 102, { command });
    fs.appendFileSync(path.join(secondJob.folder, 'users.csv'), 'newcomer@example.com\n');
    const second = await runCompositeAction(repoRoot, secondJob);
    expect(second.conclusion).toBe('success');
    expect(second.restored).toBe(first.saved[0]);
    expect(second.summary).toContain('| +1 / -0 |');
    const sent = writes().slice(before);
    expect(sent.reduce((sum, request) => sum + request.records, 0)).toBe(1);
    expect(second.saved[0]).not.toBe(first.saved[0]);
  });

  it('jobs of another scope, or of the same run, keep their own entries; each scope restores its own newest', async () => {
    const cache = makeHome('pinsync-cache-');
    const lapsed = job(cache, 201, { command: `push users.csv --audience "Scope A" --ad-account ${US} --create`, 'cache-scope': 'lapsed' });
    const vip = job(cache, 201, { command: `push users.csv --audience "Scope B" --ad-account ${US} --create`, 'cache-scope': 'vip' });
    const a = await runCompositeAction(repoRoot, lapsed);
    const b = await runCompositeAction(repoRoot, vip);
    const twin = await runCompositeAction(repoRoot, job(cache, 201, { command: `push users.csv --audience "Scope B" --ad-account ${US}`, 'cache-scope': 'vip' }));
    for (const run of [a, b, twin]) expect(run.conclusion, run.steps.map((step) => step.stderr).join('\n')).toBe('success');
    expect(new Set([...a.saved, ...b.saved, ...twin.saved]).size).toBe(3); // three entries, none refused or replaced
    expect(b.restored).toBeUndefined(); // vip does not start from lapsed's state
    expect(twin.restored).toBe(b.saved[0]);
    const next = await runCompositeAction(repoRoot, job(cache, 202, { command: 'runs --json', 'cache-scope': 'lapsed' }));
    expect(next.restored).toBe(a.saved[0]);
    const history = JSON.parse(next.steps.find((step) => step.name === 'Run pinsync')!.stdout);
    expect(history.map((run: { audienceName: string }) => run.audienceName)).toEqual(['Scope A']);
  });

  it('a failed run fails the step with pinsync\'s exit code and its ::error line, and PINSYNC_HOME is still saved', async () => {
    const cache = makeHome('pinsync-cache-');
    const run = await runCompositeAction(repoRoot, job(cache, 301, { command: `push users.csv --audience "Never made" --ad-account ${US}` }));
    expect(run.conclusion).toBe('failure');
    const step = run.steps.find((entry) => entry.name === 'Run pinsync')!;
    expect(step.exitCode).toBe(5);
    expect(step.stderr).toMatch(/^::error title=pinsync::No audience named "Never made"/m);
    expect(run.outputs['exit-code']).toBe('5');
    expect(run.steps.at(-1)!.outcome).toBe('success');
    expect(run.saved).toHaveLength(1);
  });

  it('refuses to cache a refresh token without PINSYNC_STORE_KEY, and a step with neither command nor jobs-file, before anything runs', async () => {
    const cache = makeHome('pinsync-cache-');
    const clear = await runCompositeAction(repoRoot, job(cache, 401, { command: 'status' }, { PINSYNC_ACCESS_TOKEN: undefined, PINSYNC_REFRESH_TOKEN: 'seed-refresh-token' }));
    expect(clear.conclusion).toBe('failure');
    expect(clear.steps[0]!.stdout).toMatch(/^::error title=pinsync::PINSYNC_REFRESH_TOKEN is set without PINSYNC_STORE_KEY/m);
    expect(clear.steps.slice(1).every((step) => step.outcome === 'skipped')).toBe(true);
    expect(clear.saved).toEqual([]);
    const empty = await runCompositeAction(repoRoot, job(cache, 402, {}));
    expect(empty.steps[0]!.stdout).toMatch(/exactly one of command or jobs-file/);
    expect(empty.conclusion).toBe('failure');
  });

  it('runs a jobs file', async () => {
    const cache = makeHome('pinsync-cache-');
    const jobsRun = job(cache, 501, { 'jobs-file': 'jobs.yaml' });
    fs.writeFileSync(path.join(jobsRun.folder, 'jobs.yaml'), `ad_account: "${US}"\njobs:\n  - { name: one, file: users.csv, audience: Jobs one, create: true }\n`);
    const run = await runCompositeAction(repoRoot, jobsRun);
    expect(run.conclusion, run.steps.map((step) => step.stderr).join('\n')).toBe('success');
    expect(run.outputs).toMatchObject({ synced: '150', 'exit-code': '0' });
    expect(run.summary).toContain('| one | Jobs one | 150 | 150 |');
  });
});
