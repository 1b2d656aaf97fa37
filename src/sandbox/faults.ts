// Injected trouble for rehearsing a cron job: outages (503), dropped connections, latency, bursts of
// 429s, a token revoked or a customer list deleted mid-run, and answers the real Pinterest may give
// (a 429 for spam, request-wide 400s, list `exceptions`). Random faults use a seeded PRNG so runs repeat.

export interface SandboxFaults {
  /** Share (0–1) of eligible requests answered 503 with a JSON body. */
  serverErrorRate?: number;
  /** Share (0–1) of eligible requests whose connection is reset after the body is read, write not applied. */
  resetRate?: number;
  /** Delay before answering each eligible request. */
  latencyMs?: number;
  /** After every `every` eligible requests, the next `length` ones answer 429. */
  burst429?: { every: number; length: number };
  /** The token used for the Nth successful write (counted from when the faults were set) is revoked after it. */
  revokeTokenAfterWrites?: number;
  /** After the Nth successful write, the customer list it touched (and its audiences) vanishes. */
  deleteListAfterWrites?: number;
  /** After N successful writes, every write answers 429 whose `message_detail` says spam (not a rate limit). */
  spamAfterWrites?: number;
  /** After N successful writes, every write answers a request-wide 400 that names no record. */
  badRequestAfterWrites?: number;
  /** Carried as `exceptions` in every customer-list create and PATCH answer, e.g. [{"code":2,"message":"…"}]. */
  listExceptions?: ListException[];
  /** The token endpoint grants (and rotates the refresh token) at once, but answers this much later. */
  tokenAnswerDelayMs?: number;
  /** Which requests the faults hit: writes (POST/PATCH, the default) or all. */
  applyTo?: 'writes' | 'all';
}

export interface ListException {
  code: number;
  message: string;
}

export type FaultOutcome = 'reset' | 'server_error' | 'rate_limited' | 'spam' | 'request_wide_400' | undefined;

export interface WriteConsequences {
  revokeToken: boolean;
  deleteList: boolean;
}

/** mulberry32: tiny, fast, good enough to make fault sequences repeatable from a seed. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export class FaultInjector {
  private faults: SandboxFaults = {};
  private eligibleSeen = 0;
  private writesSinceSet = 0;
  private readonly random: () => number;

  constructor(seed: number, faults: SandboxFaults = {}) {
    this.random = seededRandom(seed);
    this.set(faults);
  }

  /** Replaces every fault (pass {} to clear) and restarts the write and burst counters. */
  set(faults: SandboxFaults): void {
    this.faults = { ...faults };
    this.eligibleSeen = 0;
    this.writesSinceSet = 0;
  }

  current(): SandboxFaults {
    return { ...this.faults };
  }

  appliesTo(isWrite: boolean): boolean {
    return isWrite || this.faults.applyTo === 'all';
  }

  tokenAnswerDelay(): number {
    return Math.max(0, this.faults.tokenAnswerDelayMs ?? 0);
  }

  latencyFor(isWrite: boolean): number {
    return this.appliesTo(isWrite) ? Math.max(0, this.faults.latencyMs ?? 0) : 0;
  }

  /** Decides the fate of one request that passed auth, rate limit and validation. */
  decide(isWrite: boolean): FaultOutcome {
    if (!this.appliesTo(isWrite)) return undefined;
    if (isWrite && this.reached(this.faults.spamAfterWrites)) return 'spam';
    if (isWrite && this.reached(this.faults.badRequestAfterWrites)) return 'request_wide_400';
    const position = this.eligibleSeen++;
    const burst = this.faults.burst429;
    if (burst && burst.every >= 0 && burst.length > 0) {
      if (position % (burst.every + burst.length) >= burst.every) return 'rate_limited';
    }
    // Always draw both numbers so one fault's setting does not shift the other's sequence.
    const resetDraw = this.random();
    const errorDraw = this.random();
    if (resetDraw < (this.faults.resetRate ?? 0)) return 'reset';
    if (errorDraw < (this.faults.serverErrorRate ?? 0)) return 'server_error';
    return undefined;
  }

  listExceptions(): ListException[] | undefined {
    return this.faults.listExceptions?.map((exception) => ({ ...exception }));
  }

  private reached(successfulWrites: number | undefined): boolean {
    return successfulWrites !== undefined && this.writesSinceSet >= successfulWrites;
  }

  /** Called after each successful write; says which one-shot faults fire now. */
  afterSuccessfulWrite(): WriteConsequences {
    const count = ++this.writesSinceSet;
    return {
      revokeToken: this.faults.revokeTokenAfterWrites !== undefined && count === this.faults.revokeTokenAfterWrites,
      deleteList: this.faults.deleteListAfterWrites !== undefined && count === this.faults.deleteListAfterWrites,
    };
  }
}

/** Parses PINSYNC_SANDBOX_FAULTS (or --faults) JSON; throws a plain Error with a sentence when invalid. */
export function parseFaults(json: string): SandboxFaults {
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    throw new Error('The faults are not valid JSON.');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new Error('The faults must be a JSON object such as {"serverErrorRate":0.1}.');
  }
  const faults = value as Record<string, unknown>;
  const known = new Set([
    'serverErrorRate',
    'resetRate',
    'latencyMs',
    'burst429',
    'revokeTokenAfterWrites',
    'deleteListAfterWrites',
    'spamAfterWrites',
    'badRequestAfterWrites',
    'listExceptions',
    'tokenAnswerDelayMs',
    'applyTo',
  ]);
  for (const key of Object.keys(faults)) {
    if (!known.has(key)) throw new Error(`Unknown fault "${key}"; known: ${[...known].join(', ')}.`);
  }
  for (const key of ['serverErrorRate', 'resetRate']) {
    const rate = faults[key];
    if (rate !== undefined && (typeof rate !== 'number' || rate < 0 || rate > 1)) {
      throw new Error(`Fault ${key} must be a number from 0 to 1.`);
    }
  }
  for (const key of ['latencyMs', 'tokenAnswerDelayMs', 'revokeTokenAfterWrites', 'deleteListAfterWrites', 'spamAfterWrites', 'badRequestAfterWrites']) {
    const n = faults[key];
    if (n !== undefined && (typeof n !== 'number' || !Number.isInteger(n) || n < 0)) {
      throw new Error(`Fault ${key} must be a whole number of at least 0.`);
    }
  }
  const burst = faults.burst429 as { every?: unknown; length?: unknown } | undefined;
  if (burst !== undefined && (typeof burst !== 'object' || !isCount(burst.every) || !isCount(burst.length))) {
    throw new Error('Fault burst429 must look like {"every": 20, "length": 3}.');
  }
  const exceptions = faults.listExceptions;
  if (exceptions !== undefined && (!Array.isArray(exceptions) || !exceptions.every(isListException))) {
    throw new Error('Fault listExceptions must look like [{"code": 2, "message": "Some records were not processed."}].');
  }
  if (faults.applyTo !== undefined && faults.applyTo !== 'writes' && faults.applyTo !== 'all') {
    throw new Error('Fault applyTo must be "writes" or "all".');
  }
  return faults as SandboxFaults;
}

function isListException(value: unknown): boolean {
  const exception = value as { code?: unknown; message?: unknown } | null;
  return typeof exception === 'object' && exception !== null && Number.isInteger(exception.code) && typeof exception.message === 'string';
}

function isCount(value: unknown): boolean {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0;
}
