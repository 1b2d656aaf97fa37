// The errors the sandbox answers with: Pinterest's JSON { code, message } and the HTTP status that goes
// with it. Handlers throw an ApiProblem; the server turns it into a response.

/** Pinterest-style error codes (the sandbox's choice where Pinterest's own are unconfirmed). */
export const ErrorCode = {
  badRequest: 1,
  authenticationFailed: 2,
  missingScope: 3,
  notFound: 4,
  serviceUnavailable: 5,
  rateLimited: 8,
  forbidden: 29,
} as const;

export class ApiProblem extends Error {
  constructor(
    readonly status: number,
    readonly code: number,
    message: string,
    /** Off the spec or the records rules: also recorded in `state.violations`. */
    readonly violation = false,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }

  body(): { code: number; message: string } {
    return { code: this.code, message: this.message };
  }
}

export function badRequest(message: string, violation = false): ApiProblem {
  return new ApiProblem(400, ErrorCode.badRequest, message, violation);
}

export function notFound(message: string): ApiProblem {
  return new ApiProblem(404, ErrorCode.notFound, message);
}

export function forbidden(message: string): ApiProblem {
  return new ApiProblem(403, ErrorCode.forbidden, message);
}

export function unauthorized(message: string): ApiProblem {
  return new ApiProblem(401, ErrorCode.authenticationFailed, message);
}
