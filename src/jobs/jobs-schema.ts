// The jobs file's shape (`pinsync run`, contract "Jobs file"): which keys exist, their types and
// ranges, as a zod schema so a typo or a wrong type is reported with its key. Checks that need more
// than one key (file xor command, duplicate names, files on disk) are in jobs-file.ts.
import { z } from 'zod';
import { MAX_BATCH_SIZE, MIN_BATCH_SIZE } from '../runs/limits.js';

const text = z.string().trim().min(1, { error: 'must not be empty' });
/** Ad account ids are digits; YAML reads an unquoted one as a number. */
const adAccountId = z.union([text, z.number().int().nonnegative().transform(String)], {
  error: 'must be an ad account id',
});
const pathList = z.union([text.transform((one) => [one]), z.array(text)], { error: 'must be a file name or a list of file names' });
/** A duration such as 13h, 90m, 30s, or a number of seconds (checked in jobs-file.ts). */
const duration = z.union([text, z.number().positive()], { error: 'must be a duration such as 13h, 90m or 30s' });

/** One job: every push/sync flag in snake_case, plus name, mode and its input. */
export const jobSchema = z.strictObject({
  name: text,
  mode: z.enum(['push', 'remove', 'sync'], { error: 'must be push, remove or sync' }).default('push'),
  file: text.optional(),
  command: text.optional(),
  audience: text.optional(),
  audience_column: text.optional(),
  max_new_audiences: z.number().int({ error: 'must be a whole number' }).min(0, { error: 'must be 0 or more' }).optional(),
  ad_account: adAccountId.optional(),
  create: z.boolean().optional(),
  description: z.string().optional(),
  format: z.enum(['csv', 'ndjson'], { error: 'must be csv or ndjson' }).optional(),
  delimiter: z.string().min(1).optional(),
  email_column: text.optional(),
  maid_column: text.optional(),
  idfa_column: text.optional(),
  phone_column: text.optional(),
  phone_country: text.optional(),
  rows: z.enum(['v1', 'v2']).optional(),
  batch_size: z
    .number()
    .int({ error: 'must be a whole number' })
    .min(MIN_BATCH_SIZE, { error: `must be from ${MIN_BATCH_SIZE} to ${MAX_BATCH_SIZE}` })
    .max(MAX_BATCH_SIZE, { error: `must be from ${MIN_BATCH_SIZE} to ${MAX_BATCH_SIZE}` })
    .optional(),
  flush_interval: z.number().positive({ error: 'must be a number of seconds above 0' }).optional(),
  retry_for: duration.optional(),
  audience_wait: duration.optional(),
  wait_ready: z.union([z.literal(true), duration]).optional(),
  warn_size_drop: z.number().min(0, { error: 'must be a percentage from 0 to 100' }).max(100, { error: 'must be a percentage from 0 to 100' }).optional(),
  max_remove: z.number().min(0, { error: 'must be a percentage from 0 to 100' }).max(100, { error: 'must be a percentage from 0 to 100' }).optional(),
  force: z.boolean().optional(),
  allow_missing_identifiers: z.boolean().optional(),
  restart: z.boolean().optional(),
  dry_run: z.boolean().optional(),
  exclude: pathList.optional(),
  rejects: text.optional(),
  report: text.optional(),
});

const urlList = z.union([text.transform((one) => [one]), z.array(text)], { error: 'must be a URL or a list of URLs' });

export const jobsFileSchema = z.strictObject({
  ad_account: adAccountId.optional(),
  exclude: pathList.optional(),
  /** Webhooks told when the run ends other than 0 (or always, with notify_on); `${VAR}` reads the environment. */
  notify: urlList.optional(),
  notify_on: z.enum(['failure', 'always'], { error: 'must be failure or always' }).optional(),
  /** A healthchecks.io-style ping URL; `${VAR}` reads the environment. */
  ping: text.optional(),
  /** Prometheus textfile written at the end, relative to the jobs file. */
  metrics_file: text.optional(),
  /** Write requests per second shared by every job (default 7, Pinterest's limit per token). */
  rate: z.number().positive({ error: 'must be a number of requests per second above 0' }).optional(),
  jobs: z.array(jobSchema, { error: (issue) => (issue.input === undefined ? 'is missing' : 'must be a list of jobs') }).min(1, { error: 'must list at least one job' }),
});

export type JobEntry = z.infer<typeof jobSchema>;
export type JobsFileEntry = z.infer<typeof jobsFileSchema>;
