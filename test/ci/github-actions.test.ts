// A push, sync or run inside a GitHub Actions step (GITHUB_ACTIONS=true and the files the runner hands
// a step): the job summary gets a table per audience, the step outputs the counts, a failed run one
// ::error (::warning for exit 3) line on stderr; stdout stays one JSON object; outside Actions none of it.
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FileStore } from '../../src/auth/file-store.js';
import { escapeData, escapeProperty, stepOutputs } from '../../src/ci/github-actions.js';
import { startSandbox, type Sandbox, type SandboxOptions } from '../../src/sandbox/server.js';
import { parseJsonOutput } from '../support/cli.js';
import { makeHome } from '../support/home.js';
import { runInProcess } from '../support/in-process.js';
import { US, arrangeAudience, sandboxEnv } from '../support/sandbox.js';
import { storedLogin } from '../support/stored-login.js';
import { readKeyValues } from '../support/actions-runner.js';
import { writeFile } from '../support/files.js';

let sandbox: Sandbox | undefined;
afterEach(async () => {
  await sandbox?.stop();
  sandbox = undefined;
});

type Report = Record<string, any>;

async function arrange(options: Partial<SandboxOptions> = {}) {
  sandbox = await startSandbox({ port: 0, writeRate: 1000, ...options });
  arrangeAudience(sandbox, 'Newsletter');
  const home = makeHome('pinsync-gha-');
  const rows = Array.from({ length: 60 }, (_, i) => (i % 6 === 0 ? 'not-an-email' : `user${i}@example.com`));
  const users = writeFile(home, 'users.csv', 'email\n' + rows.join('\n') + '\n');
  return { sandbox, home, users };
}

/** The files and variables the runner gives a step (github/docs: "Default environment variables"). */
function actionsStep(home: string): { env: Record<string, string>; summary: string; output: string } {
  const runnerFiles = fs.mkdtempSync(path.join(home, 'runner-'));
  const summary = path.join(runnerFiles, 'step_summary');
  const output = path.join(runnerFiles, 'set_output');
  fs.writeFileSync(summary, '');
  fs.writeFileSync(output, '');
  return {
    summary,
    output,
    env: {
      GITHUB_ACTIONS: 'true',
      CI: 'true',
      GITHUB_STEP_SUMMARY: summary,
      GITHUB_OUTPUT: output,
      GITHUB_REPOSITORY: 'acme/crm',
      GITHUB_RUN_ID: '4242',
      GITHUB_SERVER_URL: 'https://github.com',
    },
  };
}

const push = (s: Sandbox, users: string, home: string, env: Record<string, string | undefined>, ...extra: string[]) =>
  runInProcess(['push', users, '--audience', 'Newsletter', '--ad-account', US, '--batch-size', '10', '--json', ...extra], {
    env: { ...sandboxEnv(s), ...env },
    home,
  });

describe('in a GitHub Actions step', () => {
  it('a push writes a summary table row and the step outputs from its report, and no annotation', async () => {
    const { sandbox, home, users } = await arrange();
    const step = actionsStep(home);
    const result = await push(sandbox, users, home, step.env);
    expect(result.code, result.stderr).toBe(0);
    const report = parseJsonOutput<Report>(result);
    const summary = fs.readFileSync(step.summary, 'utf8');
    expect(summary).toMatch(/^### ✅ pinsync push: done/);
    expect(summary).toContain('| Audience | Entered | Synced | Duplicates | Not synced | Errored | Pending | Exit |');
    expect(summary).toContain(`| Newsletter | ${report.entered} | ${report.synced} | 0 | ${report.notSynced} (invalid email ${report.notSynced}) | 0 | 0 | 0 |`);
    expect(summary).toContain(`Run ${report.runId} (\`pinsync runs show ${report.runId}\`)`);
    expect(readKeyValues(step.output)).toMatchObject({
      synced: String(report.synced),
      errored: '0',
      pending: '0',
      'not-synced': String(report.notSynced),
      'exit-code': '0',
      'run-id': String(report.runId),
    });
    expect(result.stderr).not.toMatch(/^::/m);
  });

  it('a run that ends 3 adds one ::warning line with the summary\'s sentence, and stdout is still one JSON object', async () => {
    const { sandbox, home, users } = await arrange({ faults: { badRequestAfterWrites: 2 } });
    const step = actionsStep(home);
    const result = await push(sandbox, users, home, step.env);
    expect(result.code).toBe(3);
    const report = parseJsonOutput<Report>(result); // throws unless stdout is exactly one JSON document
    expect(report.errored).toBeGreaterThan(0);
    const annotations = result.stderr.split('\n').filter((line) => line.startsWith('::'));
    expect(annotations).toHaveLength(1);
    expect(annotations[0]).toMatch(/^::warning title=pinsync::\d+ rows could not be delivered to audience "Newsletter" after retries ran out/);
    const sentence = annotations[0]!.replace(/^::warning title=pinsync::/, '');
    const summary = fs.readFileSync(step.summary, 'utf8');
    expect(summary).toMatch(/^### ⚠️ pinsync push: partly done \(exit 3\)/);
    expect(summary).toContain(sentence);
    expect(summary).toContain(`| ${report.errored} | 0 | 3 |`);
    expect(readKeyValues(step.output)).toMatchObject({ 'exit-code': '3', errored: String(report.errored), message: sentence });
  });

  it('a run that fails before it has a report (exit 5) adds one ::error line and a summary saying why', async () => {
    const { sandbox, home, users } = await arrange();
    const step = actionsStep(home);
    const result = await runInProcess(['push', users, '--audience', 'Nobody', '--ad-account', US, '--json'], { env: { ...sandboxEnv(sandbox), ...step.env }, home });
    expect(result.code).toBe(5);
    expect(result.stdout).toBe('');
    const annotations = result.stderr.split('\n').filter((line) => line.startsWith('::'));
    expect(annotations).toEqual([expect.stringMatching(/^::error title=pinsync::No audience named "Nobody" in ad account 549755885175\./)]);
    expect(fs.readFileSync(step.summary, 'utf8')).toMatch(/^### ❌ pinsync push: failed \(exit 5, not found\)\n\nNo audience named "Nobody"/);
    expect(readKeyValues(step.output)).toMatchObject({ 'exit-code': '5', synced: '0', 'run-id': '' });
  });

  it('a sync whose state cannot be written (a file where PINSYNC_HOME keeps its locks) tells the step the exit code the process ends with (2)', async () => {
    const { sandbox, home, users } = await arrange();
    const step = actionsStep(home);
    fs.writeFileSync(path.join(home, 'locks'), '');
    const result = await runInProcess(['sync', users, '--audience', 'Newsletter', '--ad-account', US, '--json'], { env: { ...sandboxEnv(sandbox), ...step.env }, home });
    expect(result.code, result.stderr).toBe(2);
    expect(result.stderr).toMatch(/^pinsync: PINSYNC_HOME .* cannot hold pinsync's state/m);
    expect(readKeyValues(step.output)).toMatchObject({ 'exit-code': String(result.code) });
    const annotations = result.stderr.split('\n').filter((line) => line.startsWith('::'));
    expect(annotations).toEqual([expect.stringMatching(/^::error title=pinsync::PINSYNC_HOME .* cannot hold pinsync's state/)]);
    expect(fs.readFileSync(step.summary, 'utf8')).toMatch(/^### ❌ pinsync sync: failed \(exit 2\b/);
  });

  it('outside GitHub Actions the same failing run writes no summary, no outputs and no workflow command', async () => {
    const { sandbox, home, users } = await arrange({ faults: { badRequestAfterWrites: 2 } });
    const step = actionsStep(home);
    const result = await push(sandbox, users, home, { ...step.env, GITHUB_ACTIONS: undefined });
    expect(result.code).toBe(3);
    parseJsonOutput(result);
    expect(result.stderr).not.toMatch(/::(error|warning)/);
    expect(fs.readFileSync(step.summary, 'utf8')).toBe('');
    expect(fs.readFileSync(step.output, 'utf8')).toBe('');
  });

  it('the summary\'s To do names a refresh token that expires within 14 days, and how to renew it', async () => {
    sandbox = await startSandbox({ port: 0, writeRate: 1000, continuousRefresh: false });
    arrangeAudience(sandbox, 'Newsletter');
    const home = makeHome('pinsync-gha-');
    const users = writeFile(home, 'users.csv', 'email\nuser1@example.com\n');
    const issued = sandbox.state.issueTokens({ refreshExpiresInSeconds: 5 * 24 * 3600 }); // renewing it brings no new one
    await new FileStore(path.join(home, 'credentials.json')).write('default', storedLogin(sandbox, issued));
    const step = actionsStep(home);
    const result = await runInProcess(['push', users, '--audience', 'Newsletter', '--ad-account', US, '--json'], {
      env: { PINSYNC_API_BASE: sandbox.apiBase, PINSYNC_PROGRESS_INTERVAL: '3600', ...step.env },
      home,
    });
    expect(result.code, result.stderr).toBe(0);
    const summary = fs.readFileSync(step.summary, 'utf8');
    expect(summary).toMatch(/\*\*To do\*\*\n\n- The refresh token expires \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC \(in 4 days\): run `pinsync login` and, for a CI job, set its `PINSYNC_REFRESH_TOKEN` secret to the new refresh token\./);
  });

  it('`pinsync run`: one row per job and audience, totals as outputs, one annotation for the failed job', async () => {
    const { sandbox, home } = await arrange();
    const step = actionsStep(home);
    const jobs = writeFile(
      home,
      'jobs.yaml',
      `ad_account: "${US}"\njobs:\n  - { name: newsletter, file: users.csv, audience: Newsletter }\n  - { name: ghost, file: users.csv, audience: Ghost }\n`,
    );
    const result = await runInProcess(['run', jobs, '--json'], { env: { ...sandboxEnv(sandbox), ...step.env }, home });
    expect(result.code).toBe(5);
    const report = parseJsonOutput<Report>(result);
    const summary = fs.readFileSync(step.summary, 'utf8');
    expect(summary).toContain('| Job | Audience | Entered |');
    expect(summary).toMatch(/\| newsletter \| Newsletter \| 60 \| 50 \|/);
    expect(summary).toMatch(/\| ghost \|  \| — \|.* \| 5 \|/);
    const annotations = result.stderr.split('\n').filter((line) => line.startsWith('::'));
    expect(annotations).toEqual([expect.stringMatching(/^::error title=pinsync::1 of 2 jobs failed\. ghost exit 5: No audience named "Ghost"/)]);
    expect(readKeyValues(step.output)).toMatchObject({ synced: String(report.jobs[0].report.synced), 'exit-code': '5', 'run-id': String(report.jobs[0].report.runId) });
  });
});

describe('GitHub workflow-command and output formats', () => {
  it('escapes %, CR and LF in a message, and also : and , in a property', () => {
    expect(escapeData('50% done\r\nnext: a, b')).toBe('50%25 done%0D%0Anext: a, b');
    expect(escapeProperty('pinsync: a, b%')).toBe('pinsync%3A a%2C b%25');
  });

  it('writes a value with a newline in the delimiter form, with a delimiter the value does not hold', () => {
    const text = stepOutputs({
      command: 'push',
      exitCode: 2,
      dryRun: false,
      audiences: [],
      totals: { entered: 0, synced: 0, notSynced: 0, errored: 0, pending: 0, records: 0 },
      runIds: [],
      sentence: 'line one\nEOF\nline three',
      todo: [],
    });
    const block = /^message<<(ghadelimiter_[\w-]+)\nline one\nEOF\nline three\n\1\n$/m.exec(text);
    expect(block).not.toBeNull();
  });
});
