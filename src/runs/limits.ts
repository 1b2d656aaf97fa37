// The batch limits --batch-size (and a jobs file's batch_size:) is checked against, in a module that
// imports nothing: every command's help reads them at start-up (commands/input-flags.ts).

/** Records per request: Pinterest's limit, and the reference product's batch. */
export const MAX_BATCH_SIZE = 1900;
export const MIN_BATCH_SIZE = 3;
