// The local end of the OAuth redirect: an HTTP listener on 127.0.0.1 that accepts exactly one
// callback carrying the expected state, answers the browser with a small page, and always closes.
import { timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { AuthError, InterruptedError, UsageError } from '../errors.js';

export interface CallbackListenerOptions {
  port: number;
  /** Path of the registered redirect URI, e.g. "/". */
  callbackPath: string;
  state: string;
  timeoutMs: number;
  signal?: AbortSignal;
  /** For the port-in-use sentence. */
  redirectUri?: string;
}

export interface CallbackListener {
  readonly port: number;
  /** Resolves with the authorization code, or rejects with a one-sentence error. */
  code(): Promise<string>;
  /** Stops listening and drops every socket (idempotent). */
  close(): Promise<void>;
}

const PAGE_STYLE = 'font-family:system-ui,sans-serif;max-width:32em;margin:4em auto;line-height:1.5';

function page(title: string, text: string): string {
  return `<!doctype html><html><head><meta charset="utf-8"><title>pinsync: ${title}</title></head><body style="${PAGE_STYLE}"><h1>${title}</h1><p>${text}</p></body></html>`;
}

export async function listenForCallback(options: CallbackListenerOptions): Promise<CallbackListener> {
  let settle: { resolve(code: string): void; reject(error: Error): void } | undefined;
  const outcome = new Promise<string>((resolve, reject) => (settle = { resolve, reject }));
  outcome.catch(() => {}); // observed by code(); avoid an unhandled rejection if nobody waits
  let decided = false;

  const server = http.createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://127.0.0.1');
    if (decided) {
      answer(response, 400, page('Already used', 'This sign-in has already been answered. You can close this tab.'));
      return;
    }
    if (request.method !== 'GET' || url.pathname !== options.callbackPath) {
      answer(response, 404, page('Not found', 'This is pinsync waiting for Pinterest; nothing lives here.'));
      return;
    }
    decided = true;
    server.close(); // exactly one callback: refuse new connections from now on
    const result = judgeCallback(url.searchParams, options.state);
    answer(response, result.status, result.page, () => {
      if (result.code) settle?.resolve(result.code);
      else settle?.reject(result.error ?? new AuthError('The sign-in failed.'));
    });
  });
  server.keepAliveTimeout = 1_000;
  server.requestTimeout = 30_000;

  await listen(server, options);
  const port = (server.address() as AddressInfo).port;

  const timer = setTimeout(() => {
    decided = true;
    settle?.reject(new AuthError(timeoutSentence(options.timeoutMs)));
  }, options.timeoutMs);
  const onAbort = () => {
    decided = true;
    settle?.reject(new InterruptedError('Login cancelled: nothing was saved.'));
  };
  options.signal?.addEventListener('abort', onAbort, { once: true });
  if (options.signal?.aborted) onAbort();

  let closing: Promise<void> | undefined;
  return {
    port,
    code: () => outcome,
    close() {
      closing ??= new Promise<void>((resolve) => {
        clearTimeout(timer);
        options.signal?.removeEventListener('abort', onAbort);
        decided = true;
        server.close(() => resolve());
        server.closeAllConnections();
        if (!server.listening) setImmediate(resolve); // close() already ran; its callback may not fire again
      });
      return closing;
    },
  };
}

function listen(server: http.Server, options: CallbackListenerOptions): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'EADDRINUSE' || error.code === 'EACCES') {
        reject(
          new UsageError(
            `Port ${options.port} on 127.0.0.1 is ${error.code === 'EADDRINUSE' ? 'already in use' : 'not allowed'}: stop what uses it, ` +
              'or pass --port N with --redirect-uri http://localhost:N/ after registering that URI with your Pinterest app.',
          ),
        );
      } else reject(error);
    });
    // 127.0.0.1 only: the code must never be reachable from another machine.
    server.listen(options.port, '127.0.0.1', () => resolve());
  });
}

interface Judgement {
  status: number;
  page: string;
  code?: string;
  error?: Error;
}

function judgeCallback(params: URLSearchParams, expectedState: string): Judgement {
  if (!sameState(params.get('state'), expectedState)) {
    return {
      status: 400,
      page: page('Refused', 'This answer does not belong to the login pinsync started, so it was refused. Run <code>pinsync login</code> again.'),
      error: new AuthError('The answer that reached pinsync did not carry this login\'s state, so it was refused: run `pinsync login` again.'),
    };
  }
  const error = params.get('error');
  if (error) {
    const denied = error === 'access_denied';
    return {
      status: 200,
      page: page('Not signed in', 'pinsync was not given access. You can close this tab.'),
      error: new AuthError(
        denied
          ? 'Access was declined on Pinterest\'s consent page, so pinsync is not logged in: run `pinsync login` again and give access.'
          : `Pinterest answered the sign-in with an error (${safeErrorCode(error)}): run \`pinsync login\` again.`,
      ),
    };
  }
  const code = params.get('code');
  if (!code) {
    return {
      status: 400,
      page: page('Refused', 'The answer held no authorization code. Run <code>pinsync login</code> again.'),
      error: new AuthError('Pinterest\'s answer held no authorization code: run `pinsync login` again.'),
    };
  }
  return { status: 200, page: page('Signed in', 'pinsync is signed in to Pinterest. You can close this tab and return to the terminal.'), code };
}

function sameState(received: string | null, expected: string): boolean {
  if (received === null) return false;
  const a = Buffer.from(received);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** The error parameter comes from the network: print it only when it looks like an OAuth error code. */
function safeErrorCode(error: string): string {
  return /^[a-z_]{1,40}$/.test(error) ? error : 'unrecognised error';
}

function timeoutSentence(timeoutMs: number): string {
  return `No answer from the browser within ${describeSpan(timeoutMs)}, so the login was abandoned: run \`pinsync login\` again and approve the consent page.`;
}

function describeSpan(ms: number): string {
  const plural = (n: number, unit: string) => `${n} ${unit}${n === 1 ? '' : 's'}`;
  if (ms >= 60_000 && ms % 60_000 === 0) return plural(ms / 60_000, 'minute');
  if (ms >= 1000) return plural(Math.round(ms / 1000), 'second');
  return `${ms} ms`;
}

function answer(response: http.ServerResponse, status: number, html: string, then?: () => void): void {
  response.writeHead(status, {
    'content-type': 'text/html; charset=utf-8',
    'cache-control': 'no-store',
    connection: 'close',
    'referrer-policy': 'no-referrer',
  });
  response.end(html, then);
}
