// What every push and sync run opens before it reads a row, in the order that keeps "exit 2 means
// nothing was sent" true: output paths checked, the input opened, the exclusion files loading in the
// background, then the client (the input is closed again when connecting fails).
import type { Context } from '../context.js';
import { checkOutputPaths, outputPathsOf } from '../report/output-file.js';
import type { Exclusions } from '../identify/exclusions.js';
import { startLoadingExclusions } from '../identify/exclusion-loader.js';
import type { InputOptions } from './options.js';
import type { RunSettings } from './settings.js';
import { openInput, type InputSource } from '../input/source.js';

export interface RunInputs<Client> {
  source: InputSource;
  /** Awaited with exclusionsReady() once the audience is known. */
  loadingExclusions: Promise<Exclusions>;
  client: Client;
}

export async function openRunInputs<Client>(
  ctx: Context,
  input: string,
  options: InputOptions,
  settings: RunSettings,
  connect: () => Promise<Client>,
): Promise<RunInputs<Client>> {
  checkOutputPaths(input, outputPathsOf(options));
  const source = await openInput(input, ctx.stdin, options.format);
  const forced = ctx.env.PINSYNC_EXCLUSION_WORKER;
  const loadingExclusions = startLoadingExclusions(options.exclude, { delimiter: settings.delimiter, onWorker: forced === undefined ? undefined : forced === '1' });
  try {
    return { source, loadingExclusions, client: await connect() };
  } catch (error) {
    source.close();
    throw error;
  }
}
