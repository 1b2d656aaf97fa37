// Entry point: hands the real process (streams, environment, signals) to the program and sets
// process.exitCode from what it returns. Everything else is in program.ts, which tests run in-process.
import { dropOutputOnceBroken, processIO } from './context.js';
import { ExitCode } from './errors.js';
import { stopEveryCommandNow } from './jobs/command-input.js';
import { runProgram } from './program.js';

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

// However pinsync ends (a second signal quits at once), no jobs-file command is left running under init.
process.on('exit', stopEveryCommandNow);
dropOutputOnceBroken(process.stdout);
dropOutputOnceBroken(process.stderr);
process.exitCode = await runProgram(process.argv, processIO(interruptSignal()));
