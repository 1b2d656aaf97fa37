// Which real parts this machine has for the login tests (Chromium, a Secret Service), and the rule for
// when they are missing: skip with a visible notice locally, fail under CI=true.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { isTruthy } from '../../src/context.js';

export const CHROMIUM_PATH = process.env.PINSYNC_TEST_CHROMIUM ?? '/usr/bin/chromium';
export const inCI = isTruthy(process.env.CI);

export function hasChromium(): boolean {
  return fs.existsSync(CHROMIUM_PATH);
}

/** A working Secret Service on this process's D-Bus session: store, look up and clear a probe secret. */
export function hasSecretService(): boolean {
  if (!process.env.DBUS_SESSION_BUS_ADDRESS) return false;
  const attributes = ['service', 'pinsync-test-probe', 'account', `probe-${process.pid}`];
  try {
    execFileSync('secret-tool', ['store', '--label=pinsync test probe', ...attributes], { input: 'ok', timeout: 5000, stdio: ['pipe', 'ignore', 'ignore'] });
    const back = execFileSync('secret-tool', ['lookup', ...attributes], { timeout: 5000, stdio: ['ignore', 'pipe', 'ignore'] }).toString();
    execFileSync('secret-tool', ['clear', ...attributes], { timeout: 5000, stdio: 'ignore' });
    return back === 'ok';
  } catch {
    return false;
  }
}

/**
 * True when the tests needing `what` should be skipped (with a notice). Under CI=true a missing part
 * is an error, so the suite fails instead of silently testing less.
 */
export function skipWithout(available: boolean, what: string, howToGet: string): boolean {
  if (available) return false;
  if (inCI) throw new Error(`CI=true but ${what} is missing: ${howToGet}`);
  process.stderr.write(`\n[notice] skipping tests that need ${what} (not found here): ${howToGet}\n`);
  return true;
}

/** Secret Service entries pinsync stored for a profile (secret-tool, independent of pinsync's code). */
export function secretServiceLookup(profile: string): string {
  try {
    return execFileSync('secret-tool', ['lookup', 'service', 'pinsync', 'username', profile], { timeout: 5000, stdio: ['ignore', 'pipe', 'ignore'] }).toString();
  } catch {
    return '';
  }
}
