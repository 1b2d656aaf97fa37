// The sandbox's API called with fetch, as any HTTP client would (the sandbox's own tests).
import type { Sandbox } from '../../src/sandbox/server.js';
import { US } from './sandbox.js';

export interface Answer<T = any> {
  status: number;
  body: T;
  headers: Headers;
}

export async function call<T = any>(
  sandbox: Sandbox,
  method: string,
  path: string,
  options: { body?: unknown; token?: string | null; headers?: Record<string, string> } = {},
): Promise<Answer<T>> {
  const token = options.token === undefined ? sandbox.token : options.token;
  const headers: Record<string, string> = { ...options.headers };
  if (token !== null) headers.authorization = `Bearer ${token}`;
  if (options.body !== undefined) headers['content-type'] ??= 'application/json';
  const response = await fetch(sandbox.apiBase + path, {
    method,
    headers,
    body: options.body === undefined ? undefined : typeof options.body === 'string' ? options.body : JSON.stringify(options.body),
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : undefined, headers: response.headers };
}

export async function createList(sandbox: Sandbox, records: string[], name = 'Buyers'): Promise<any> {
  const answer = await call(sandbox, 'POST', `/ad_accounts/${US}/customer_lists`, {
    body: { name, records: records.join(','), list_type: 'EMAIL' },
  });
  if (answer.status !== 200) throw new Error(`list create failed: ${answer.status} ${JSON.stringify(answer.body)}`);
  return answer.body;
}
