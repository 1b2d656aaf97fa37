// A throwaway PINSYNC_HOME and a minimal Context for the state store's own tests.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Context } from '../../src/context.js';
import { resolvePaths } from '../../src/paths.js';

export function tempHome(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'pinsync-state-'));
}

export function stateContext(home: string, clock = { now: 1_700_000_000_000 }): Context & { messages: string[] } {
  const messages: string[] = [];
  const ctx = {
    env: { PINSYNC_HOME: home },
    profile: 'default',
    paths: resolvePaths({ PINSYNC_HOME: home }),
    now: () => clock.now,
    info: (message: string) => messages.push(message),
    warn: (message: string) => messages.push(`warning: ${message}`),
    debugLog: () => {},
    messages,
  };
  return ctx as unknown as Context & { messages: string[] };
}

export function writeInput(home: string, name: string, text: string): string {
  const file = path.join(home, name);
  fs.writeFileSync(file, text);
  return file;
}
