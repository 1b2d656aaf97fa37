// A small stand-in for the GitHub Actions runner, enough to run a composite action's steps the way the
// runner does (docs.github.com/en/actions/reference/workflows-and-actions): `${{ }}` expressions filled
// into `with:`, `env:` and `if:` (the contexts github, inputs, steps, runner, env; always() and
// success(); == and &&), each `run:` step as `bash --noprofile --norc -eo pipefail {0}` ("shell: bash"
// in workflow-syntax) with fresh GITHUB_OUTPUT, GITHUB_ENV, GITHUB_PATH and GITHUB_STEP_SUMMARY files
// read back after it ("Environment files" in workflow-commands), GITHUB_ACTIONS=true and the default
// variables. `uses:` steps are played by stand-ins: setup-node does nothing (this Node runs), and
// actions/cache restore/save keep entries in a folder with the cache's rules (an exact key, else the
// newest entry whose key starts with a restore key; a key that exists is never overwritten).
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';

type Context = Record<string, unknown>;

interface Step {
  id?: string;
  name?: string;
  if?: string;
  shell?: string;
  run?: string;
  uses?: string;
  env?: Record<string, string>;
  with?: Record<string, string>;
}

export interface RunnerJob {
  /** The workflow run: the same id for the jobs of one run. */
  runId: number;
  runAttempt?: number;
  workflow?: string;
  job?: string;
  /** The `with:` of the step that uses the action. */
  inputs: Record<string, string>;
  /** The job's `env:` (secrets included, as the runner passes them). */
  env: Record<string, string | undefined>;
  /** The runner's temp folder and workspace (one per job on a real runner). */
  folder: string;
  /** Where the actions/cache stand-in keeps its entries (shared by every job of the repository). */
  cacheStore: string;
}

export interface StepRun {
  name: string;
  outcome: 'success' | 'failure' | 'skipped';
  exitCode?: number;
  stdout: string;
  stderr: string;
}

export interface ActionRun {
  conclusion: 'success' | 'failure';
  outputs: Record<string, string>;
  steps: StepRun[];
  /** The job summary: every step's summary, in order. */
  summary: string;
  /** The cache keys the save stand-in stored, and the key restore found (if any). */
  saved: string[];
  restored: string | undefined;
}

/** Runs the action's steps in order; async, so a sandbox in the test's own process keeps answering. */
export async function runCompositeAction(actionDir: string, job: RunnerJob): Promise<ActionRun> {
  const action = parse(fs.readFileSync(path.join(actionDir, 'action.yml'), 'utf8')) as {
    inputs: Record<string, { default?: string }>;
    outputs: Record<string, { value: string }>;
    runs: { using: string; steps: Step[] };
  };
  if (action.runs.using !== 'composite') throw new Error('not a composite action');
  const temp = path.join(job.folder, 'runner-temp');
  fs.mkdirSync(temp, { recursive: true });
  const github = {
    workflow: job.workflow ?? 'Sync audiences',
    job: job.job ?? 'sync',
    run_id: String(job.runId),
    run_attempt: String(job.runAttempt ?? 1),
    action_path: actionDir,
    workspace: job.folder,
  };
  const steps: Record<string, { outputs: Record<string, string>; outcome: string }> = {};
  const context: Context = { github, steps, runner: { temp }, env: job.env, inputs: {} };
  context.inputs = Object.fromEntries(
    Object.entries(action.inputs).map(([name, input]) => [name, job.inputs[name] ?? evaluateText(input.default ?? '', context)]),
  );
  const jobEnv: Record<string, string | undefined> = { ...job.env };
  const paths: string[] = [];
  const ran: StepRun[] = [];
  let summary = '';
  let failed = false;
  const result = { saved: [] as string[], restored: undefined as string | undefined };
  for (const [index, step] of action.runs.steps.entries()) {
    const name = step.name ?? step.id ?? step.uses ?? `step ${index}`;
    context.env = jobEnv;
    const condition = step.if ?? 'success()';
    if (!evaluateCondition(condition.replace(/^\$\{\{(.*)\}\}$/s, '$1'), context, failed)) {
      ran.push({ name, outcome: 'skipped', stdout: '', stderr: '' });
      if (step.id) steps[step.id] = { outputs: {}, outcome: 'skipped' };
      continue;
    }
    const stepRun = step.run !== undefined ? await runShellStep(step, { context, jobEnv, paths, temp, job, github, index }) : useStandIn(step, context, job, result);
    ran.push({ name, ...stepRun.run });
    summary += stepRun.summary;
    if (step.id) steps[step.id] = { outputs: stepRun.outputs, outcome: stepRun.run.outcome };
    if (stepRun.run.outcome === 'failure') failed = true;
  }
  const outputs = Object.fromEntries(Object.entries(action.outputs).map(([name, output]) => [name, evaluateText(output.value, context)]));
  return { conclusion: failed ? 'failure' : 'success', outputs, steps: ran, summary, ...result };
}

interface ShellStepArgs {
  context: Context;
  jobEnv: Record<string, string | undefined>;
  paths: string[];
  temp: string;
  job: RunnerJob;
  github: Record<string, string>;
  index: number;
}

async function runShellStep(step: Step, args: ShellStepArgs): Promise<{ run: Omit<StepRun, 'name'>; outputs: Record<string, string>; summary: string }> {
  if (step.shell !== 'bash') throw new Error(`this stand-in runs shell: bash steps only, not ${step.shell}`);
  const files = Object.fromEntries(['GITHUB_OUTPUT', 'GITHUB_ENV', 'GITHUB_PATH', 'GITHUB_STEP_SUMMARY'].map((name) => [name, path.join(args.temp, `${name.toLowerCase()}_${args.index}`)]));
  for (const file of Object.values(files)) fs.writeFileSync(file, '');
  const script = path.join(args.temp, `step_${args.index}.sh`);
  fs.writeFileSync(script, evaluateText(step.run!, args.context));
  const stepEnv = Object.fromEntries(Object.entries(step.env ?? {}).map(([name, value]) => [name, evaluateText(value, args.context)]));
  const env = withoutUndefined({
    ...args.jobEnv,
    ...stepEnv,
    ...files,
    PATH: [...args.paths, process.env.PATH].join(path.delimiter),
    HOME: process.env.HOME,
    CI: 'true',
    GITHUB_ACTIONS: 'true',
    GITHUB_ACTION_PATH: args.github.action_path,
    GITHUB_WORKSPACE: args.github.workspace,
    GITHUB_WORKFLOW: args.github.workflow,
    GITHUB_JOB: args.github.job,
    GITHUB_RUN_ID: args.github.run_id,
    GITHUB_RUN_ATTEMPT: args.github.run_attempt,
    GITHUB_REPOSITORY: 'acme/crm',
    GITHUB_SERVER_URL: 'https://github.com',
    GITHUB_ACTION: step.id ?? `__run_${args.index}`,
    RUNNER_TEMP: args.temp,
  });
  const child = await bash(script, args.job.folder, env);
  const outputs = readKeyValues(files.GITHUB_OUTPUT!);
  Object.assign(args.jobEnv, readKeyValues(files.GITHUB_ENV!));
  args.paths.unshift(...fs.readFileSync(files.GITHUB_PATH!, 'utf8').split('\n').filter(Boolean).reverse());
  const outcome = child.status === 0 ? 'success' : 'failure';
  return { run: { outcome, exitCode: child.status ?? undefined, stdout: child.stdout, stderr: child.stderr }, outputs, summary: fs.readFileSync(files.GITHUB_STEP_SUMMARY!, 'utf8') };
}

function useStandIn(step: Step, context: Context, job: RunnerJob, result: { saved: string[]; restored: string | undefined }) {
  const inputs = Object.fromEntries(Object.entries(step.with ?? {}).map(([name, value]) => [name, evaluateText(String(value), context)]));
  const done = (stderr = '') => ({ run: { outcome: 'success' as const, stdout: '', stderr }, outputs: {}, summary: '' });
  const uses = step.uses ?? '';
  if (uses.startsWith('actions/setup-node@')) return done();
  if (uses.startsWith('actions/cache/restore@')) {
    const key = restoreKey(job.cacheStore, inputs.key!, (inputs['restore-keys'] ?? '').split('\n').filter(Boolean));
    if (key) fs.cpSync(path.join(job.cacheStore, key), inputs.path!, { recursive: true });
    result.restored = key;
    return done();
  }
  if (uses.startsWith('actions/cache/save@')) {
    const entry = path.join(job.cacheStore, inputs.key!);
    if (fs.existsSync(entry)) return done(`Failed to save: Unable to reserve cache with key ${inputs.key}, another job may be creating this cache.`);
    fs.mkdirSync(job.cacheStore, { recursive: true });
    fs.cpSync(inputs.path!, entry, { recursive: true });
    fs.appendFileSync(path.join(job.cacheStore, ORDER), `${inputs.key}\n`);
    result.saved.push(inputs.key!);
    return done();
  }
  throw new Error(`no stand-in for ${uses}`);
}

function bash(script: string, cwd: string, env: Record<string, string>): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['--noprofile', '--norc', '-eo', 'pipefail', script], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
    child.on('error', reject);
    child.on('close', (status) => {
      clearTimeout(timer);
      resolve({ status, stdout, stderr });
    });
  });
}

/** The saved keys, oldest first. */
const ORDER = '.saved-in-order';

/** The cache's rule: the exact key, else the newest entry starting with the first restore key that has one. */
function restoreKey(store: string, key: string, restoreKeys: string[]): string | undefined {
  const file = path.join(store, ORDER);
  const saved = fs.existsSync(file) ? fs.readFileSync(file, 'utf8').split('\n').filter(Boolean) : [];
  if (saved.includes(key)) return key;
  for (const prefix of restoreKeys) {
    const newest = saved.filter((name) => name.startsWith(prefix)).at(-1);
    if (newest) return newest;
  }
  return undefined;
}

/** name=value lines and name<<DELIMITER blocks, as the runner reads GITHUB_OUTPUT and GITHUB_ENV. */
export function readKeyValues(file: string): Record<string, string> {
  const lines = fs.readFileSync(file, 'utf8').split('\n');
  const values: Record<string, string> = {};
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const block = /^([^=<]+)<<(.+)$/.exec(line);
    if (block) {
      const end = lines.indexOf(block[2]!, i + 1);
      if (end === -1) throw new Error(`no closing delimiter ${block[2]} in ${file}`);
      values[block[1]!] = lines.slice(i + 1, end).join('\n');
      i = end;
    } else if (line.includes('=')) {
      values[line.slice(0, line.indexOf('='))] = line.slice(line.indexOf('=') + 1);
    }
  }
  return values;
}

function evaluateText(text: string, context: Context): string {
  return text.replace(/\$\{\{\s*(.*?)\s*\}\}/g, (_whole, expression: string) => String(evaluate(expression, context) ?? ''));
}

function evaluateCondition(expression: string, context: Context, failed: boolean): boolean {
  const terms = expression.split('&&').map((term) => term.trim());
  if (!terms.some((term) => term === 'always()') && failed) return false; // success() is implied unless always() is asked
  return terms.every((term) => {
    if (term === 'always()' || term === 'success()') return true;
    const comparison = /^(.+?)\s*==\s*'(.*)'$/.exec(term);
    if (comparison) return String(evaluate(comparison[1]!, context) ?? '') === comparison[2];
    return Boolean(evaluate(term, context));
  });
}

function evaluate(expression: string, context: Context): unknown {
  return expression
    .trim()
    .split('.')
    .reduce<unknown>((value, key) => (value && typeof value === 'object' ? (value as Context)[key] : undefined), context);
}

function withoutUndefined(env: Record<string, string | undefined>): Record<string, string> {
  return Object.fromEntries(Object.entries(env).filter((entry): entry is [string, string] => entry[1] !== undefined));
}
