// Entry point: hands the real process (streams, environment, signals) to the program and sets
// process.exitCode from what it returns. Everything else is in program.ts, which tests run in-process.
// `pinsync --version` alone is answered before the program (commander and every command) is loaded:
// scripts and CI steps call it to check the install, and it should cost little more than Node's start.
import { ExitCode } from './errors.js';
import { version } from './version.js';

const args = process.argv.slice(2);
if (args.length === 1 && (args[0] === '--version' || args[0] === '-V')) {
  process.stdout.write(`${version}\n`);
} else {
  await runTheProgram();
}

/**
 * SIGINT (Ctrl-C) and SIGTERM (`timeout`, CI cancellation, `kill`) stop a run alike: the first
 * aborts the run's signal (waits are cut, requests on the wire get a short grace, the summary is
 * printed, exit 130); a second one quits at once.
 */
function interruptSignal(): AbortSignal {
  const controller = new AbortController();
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
  return controller.signal;
}

async function runTheProgram(): Promise<void> {
  const [{ dropOutputOnceBroken, processIO }, { runProgram }] = await Promise.all([import('./context.js'), import('./program.js')]);
  dropOutputOnceBroken(process.stdout);
  dropOutputOnceBroken(process.stderr);
  const exitCode = await runProgram(process.argv, processIO(interruptSignal()));
  // Exit once stdout and stderr are flushed rather than when the last handle closes (worker threads,
  // sockets): a signal that lands while Node tears itself down finds no handler and kills the process
  // (a second SIGTERM just after a run ended would turn exit 130 into death by SIGTERM).
  await Promise.all([flushed(process.stdout), flushed(process.stderr)]);
  process.exit(exitCode);
}

/** Resolves once everything written to the stream before has been handed to the system (or the stream broke). */
function flushed(stream: NodeJS.WriteStream): Promise<void> {
  return new Promise((resolve) => stream.write('', () => resolve()));
}
