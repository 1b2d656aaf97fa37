// Stopping a run at a chosen moment: once the sandbox has acknowledged N more writes, or anything else
// the test can see. In-process, `stop()` is what the first Ctrl-C or SIGTERM does; a spawned CLI gets
// the real signal (or kill -9).
import type { Sandbox } from '../../src/sandbox/server.js';
import type { CliResult, RunningCli, SpawnedCli } from './cli.js';
import type { InProcessRun } from './in-process.js';

/** True once the sandbox has acknowledged `writes` more writes than now. */
export function afterMoreWrites(sandbox: Sandbox, writes: number): () => boolean {
  const target = sandbox.state.stats.successfulWrites + writes;
  return () => sandbox.state.stats.successfulWrites >= target;
}

/** Resolves once `condition()` holds; rejects if the run ends first, or after `timeoutMs`. */
export async function waitWhileRunning(run: RunningCli, condition: () => boolean | Promise<boolean>, what: string, timeoutMs = 30_000): Promise<void> {
  const giveUpAt = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (run.ended()) throw new Error(`the run ended before ${what}:\n${run.stderr()}`);
    if (Date.now() > giveUpAt) throw new Error(`gave up after ${timeoutMs} ms waiting until ${what}:\n${run.stderr()}`);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

/** Ctrl-C in-process once `condition()` holds; the run's result. */
export async function stopWhen(run: InProcessRun, condition: () => boolean, what: string): Promise<CliResult> {
  await waitWhileRunning(run, condition, what);
  run.stop();
  return run.result;
}

/** A real signal to the spawned CLI once `condition()` holds; its result. */
export async function signalWhen(cli: SpawnedCli, condition: () => boolean, signal: NodeJS.Signals, what: string): Promise<CliResult> {
  await waitWhileRunning(cli, condition, what);
  cli.kill(signal);
  return cli.result;
}
