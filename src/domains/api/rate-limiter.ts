import { systemClock, type Clock } from '../../lib/clock.ts';

export interface RateLimitDecision {
  allowed: boolean;
  /** Requests admitted by this check: 0 or 1, or up to `units` (see RateLimiter.consume). */
  granted: number;
  limit: number;
  remaining: number;
  /** Seconds until more quota is available, 1..window: see `secondsUntilMore`. */
  resetSeconds: number;
  /** set when !allowed, and then equal to resetSeconds */
  retryAfterSeconds: number | null;
}

export interface RateLimitUsage {
  limit: number;
  used: number;
  remaining: number;
  /** same meaning as RateLimitDecision.resetSeconds */
  resetSeconds: number;
  windowSeconds: number;
}

export interface RateLimiter {
  /**
   * Counts requests against the key's window. `units` (default 1) checks that many requests at
   * once, exactly as that many checks one after the other: as many are admitted as the quota
   * still holds (`granted`), and `remaining` is what is left after them.
   */
  consume(key: string, limit: number, windowSeconds: number, units?: number): Promise<RateLimitDecision>;
  peek(key: string, limit: number, windowSeconds: number): Promise<RateLimitUsage>;
  /** Where checks are answered right now: Redis, or this process's memory (no Redis, or its breaker is open). */
  backend(): 'redis' | 'memory';
  close(): Promise<void>;
}

/** Units an instance asks to hold for a key it is busy with (see coalescing-limiter.ts). */
export interface LeaseRequest {
  units: number;
  /** How long the instance may hand the units out. */
  holdMs: number;
  /** Quota that must stay free after the lease, or none is granted. */
  keepFree: number;
}

/** Units counted now, to be handed out by this instance until `expiresAtMs`; see `returnLease`. */
export interface Lease {
  units: number;
  expiresAtMs: number;
  /** The bucket that counted them (opaque to callers). */
  bucket: number;
}

/** A limiter that can also count units ahead for an instance to hand out (both limiters here can). */
export interface LeasingRateLimiter extends RateLimiter {
  /**
   * `consume` of `units` requests that, when all of them are admitted and `lease.keepFree` of the
   * quota stays free after `lease.units` more, also counts those (`lease` in the answer; null when
   * none). The decision's `remaining` is what is left after the lease.
   */
  consumeAndLease(key: string, limit: number, windowSeconds: number, units: number, lease: LeaseRequest): Promise<{ decision: RateLimitDecision; lease: Lease | null }>;
  /** Gives back `units` of a lease that were never handed out: they stop counting. */
  returnLease(key: string, windowSeconds: number, lease: Lease, units: number): Promise<void>;
}

/*
 * Sliding window of sub-buckets, shared by the memory and Redis limiters.
 *
 * The window is cut into 60 buckets by time (bucket index = floor(now * 60 / window)). Each bucket
 * holds a count and the time of its last request, and it leaves the window exactly one window
 * after that last request; a running total of the buckets still in the window decides admission
 * (admitted when total < limit). Every admitted request is thus counted for at least one whole
 * window after it, so no rolling window [a, a + window) ever holds more than `limit`. The price: a
 * bucket's earlier requests are remembered up to one bucket (1/60 of the window) longer than
 * needed, so a client at full rate gets at least limit*60/61 per window.
 *
 * A check costs a constant number of steps whatever the window holds: buckets form a queue (new
 * ones at the tail, only the tail is ever written), each bucket is expired once from the head, and
 * a key idle for a whole window (its newest bucket gone) starts afresh. The last-request times
 * along the queue never decrease (a new bucket starts no earlier than the one before it), so the
 * head is always the next bucket to leave. Requests whose clock is behind the tail's bucket (a
 * lagging instance) go into the tail; a clock ahead opens a bucket "in the future". Both keep
 * requests counted longer, never shorter.
 */
export const BUCKETS_PER_WINDOW = 60;

/** Validates the arguments and returns the window in milliseconds. Bad arguments are bugs: throw. */
export function windowMsFor(limit: number, windowSeconds: number): number {
  if (!Number.isSafeInteger(limit) || limit < 0) {
    throw new RangeError(`rate limit must be a non-negative integer, got ${limit}`);
  }
  if (!Number.isSafeInteger(windowSeconds) || windowSeconds < 1) {
    throw new RangeError(`rate-limit window must be a positive whole number of seconds, got ${windowSeconds}`);
  }
  return windowSeconds * 1000;
}

/** Requests one check may count at once; a bad value is a bug: throw. */
export function checkUnits(units: number): number {
  if (!Number.isSafeInteger(units) || units < 1) throw new RangeError(`units must be a positive integer, got ${units}`);
  return units;
}

/** The Lua script computes exactly this expression (same IEEE doubles), so both agree. */
export function bucketIndex(nowMs: number, windowMs: number): number {
  return Math.floor((nowMs * BUCKETS_PER_WINDOW) / windowMs);
}

/** What a check leaves: the requests counted, and ms until more quota is available (null: nothing counted). */
export interface WindowState {
  used: number;
  waitMs: number | null;
}

/**
 * The `t` of the RateLimit header and the Retry-After of a refusal: seconds until more quota is
 * available, i.e. until the oldest counted bucket leaves (when over the limit, until enough have
 * left to admit one). With nothing counted no quota will come back, and the whole window is the
 * honest pace: a client spending `remaining / t` per second then spends its quota evenly. Never
 * above the window (a clock ahead on another instance could otherwise push it past), never 0.
 */
export function secondsUntilMore(waitMs: number | null, windowMs: number): number {
  const windowSeconds = windowMs / 1000;
  if (waitMs === null) return windowSeconds;
  return Math.min(windowSeconds, Math.max(1, Math.ceil(waitMs / 1000)));
}

export function toDecision(granted: number, limit: number, windowMs: number, state: WindowState): RateLimitDecision {
  const resetSeconds = secondsUntilMore(state.waitMs, windowMs);
  const allowed = granted > 0;
  return {
    allowed,
    granted,
    limit,
    remaining: Math.max(0, limit - state.used),
    resetSeconds,
    retryAfterSeconds: allowed ? null : resetSeconds,
  };
}

export function toUsage(limit: number, windowMs: number, state: WindowState): RateLimitUsage {
  return {
    limit,
    used: state.used,
    remaining: Math.max(0, limit - state.used),
    resetSeconds: secondsUntilMore(state.waitMs, windowMs),
    windowSeconds: windowMs / 1000,
  };
}

interface Bucket {
  index: number;
  count: number;
  lastMs: number;
}

interface Entry {
  windowMs: number;
  /** oldest first; only the last one is ever written */
  buckets: Bucket[];
  /** the sum of the buckets' counts */
  used: number;
}

/** Drops the buckets that left the window; false when none is left (the entry can go). */
function expire(entry: Entry, nowMs: number): boolean {
  const newest = entry.buckets.at(-1);
  if (!newest || newest.lastMs + entry.windowMs <= nowMs) return false;
  while ((entry.buckets[0] as Bucket).lastMs + entry.windowMs <= nowMs) {
    entry.used -= (entry.buckets.shift() as Bucket).count;
  }
  return true;
}

/** Counts `count` requests at `nowMs`, remembered as if the last came at `countedMs` (a lease's end). */
function record(entry: Entry, nowMs: number, count: number, countedMs = nowMs): Bucket {
  const tail = entry.buckets.at(-1);
  const index = bucketIndex(nowMs, entry.windowMs);
  entry.used += count;
  if (tail && index <= tail.index) {
    tail.count += count;
    tail.lastMs = Math.max(tail.lastMs, countedMs);
    return tail;
  }
  const bucket = { index, count, lastMs: Math.max(countedMs, tail?.lastMs ?? countedMs) };
  entry.buckets.push(bucket);
  return bucket;
}

/** Ms until `used` drops below `limit` (at least one bucket leaving); null when nothing is counted. */
function waitMs(entry: Entry | undefined, limit: number, nowMs: number): number | null {
  if (!entry || entry.used === 0) return null;
  if (limit === 0) return entry.windowMs;
  let left = entry.used;
  for (const bucket of entry.buckets) {
    left -= bucket.count;
    if (left < limit) return bucket.lastMs + entry.windowMs - nowMs;
  }
  return entry.windowMs;
}

const SWEEP_EVERY_MS = 60_000;

/** Single-process limiter: the default without Redis, and the fallback when Redis fails. */
export function createMemoryRateLimiter(options: { clock?: Clock } = {}): LeasingRateLimiter {
  const clock = options.clock ?? systemClock;
  const entries = new Map<string, Entry>();
  let lastSweepMs = clock.now().getTime();

  /** The key's live entry for this window; undefined if it has none (or was counted for another window). */
  function load(key: string, windowMs: number, nowMs: number): Entry | undefined {
    const entry = entries.get(key);
    if (!entry || entry.windowMs !== windowMs) return undefined;
    if (expire(entry, nowMs)) return entry;
    entries.delete(key);
    return undefined;
  }

  // Without this, every key ever seen would stay in memory; a linear pass once a minute is cheap.
  function sweep(nowMs: number): void {
    if (nowMs - lastSweepMs < SWEEP_EVERY_MS && nowMs >= lastSweepMs) return;
    lastSweepMs = nowMs;
    for (const [key, entry] of entries) {
      if (!expire(entry, nowMs)) entries.delete(key);
    }
  }

  function take(key: string, limit: number, windowSeconds: number, units: number, wanted?: LeaseRequest) {
    const windowMs = windowMsFor(limit, windowSeconds);
    checkUnits(units);
    const nowMs = clock.now().getTime();
    sweep(nowMs);
    let entry = load(key, windowMs, nowMs);
    // Nothing live, or counted for another window: the key starts afresh (old buckets mean nothing now).
    if (!entry) entries.delete(key);
    const used = entry?.used ?? 0;
    const granted = Math.max(0, Math.min(units, limit - used));
    const leased = wanted && granted === units && limit - used - granted - wanted.units >= wanted.keepFree ? wanted.units : 0;
    let lease: Lease | null = null;
    if (granted > 0) {
      if (!entry) {
        entry = { windowMs, buckets: [], used: 0 };
        entries.set(key, entry);
      }
      const expiresAtMs = nowMs + (wanted?.holdMs ?? 0);
      const bucket = record(entry, nowMs, granted + leased, leased > 0 ? expiresAtMs : nowMs);
      if (leased > 0) lease = { units: leased, expiresAtMs, bucket: bucket.index };
    }
    const decision = toDecision(granted, limit, windowMs, { used: entry?.used ?? 0, waitMs: waitMs(entry, limit, nowMs) });
    return { decision, lease };
  }

  return {
    async consume(key, limit, windowSeconds, units = 1) {
      return take(key, limit, windowSeconds, units).decision;
    },

    async consumeAndLease(key, limit, windowSeconds, units, wanted) {
      return take(key, limit, windowSeconds, units, wanted);
    },

    async returnLease(key, windowSeconds, lease, units) {
      const entry = entries.get(key);
      // As the Redis script: a window after the lease's end its bucket is gone for sure.
      if (!entry || entry.windowMs !== windowSeconds * 1000 || clock.now().getTime() >= lease.expiresAtMs + entry.windowMs) return;
      const bucket = entry.buckets.find((b) => b.index === lease.bucket);
      if (!bucket) return;
      const back = Math.min(units, bucket.count);
      bucket.count -= back;
      entry.used -= back;
    },

    async peek(key, limit, windowSeconds) {
      const windowMs = windowMsFor(limit, windowSeconds);
      const nowMs = clock.now().getTime();
      // A peek with another window reports empty and never resets a live limit.
      const entry = load(key, windowMs, nowMs);
      return toUsage(limit, windowMs, { used: entry?.used ?? 0, waitMs: waitMs(entry, limit, nowMs) });
    },

    backend: () => 'memory' as const,

    async close() {
      entries.clear();
    },
  };
}
