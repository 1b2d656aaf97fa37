// Who hears how a run ended, besides its own output: `--notify URL` (repeatable) and `--notify-on`,
// `--ping URL`, `--metrics-file PATH` on push, sync and run, and `notify:`, `notify_on:`, `ping:`,
// `metrics_file:` in a jobs file. Webhook URLs carry their secret in the address (a Slack webhook's
// path, a healthchecks UUID), so they are registered as secrets at once and never sent in clear.
import { UsageError } from '../errors.js';
import { registerSecret } from '../redact.js';

export type NotifyOn = 'failure' | 'always';
export const NOTIFY_ON_CHOICES: readonly NotifyOn[] = ['failure', 'always'];

export interface AnnounceOptions {
  /** Webhooks POSTed a JSON body with a Slack-compatible `text` and the report. */
  notify?: string[];
  /** `failure` (default): only when the run ends other than 0. */
  notifyOn?: NotifyOn;
  /** healthchecks.io-style ping URL: URL/start, then URL or URL/fail. */
  ping?: string;
  /** node_exporter textfile (Prometheus) written at the end. */
  metricsFile?: string;
}

/** Why a webhook URL cannot be used, in words that never repeat the URL; undefined when it can. */
export function webhookUrlProblem(url: string): string | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return 'is not a URL (it must start with https://)';
  }
  if (parsed.protocol === 'https:') return undefined;
  if (parsed.protocol === 'http:' && isLoopback(parsed.hostname)) return undefined;
  if (parsed.protocol === 'http:') return 'must use https:// (a webhook address carries its secret, and http:// would send it in clear; only a loopback address may use http://)';
  return 'must be an https:// URL';
}

function isLoopback(hostname: string): boolean {
  return hostname === 'localhost' || hostname === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(hostname);
}

/** A checked webhook URL, remembered as a secret (it is never printed; logs name its host only). */
export function webhookUrl(name: string, url: string): string {
  const trimmed = url.trim();
  registerSecret(trimmed);
  const problem = webhookUrlProblem(trimmed);
  if (problem) throw new UsageError(`${name} ${problem}.`);
  return trimmed;
}

/** "hooks.slack.com": how a webhook is named in messages. */
export function webhookHost(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return 'the webhook';
  }
}
