// What tests need to point pinsync at a sandbox: its seeded ad accounts and the CLI's environment.

/** The sandbox's "Sandbox Ads US" ad account (owner). */
export const US = '549755885175';
/** The sandbox's "Sandbox Ads CA" ad account (read-only permissions). */
export const CA = '549755885176';

interface SandboxAddress {
  apiBase: string;
  token: string;
}

/** The CLI's environment for the sandbox: its API, a token (the default user's unless given), no progress lines. */
export function sandboxEnv(sandbox: SandboxAddress, token = sandbox.token): Record<string, string> {
  return { PINSYNC_API_BASE: sandbox.apiBase, PINSYNC_ACCESS_TOKEN: token, PINSYNC_PROGRESS_INTERVAL: '3600' };
}
