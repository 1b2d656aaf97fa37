// The pinsync program, runnable in this process: builds the commander program on the IO it is given
// (streams, environment, the stop signal), runs one command line, catches errors once and returns
// the exit code. main.ts hands it the real process; tests hand it pipes (gh's IOStreams.Test()).
import path from 'node:path';
import { Command, CommanderError } from 'commander';
import { bindProgramIO } from './commands/action.js';
import { registerAccounts } from './commands/accounts.js';
import { registerAudiences } from './commands/audiences.js';
import { registerAuth } from './commands/auth.js';
import { registerCompletion } from './commands/completion.js';
import { registerDoctor } from './commands/doctor.js';
import { addExamples } from './commands/examples.js';
import { registerPush } from './commands/push.js';
import { registerRun } from './commands/run.js';
import { registerRuns } from './commands/runs.js';
import { registerSandbox } from './commands/sandbox.js';
import { registerSync } from './commands/sync.js';
import type { ProgramIO } from './context.js';
import { ExitCode, PinsyncError } from './errors.js';
import { resolvePaths } from './paths.js';
import { redact } from './redact.js';
import { stateProblem } from './state/database.js';
import { version } from './version.js';


export function buildProgram(io: ProgramIO): Command {
  const program = new Command('pinsync')
    .description('Sync your own customer lists into Pinterest ad audiences.')
    .version(version, '-V, --version')
    .option('--profile <name>', 'credentials and defaults to use (env PINSYNC_PROFILE)')
    .option('--debug', 'print stack traces and request details (secrets stay redacted)')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride()
    .configureOutput({
      writeOut: (text) => io.stdout.write(text),
      writeErr: (text) => io.stderr.write(text),
      outputError: (text, write) => write(redact(commanderErrorInOurVoice(text))),
    });
  registerAuth(program);
  registerAccounts(program);
  registerAudiences(program);
  registerPush(program);
  registerSync(program);
  registerRun(program);
  registerRuns(program);
  registerDoctor(program);
  registerSandbox(program);
  registerCompletion(program);
  addExamples(program);
  for (const command of program.commands) inheritOverrides(command, program);
  return program;
}

/** Runs one command line (`argv` as in process.argv: node, script, args…) and returns its exit code. */
export async function runProgram(argv: readonly string[], io: ProgramIO): Promise<number> {
  const program = buildProgram(io);
  const run = bindProgramIO(program, io);
  try {
    await program.parseAsync([...argv]);
    return run.exitCode;
  } catch (error) {
    return reportError(error, argv.includes('--debug'), io);
  }
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
  const argument = /^error: command-argument value '([^']*)' is invalid for argument '([^']*)'\. Allowed choices are (.*)\.\s*$/s.exec(text);
  if (argument) return `pinsync: <${argument[2]}> takes one of ${argument[3]}, not "${argument[1]}".\n`;
  return text.replace(/^error: /, 'pinsync: ');
}

/** Sub-commands need exitOverride and the program's output too, or commander calls process.exit and writes to process.stdout. */
function inheritOverrides(command: Command, program: Command): void {
  command.exitOverride();
  command.showHelpAfterError('(run with --help for usage)');
  command.configureOutput(program.configureOutput());
  for (const sub of command.commands) inheritOverrides(sub, program);
}

function reportError(thrown: unknown, debug: boolean, io: Pick<ProgramIO, 'stderr' | 'env'>): number {
  const error = stateProblem(thrown, resolvePaths(io.env)) ?? thrown;
  if (error instanceof CommanderError) {
    if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version' || error.code === 'commander.help') {
      return ExitCode.ok;
    }
    return ExitCode.usage;
  }
  if (error instanceof PinsyncError) {
    io.stderr.write(`pinsync: ${redact(error.message)}\n`);
    if (debug && error.stack) io.stderr.write(redact(error.stack) + '\n');
    return error.exitCode;
  }
  const message = error instanceof Error ? error.message : String(error);
  io.stderr.write(`pinsync: unexpected error: ${redact(message)}. Run again with --debug for details.\n`);
  if (debug && error instanceof Error && error.stack) io.stderr.write(redact(error.stack) + '\n');
  return ExitCode.internal;
}
