// Entry point: builds the commander program, catches errors once, sets process.exitCode.
import path from 'node:path';
import { createRequire } from 'node:module';
import { Command, CommanderError } from 'commander';
import { setInterruptSignal } from './commands/action.js';
import { registerAccounts } from './commands/accounts.js';
import { registerAudiences } from './commands/audiences.js';
import { registerAuth } from './commands/auth.js';
import { registerDoctor } from './commands/doctor.js';
import { registerPush } from './commands/push.js';
import { registerRun } from './commands/run.js';
import { registerRuns } from './commands/runs.js';
import { registerSandbox } from './commands/sandbox.js';
import { registerSync } from './commands/sync.js';
import { dropOutputOnceBroken } from './context.js';
import { ExitCode, PinsyncError } from './errors.js';
import { resolvePaths } from './paths.js';
import { redact } from './redact.js';
import { stateUnavailable } from './state/database.js';

const { version } = createRequire(import.meta.url)('../package.json') as { version: string };

export function buildProgram(): Command {
  const program = new Command('pinsync')
    .description('Sync your own customer lists into Pinterest ad audiences.')
    .version(version, '-V, --version')
    .option('--profile <name>', 'credentials and defaults to use (env PINSYNC_PROFILE)')
    .option('--debug', 'print stack traces and request details (secrets stay redacted)')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride()
    .configureOutput({ outputError: (text, write) => write(redact(commanderErrorInOurVoice(text))) });
  registerAuth(program);
  registerAccounts(program);
  registerAudiences(program);
  registerPush(program);
  registerSync(program);
  registerRun(program);
  registerRuns(program);
  registerDoctor(program);
  registerSandbox(program);
  for (const command of program.commands) inheritOverrides(command);
  return program;
}

/**
 * Commander says "error: option '--x <n>' argument 'v' is invalid. <our sentence>": keep one sentence,
 * prefixed "pinsync:" like every other error.
 */
function commanderErrorInOurVoice(text: string): string {
  const invalid = /^error: option '(--[\w-]+)[^']*' argument '([^']*)' is invalid\. (.*)$/s.exec(text);
  if (invalid) {
    const [, flag, value, reason] = invalid;
    const choices = /^Allowed choices are (.*)\.\s*$/s.exec(reason!);
    return choices ? `pinsync: ${flag} takes one of ${choices[1]}, not "${value}".\n` : `pinsync: ${reason}`;
  }
  return text.replace(/^error: /, 'pinsync: ');
}

/** Sub-commands need exitOverride too, or commander calls process.exit on bad flags. */
function inheritOverrides(command: Command): void {
  command.exitOverride();
  command.showHelpAfterError('(run with --help for usage)');
  for (const sub of command.commands) inheritOverrides(sub);
}

/**
 * SIGINT (Ctrl-C) and SIGTERM (`timeout`, CI cancellation, `kill`) stop a run alike: the first
 * aborts the run's signal (waits are cut, requests on the wire get a short grace, the summary is
 * printed, exit 130); a second one quits at once.
 */
function installInterruptHandler(): void {
  const controller = new AbortController();
  setInterruptSignal(controller.signal);
  const stop = (signal: NodeJS.Signals) => {
    if (controller.signal.aborted) {
      process.stderr.write(`\n${signal} again: quitting now.\n`);
      process.exit(ExitCode.interrupted);
    }
    process.stderr.write(`\nStopping (${signal}): recording what was sent (${signal === 'SIGINT' ? 'Ctrl-C' : signal} again to quit at once)…\n`);
    controller.abort();
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

export function reportError(thrown: unknown, debug: boolean): number {
  const error = stateProblem(thrown) ?? thrown;
  if (error instanceof CommanderError) {
    if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version' || error.code === 'commander.help') {
      return ExitCode.ok;
    }
    return ExitCode.usage;
  }
  if (error instanceof PinsyncError) {
    process.stderr.write(`pinsync: ${redact(error.message)}\n`);
    if (debug && error.stack) process.stderr.write(redact(error.stack) + '\n');
    return error.exitCode;
  }
  const message = error instanceof Error ? error.message : String(error);
  process.stderr.write(`pinsync: unexpected error: ${redact(message)}. Run again with --debug for details.\n`);
  if (debug && error instanceof Error && error.stack) process.stderr.write(redact(error.stack) + '\n');
  return ExitCode.internal;
}

/**
 * A SQLite error that escaped a run (busy or full state file), or a file-system error on pinsync's own
 * folders (PINSYNC_HOME is a file, read-only, full): the same sentence the journal gives.
 */
function stateProblem(error: unknown): PinsyncError | undefined {
  const { code, path: failedPath } = (error ?? {}) as { code?: unknown; path?: unknown };
  if (typeof code !== 'string') return undefined;
  const paths = resolvePaths(process.env);
  if (code.startsWith('SQLITE_')) return stateUnavailable(paths.stateFile, error);
  if (typeof failedPath !== 'string') return undefined;
  const own = [paths.configFile, paths.stateFile].find((file) => failedPath === file || failedPath.startsWith(path.dirname(file) + path.sep));
  return own ? stateUnavailable(own, error) : undefined;
}

async function main(argv: string[]): Promise<void> {
  dropOutputOnceBroken(process.stdout);
  dropOutputOnceBroken(process.stderr);
  installInterruptHandler();
  const debug = argv.includes('--debug');
  try {
    await buildProgram().parseAsync(argv);
  } catch (error) {
    process.exitCode = reportError(error, debug);
  }
}

await main(process.argv);
