// Typed errors that carry the contract's exit code; main.ts catches them once and prints one sentence.

export const ExitCode = {
  ok: 0,
  internal: 1,
  usage: 2,
  partial: 3,
  auth: 4,
  notFound: 5,
  interrupted: 130,
} as const;
export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

/** An error the user can act on: its message is one or two plain sentences, safe to print. */
export class PinsyncError extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** Bad flags, unreadable or malformed input, no identifier column (exit 2). */
export class UsageError extends PinsyncError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, ExitCode.usage, options);
  }
}

/** No credentials, invalid/expired/revoked token, missing scope or ad-account access (exit 4). */
export class AuthError extends PinsyncError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, ExitCode.auth, options);
  }
}

/** The ad account or audience does not exist (exit 5). */
export class NotFoundError extends PinsyncError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, ExitCode.notFound, options);
  }
}

/** The user pressed Ctrl-C (exit 130); what was done so far has been recorded. */
export class InterruptedError extends PinsyncError {
  constructor(message = 'Interrupted.', options?: { cause?: unknown }) {
    super(message, ExitCode.interrupted, options);
  }
}

/** A required choice was not given and no prompt is possible (exit 2, naming the flag). */
export function missingFlag(flag: string, what: string): UsageError {
  return new UsageError(`No ${what} given: pass ${flag} (no terminal to ask on).`);
}
