// The loopback listener over real HTTP: one callback with the right state wins, everything else is
// refused with a clear sentence, and the listener is always closed afterwards.
import { afterEach, describe, expect, it } from 'vitest';
import { AuthError, InterruptedError, UsageError } from '../../src/errors.js';
import { listenForCallback, type CallbackListener } from '../../src/auth/loopback.js';
import { canConnect } from '../support/listening.js';

const STATE = 'expected-state-0123456789';
let listener: CallbackListener | undefined;

afterEach(async () => {
  await listener?.close();
  listener = undefined;
});

async function start(timeoutMs = 10_000, signal?: AbortSignal): Promise<CallbackListener> {
  listener = await listenForCallback({ port: 0, callbackPath: '/', state: STATE, timeoutMs, signal });
  return listener;
}

function callback(port: number, query: string, path = '/'): Promise<Response> {
  return fetch(`http://127.0.0.1:${port}${path}?${query}`);
}

describe('loopback callback listener', () => {
  it('accepts the callback with the right state, answers a closable page, then stops listening', async () => {
    const { port, code, close } = await start();
    const response = await callback(port, `code=the-code&state=${STATE}`);
    expect(response.status).toBe(200);
    expect(await response.text()).toContain('You can close this tab');
    await expect(code()).resolves.toBe('the-code');
    await close();
    expect(await canConnect(port)).toBe(false);
  });

  it('refuses a tampered state with a 400 page and fails the login', async () => {
    const { port, code } = await start();
    const response = await callback(port, 'code=stolen&state=not-the-state');
    expect(response.status).toBe(400);
    await expect(code()).rejects.toThrow(AuthError);
    await expect(code()).rejects.toThrow(/state/);
  });

  it('refuses a second callback after the first one', async () => {
    const { port, code } = await start();
    await callback(port, `code=first&state=${STATE}`);
    await expect(code()).resolves.toBe('first');
    // The first callback stopped the listener: a second one is refused (400 on a kept-alive
    // connection, or no connection at all).
    const second = await callback(port, `code=second&state=${STATE}`).then(
      (response) => response.status,
      () => 'refused',
    );
    expect([400, 'refused']).toContain(second);
  });

  it('ignores other paths (favicon) and keeps waiting', async () => {
    const { port, code } = await start();
    expect((await callback(port, '', '/favicon.ico')).status).toBe(404);
    await callback(port, `code=after-favicon&state=${STATE}`);
    await expect(code()).resolves.toBe('after-favicon');
  });

  it('turns access_denied into a clear sentence', async () => {
    const { port, code } = await start();
    const response = await callback(port, `error=access_denied&state=${STATE}`);
    expect(await response.text()).toContain('not given access');
    await expect(code()).rejects.toThrow(/declined.*pinsync login/);
  });

  it('gives up after the timeout with a sentence and closes', async () => {
    const { port, code, close } = await start(200);
    await expect(code()).rejects.toThrow(/No answer from the browser within 200 ms.*pinsync login/);
    await close();
    expect(await canConnect(port)).toBe(false);
  });

  it('stops on Ctrl-C', async () => {
    const controller = new AbortController();
    const { code } = await start(10_000, controller.signal);
    controller.abort();
    await expect(code()).rejects.toThrow(InterruptedError);
  });

  it('says what to do when the port is taken', async () => {
    const first = await start();
    await expect(
      listenForCallback({ port: first.port, callbackPath: '/', state: STATE, timeoutMs: 1000 }),
    ).rejects.toThrow(UsageError);
    await expect(
      listenForCallback({ port: first.port, callbackPath: '/', state: STATE, timeoutMs: 1000 }),
    ).rejects.toThrow(/already in use.*--redirect-uri/);
  });
});
