// The input, batching and report flags that push, sync and `audiences create --from` share.
import { InvalidArgumentError, Option, type Command } from 'commander';
import { NOTIFY_ON_CHOICES, webhookUrl } from '../ci/announce-options.js';
import { PinsyncError } from '../errors.js';
import { parseDuration, parseInteger, parseNumber } from './action.js';
import { MAX_BATCH_SIZE } from '../runs/limits.js';

/** Repeatable flag: each occurrence adds a file. */
function collectFiles(file: string, earlier: string[] = []): string[] {
  return [...earlier, file];
}

/**
 * Adds the input, batching and report flags. Defaults are applied by the runs (so `audiences
 * create` can tell which were given); `note` prefixes each help line, e.g. "with --from: ".
 */
export function addInputOptions(command: Command, note = ''): Command {
  return command
    .addOption(new Option('--format <format>', `${note}input format (default: from the extension)`).choices(['csv', 'ndjson']))
    .option('--delimiter <char>', `${note}CSV field delimiter (default ","; "tab" or "\\t" for tabs)`)
    .option('--email-column <name>', `${note}column (or NDJSON field) holding email addresses`)
    .option('--maid-column <name>', `${note}column holding mobile advertising ids (GAID/AAID)`)
    .option('--idfa-column <name>', `${note}column holding Apple IDFAs`)
    .option('--phone-column <name>', `${note}column holding phone numbers (sent hashed, in records_v2 rows)`)
    .option('--phone-country <code>', `${note}country of phone numbers written without +, e.g. US, GB, DE`)
    .addOption(new Option('--rows <format>', `${note}v2: one records_v2 row per user with all its identifiers (API 5.28; the default with a phone column), v1: the records string`).choices(['v1', 'v2']))
    .option('--exclude <file>', `${note}users never to upload (opt-outs), CSV or NDJSON, plain or hashed; repeatable`, collectFiles)
    .option('--batch-size <n>', `${note}records per request (default and max ${MAX_BATCH_SIZE})`, parseInteger('--batch-size', 3, MAX_BATCH_SIZE))
    .option('--flush-interval <seconds>', `${note}send a partial batch this long after its first row (default 5)`, parseNumber('--flush-interval', 0.05, 3600))
    .option('--rate <qps>', `${note}write requests per second (default 7)`, parseNumber('--rate', 0.1, 1000))
    .option('--retry-for <duration>', `${note}how long a failing batch is retried, e.g. 30m (default 13h)`, parseDuration('--retry-for'))
    .option('--audience-wait <duration>', `${note}with --create: how long the end of the run waits for Pinterest to accept the new audience while its list is processing (default 2m)`, parseDuration('--audience-wait'))
    .option('--wait-ready [duration]', `${note}wait (default at most 30m) for Pinterest to match the upload, then record the audience size against the users synced (\`pinsync runs\`)`, parseDuration('--wait-ready'))
    .option('--warn-size-drop <percent>', `${note}warn when the audience shrinks by more than this between runs (default 20)`, parseNumber('--warn-size-drop', 0, 100))
    .option('--allow-missing-identifiers', `${note}send even when most rows have no valid identifier (the wrong-mapping guard; nothing else)`)
    .option('--restart', `${note}start over instead of resuming an unfinished run of the same command`)
    .option('--report <file>', `${note}write the run report (JSON) to FILE`)
    .option('--rejects <file>', `${note}write \`line,reason\` for every row not synced or errored to FILE`)
    .option('--no-progress', `${note}no progress bar or progress lines`);
}

/** push and sync: each row names its own audience (instead of --audience). */
export function addAudienceColumnOption(command: Command): Command {
  return command
    .option('--audience-column <name>', 'column (or NDJSON field) naming each row\'s audience, by name or id, instead of --audience')
    .option('--max-new-audiences <n>', 'with --create: stop before creating any audience when more than this many would be made (default 20)', parseInteger('--max-new-audiences', 0, 1_000_000));
}

/** push, sync and run: who hears how the run ended (src/ci/). */
export function addAnnounceOptions(command: Command): Command {
  return command
    .option('--notify <url>', 'POST a JSON summary (Slack-compatible `text` plus the report) to URL when the run fails; repeatable', collectWebhooks('--notify'))
    .addOption(new Option('--notify-on <when>', 'when to --notify: failure (default: exit other than 0) or always').choices(NOTIFY_ON_CHOICES))
    .option('--ping <url>', 'healthchecks.io-style pings: URL/start when the run starts, URL when it ends 0, URL/fail otherwise', (url: string) => checkedWebhook('--ping', url))
    .option('--metrics-file <file>', 'write Prometheus metrics (node_exporter textfile format) to FILE at the end');
}

function collectWebhooks(flag: string) {
  return (url: string, earlier: string[] = []): string[] => [...earlier, checkedWebhook(flag, url)];
}

/** A bad URL is a usage error that never repeats the URL (it holds a secret). */
function checkedWebhook(flag: string, url: string): string {
  try {
    return webhookUrl(flag, url);
  } catch (error) {
    throw new InvalidArgumentError(error instanceof PinsyncError ? error.message : String(error));
  }
}
