// Whether a browser can be opened here, and opening it. Off a desktop (SSH, CI, Linux without a
// display) the consent address is only printed, for the user to open wherever they are.
import type { Env } from '../context.js';
import { isTruthy } from '../context.js';

export function canOpenBrowser(env: Env, platform: NodeJS.Platform = process.platform): boolean {
  if (isTruthy(env.CI)) return false;
  if (env.SSH_CONNECTION || env.SSH_CLIENT || env.SSH_TTY) return false;
  if (platform === 'linux' && !env.DISPLAY && !env.WAYLAND_DISPLAY) return false;
  return true;
}

/** True when a browser was launched; never throws (the printed address is the fallback). */
export async function openBrowser(url: string): Promise<boolean> {
  try {
    const { default: open } = await import('open');
    const child = await open(url);
    child.on('error', () => {});
    child.unref();
    return true;
  } catch {
    return false;
  }
}
