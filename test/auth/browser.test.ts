// When login only prints the consent address instead of opening a browser.
import { describe, expect, it } from 'vitest';
import { canOpenBrowser } from '../../src/auth/browser.js';

describe('canOpenBrowser', () => {
  it('opens on a Linux desktop, macOS and Windows', () => {
    expect(canOpenBrowser({ DISPLAY: ':0' }, 'linux')).toBe(true);
    expect(canOpenBrowser({ WAYLAND_DISPLAY: 'wayland-0' }, 'linux')).toBe(true);
    expect(canOpenBrowser({}, 'darwin')).toBe(true);
    expect(canOpenBrowser({}, 'win32')).toBe(true);
  });

  it('only prints on headless Linux, over SSH and in CI', () => {
    expect(canOpenBrowser({}, 'linux')).toBe(false);
    expect(canOpenBrowser({ DISPLAY: ':0', SSH_CONNECTION: '1 2 3 4' }, 'linux')).toBe(false);
    expect(canOpenBrowser({ SSH_TTY: '/dev/pts/1' }, 'darwin')).toBe(false);
    expect(canOpenBrowser({ CI: 'true' }, 'darwin')).toBe(false);
    expect(canOpenBrowser({ CI: 'false' }, 'darwin')).toBe(true);
  });
});
