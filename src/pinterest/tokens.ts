// What the API client needs from whoever holds the credentials: a bearer token now, and one fresh
// token after a 401. src/auth implements it; the client never imports auth.
export interface TokenProvider {
  /** The bearer token to send now; refreshes first when it is about to expire (stored tokens). */
  accessToken(): Promise<string>;
  /** Called once after a 401: true when a fresh token was obtained and the request may be repeated. */
  refreshAfterUnauthorized(): Promise<boolean>;
}
