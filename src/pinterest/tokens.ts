// What the API client needs from whoever holds the credentials: a bearer token now, and one fresh
// token after a 401. src/auth implements it; the client never imports auth.
export interface TokenProvider {
  /** The bearer token to send now; refreshes first when it is about to expire (stored tokens). */
  accessToken(): Promise<string>;
  /**
   * Called once after a 401 on `rejected` (the token that request carried): true when a fresh token
   * is at hand (renewed now, or already since that request left) and the request may be repeated.
   */
  refreshAfterUnauthorized(rejected?: string): Promise<boolean>;
  /** Epoch ms the refresh token expires, when known (a run reports it and warns when it runs low). */
  refreshExpiresAt?(): number | undefined;
}
