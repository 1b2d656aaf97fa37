// Last line of defence against leaks: every secret pinsync learns is registered here, and every
// message that leaves the process (errors, debug lines) passes through redact().

const secrets = new Set<string>();

/** Remember a token or secret so it is masked wherever it might be printed. */
export function registerSecret(secret: string | undefined | null): void {
  if (secret && secret.length >= 6) secrets.add(secret);
}

export function redact(text: string): string {
  let out = text;
  for (const secret of secrets) out = out.split(secret).join('[redacted]');
  // Bearer/Basic headers and token-looking query or form fields, even for secrets not registered.
  return out
    .replace(/(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]{6,}/gi, '$1 [redacted]')
    .replace(/((?:access_token|refresh_token|client_secret|code)["']?\s*[:=]\s*["']?)[^"'&\s,}]{6,}/gi, '$1[redacted]');
}
