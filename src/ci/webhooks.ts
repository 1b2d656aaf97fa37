// The HTTP side of a run's end: notifications (`--notify URL`: a JSON POST whose `text` Slack, Mattermost
// and most chat webhooks show, plus the report) and healthchecks.io-style pings (`--ping URL`: URL/start
// when the run starts, URL when it ends 0, URL/fail otherwise; https://healthchecks.io/docs/http_api/,
// and a `rid` run id pairs a start with its end: https://healthchecks.io/docs/measuring_script_run_time/).
// Each request gets a few seconds and one try: a notification that fails is a warning, never the run's
// failure, and a listener that hangs costs the run at most the timeout. URLs are named by host only.
import { randomUUID } from 'node:crypto';
import os from 'node:os';
import type { Dispatcher } from 'undici';
import type { Context, Env } from '../context.js';
import { webhookHost } from './announce-options.js';
import type { EndedRun } from './ended-run.js';

/** How long one notification or ping may take. */
export const WEBHOOK_TIMEOUT_MS = 5_000;
/** healthchecks keeps the first 100 kB of a ping's body as its log; ours is the summary, far less. */
const PING_BODY_LIMIT = 10_000;

interface Post {
  url: string;
  body: string;
  contentType: string;
  /** "notification", "start ping", "ping": for the warning. */
  what: string;
}

/** Sends each request once, side by side, each within the timeout; says which failed. Never throws. */
export async function postAll(ctx: Context, posts: readonly Post[]): Promise<void> {
  if (posts.length === 0) return;
  let dispatcher: Dispatcher | undefined;
  try {
    const { createDispatcher } = await import('../pinterest/transport.js'); // undici: loaded only when a webhook is set
    const { request } = await import('undici');
    dispatcher = createDispatcher(ctx.env); // throws on a proxy variable that is not a URL
    const through = dispatcher;
    await Promise.all(
      posts.map(async (post) => {
        const failure = await attempt(post, (signal) =>
          request(post.url, {
            method: 'POST',
            dispatcher: through,
            headers: { 'content-type': post.contentType, 'user-agent': 'pinsync' },
            body: post.body,
            signal,
            headersTimeout: WEBHOOK_TIMEOUT_MS,
            bodyTimeout: WEBHOOK_TIMEOUT_MS,
          }),
        );
        if (failure) warnFailed(ctx, post, failure);
        else ctx.debugLog(`${post.what} sent to ${webhookHost(post.url)}`);
      }),
    );
  } catch (error) {
    // Only the set-up gets here (each post's own failure is caught by attempt): none was sent.
    for (const post of posts) warnFailed(ctx, post, errorCode(error) ?? 'error');
  } finally {
    await dispatcher?.destroy().catch(() => {});
  }
}

function warnFailed(ctx: Context, post: Post, why: string): void {
  ctx.warn(`The ${post.what} to ${webhookHost(post.url)} failed (${why}); the run's own result stands.`);
}

/** An error's code, never its message: a proxy URL may hold a password. */
function errorCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' ? code : undefined;
}

type Send = (signal: AbortSignal) => Promise<{ statusCode: number; body: { dump(): Promise<void> } }>;

/** undefined when the listener answered 2xx; else a few words on what went wrong. */
async function attempt(post: Post, send: Send): Promise<string | undefined> {
  const signal = AbortSignal.timeout(WEBHOOK_TIMEOUT_MS);
  try {
    const answer = await send(signal);
    await answer.body.dump().catch(() => {});
    return answer.statusCode >= 200 && answer.statusCode < 300 ? undefined : `HTTP ${answer.statusCode}`;
  } catch (error) {
    if (signal.aborted) return `no answer within ${WEBHOOK_TIMEOUT_MS / 1000} s`;
    return errorCode(error) ?? 'network error';
  }
}

/** A healthchecks-style check: the start ping goes out when the run starts, the end ping after it. */
export class Ping {
  private readonly runId = randomUUID();
  private started: Promise<void> | undefined;

  constructor(
    private readonly ctx: Context,
    private readonly url: string,
  ) {}

  /** URL/start, sent without holding up the run (its end waits for it); a failure is a warning, never a rejection left unheard. */
  start(): void {
    this.started ??= (async () => postAll(this.ctx, [{ url: this.address('/start'), body: '', contentType: 'text/plain', what: 'start ping' }]))().catch((error: unknown) =>
      this.ctx.warn(`The start ping to ${webhookHost(this.url)} failed (${errorCode(error) ?? 'error'}); the run's own result stands.`),
    );
  }

  /** URL (exit 0) or URL/fail, with the summary as the body healthchecks keeps as the ping's log. */
  async end(ended: EndedRun, summary: string): Promise<void> {
    await this.started;
    const path = ended.exitCode === 0 ? '' : '/fail';
    await postAll(this.ctx, [{ url: this.address(path), body: summary.slice(0, PING_BODY_LIMIT), contentType: 'text/plain; charset=utf-8', what: 'ping' }]);
  }

  private address(suffix: string): string {
    const url = new URL(this.url);
    url.pathname = url.pathname.replace(/\/$/, '') + suffix;
    url.searchParams.set('rid', this.runId);
    return url.toString();
  }
}

/** The notifications' body: Slack's `text`, then the same facts as fields, and the report. */
function notificationBody(ended: EndedRun, env: Env): string {
  return JSON.stringify({
    text: notificationText(ended, env),
    command: ended.command,
    exitCode: ended.exitCode,
    message: ended.sentence,
    todo: ended.todo,
    runIds: ended.runIds,
    where: whereItRan(env),
    report: ended.report ?? null,
  });
}

/** "pinsync sync on db-1 failed (exit 3): 12 rows could not be delivered … https://github.com/…/runs/9" */
export function notificationText(ended: EndedRun, env: Env): string {
  const how = ended.exitCode === 0 ? 'succeeded' : `failed (exit ${ended.exitCode})`;
  const link = runLink(env);
  const todo = ended.todo.length > 0 ? `\n${ended.todo.map((item) => `• ${item}`).join('\n')}` : '';
  return `pinsync ${ended.command}${ended.dryRun ? ' (dry run)' : ''} ${whereItRan(env)} ${how}: ${ended.sentence}${todo}${link ? `\n${link}` : ''}`;
}

/** "in owner/repo (workflow)" on GitHub Actions, else "on <host name>". */
function whereItRan(env: Env): string {
  if (env.GITHUB_ACTIONS === 'true' && env.GITHUB_REPOSITORY) return `in ${env.GITHUB_REPOSITORY}${env.GITHUB_WORKFLOW ? ` (${env.GITHUB_WORKFLOW})` : ''}`;
  return `on ${os.hostname()}`;
}

/** The run's page on GitHub (default variables GITHUB_SERVER_URL, GITHUB_REPOSITORY, GITHUB_RUN_ID). */
function runLink(env: Env): string | undefined {
  if (env.GITHUB_ACTIONS !== 'true' || !env.GITHUB_SERVER_URL || !env.GITHUB_REPOSITORY || !env.GITHUB_RUN_ID) return undefined;
  return `${env.GITHUB_SERVER_URL}/${env.GITHUB_REPOSITORY}/actions/runs/${env.GITHUB_RUN_ID}`;
}

export function notifications(urls: readonly string[], ended: EndedRun, env: Env): Post[] {
  const body = notificationBody(ended, env);
  return urls.map((url) => ({ url, body, contentType: 'application/json', what: 'notification' }));
}
