// Forwarding only, for the rate-limit tests another branch is rewriting (test/state/token-budget.test.ts):
// the helper lives in test/support/home.ts; import it from there and delete this file after the merge.
import { makeHome } from '../support/home.js';

export const tempHome = (): string => makeHome('pinsync-state-');
