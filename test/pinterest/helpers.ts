// Forwarding only, for the rate-limit tests another branch is rewriting (limits, ratelimit): the helpers
// live in test/support/pinterest-client.ts; import them from there and delete this file after the merge.
export { clientFor, hashedRecords } from '../support/pinterest-client.js';
