import { systemClock, type Clock } from '../../lib/clock.ts';

export interface RateLimitDecision {
  allowed: boolean;
  limit: number;
  remaining: number;
  /** seconds until at least one more request is admitted (0 if allowed and remaining > 0) */
  resetSeconds: number;
  /** set when !allowed */
  retryAfterSeconds: number | null;
}

export interface RateLimitUsage {
  limit: number;
  used: number;
  remaining: number;
  /** same meaning as RateLimitDecision.resetSeconds: 0 while remaining > 0 */
  resetSeconds: number;
  windowSeconds: number;
}

export interface RateLimiter {
  consume(key: string, limit: number, windowSeconds: number): Promise<RateLimitDecision>;
  peek(key: string, limit: number, windowSeconds: number): Promise<RateLimitUsage>;
  /** Where checks are answered right now: Redis, or this process's memory (no Redis, or its breaker is open). */
  backend(): 'redis' | 'memory';
  close(): Promise<void>;
}

/*
 * Sliding window of sub-buckets, shared by the memory and Redis limiters.
 *
 * The window is cut into 60 buckets. A request is admitted when the count over the current bucket
 * and the 60 before it (61 buckets) is below the limit. Any rolling window of `windowSeconds`
 * (even a closed one) lies inside those 61 buckets, so no rolling window ever holds more than
 * `limit` admitted requests. The price: a bucket is remembered up to one bucket (1/60 of the
 * window) longer than strictly needed, so a client at full rate gets about limit*60/61 per window.
 */
export const BUCKETS_PER_WINDOW = 60;
/** Buckets counted on each check: the current one and BUCKETS_PER_WINDOW before it. */
export const COUNTED_BUCKETS = BUCKETS_PER_WINDOW + 1;

/** [bucket index, count] */
export type BucketCount = readonly [number, number];

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

/** The Lua script computes exactly this expression (same IEEE doubles), so both agree. */
export function bucketIndex(nowMs: number, windowMs: number): number {
  return Math.floor((nowMs * BUCKETS_PER_WINDOW) / windowMs);
}

/**
 * Whether a stored bucket still counts at bucket `current`. Buckets ahead of `current` come from
 * an instance whose clock runs ahead; counting them is the conservative choice.
 */
export function isCounted(index: number, current: number): boolean {
  return index >= current - BUCKETS_PER_WINDOW && index <= current + BUCKETS_PER_WINDOW;
}

/** Milliseconds from now until `used` drops below `limit`, dropping the oldest buckets first. */
function msUntilAdmission(buckets: readonly BucketCount[], used: number, limit: number, nowMs: number, windowMs: number): number {
  if (used < limit) return 0;
  if (limit === 0) return windowMs;
  const sorted = [...buckets].sort((a, b) => a[0] - b[0]);
  let left = used;
  for (const [index, count] of sorted) {
    left -= count;
    if (left < limit) {
      const leavesAt = Math.ceil(((index + COUNTED_BUCKETS) * windowMs) / BUCKETS_PER_WINDOW);
      return Math.max(1, leavesAt - nowMs);
    }
  }
  return windowMs;
}

function sum(buckets: readonly BucketCount[]): number {
  let total = 0;
  for (const [, count] of buckets) total += count;
  return total;
}

/** `buckets` are the counted buckets after this request was (or was not) recorded. */
export function toDecision(allowed: boolean, limit: number, windowMs: number, nowMs: number, buckets: readonly BucketCount[]): RateLimitDecision {
  const used = sum(buckets);
  const remaining = Math.max(0, limit - used);
  const waitMs = msUntilAdmission(buckets, used, limit, nowMs, windowMs);
  const resetSeconds = Math.ceil(waitMs / 1000);
  return {
    allowed,
    limit,
    remaining,
    resetSeconds: allowed ? resetSeconds : Math.max(1, resetSeconds),
    retryAfterSeconds: allowed ? null : Math.max(1, resetSeconds),
  };
}

export function toUsage(limit: number, windowMs: number, nowMs: number, buckets: readonly BucketCount[]): RateLimitUsage {
  const used = sum(buckets);
  return {
    limit,
    used,
    remaining: Math.max(0, limit - used),
    resetSeconds: Math.ceil(msUntilAdmission(buckets, used, limit, nowMs, windowMs) / 1000),
    windowSeconds: windowMs / 1000,
  };
}

interface Entry {
  windowMs: number;
  /** bucket index -> count */
  buckets: Map<number, number>;
}

const SWEEP_EVERY_MS = 60_000;

/** Single-process limiter: the default without Redis, and the fallback when Redis fails. */
export function createMemoryRateLimiter(options: { clock?: Clock } = {}): RateLimiter {
  const clock = options.clock ?? systemClock;
  const entries = new Map<string, Entry>();
  let lastSweepMs = clock.now().getTime();

  /** The live buckets of `key`, pruned; undefined if none or if they were counted for another window. */
  function load(key: string, windowMs: number, current: number): Entry | undefined {
    const entry = entries.get(key);
    if (!entry || entry.windowMs !== windowMs) return undefined;
    for (const index of entry.buckets.keys()) {
      if (!isCounted(index, current)) entry.buckets.delete(index);
    }
    return entry;
  }

  // Without this, every key ever seen would stay in memory; a linear pass once a minute is cheap.
  function sweep(nowMs: number): void {
    if (nowMs - lastSweepMs < SWEEP_EVERY_MS && nowMs >= lastSweepMs) return;
    lastSweepMs = nowMs;
    for (const [key, entry] of entries) {
      const current = bucketIndex(nowMs, entry.windowMs);
      for (const index of entry.buckets.keys()) {
        if (!isCounted(index, current)) entry.buckets.delete(index);
      }
      if (entry.buckets.size === 0) entries.delete(key);
    }
  }

  return {
    async consume(key, limit, windowSeconds) {
      const windowMs = windowMsFor(limit, windowSeconds);
      const nowMs = clock.now().getTime();
      sweep(nowMs);
      const current = bucketIndex(nowMs, windowMs);
      // A consume with a changed window starts the key afresh (the old buckets mean nothing now).
      let entry = load(key, windowMs, current);
      if (!entry) {
        entry = { windowMs, buckets: new Map() };
        entries.set(key, entry);
      }
      let used = 0;
      for (const count of entry.buckets.values()) used += count;
      const allowed = used < limit;
      if (allowed) entry.buckets.set(current, (entry.buckets.get(current) ?? 0) + 1);
      else if (entry.buckets.size === 0) entries.delete(key);
      return toDecision(allowed, limit, windowMs, nowMs, [...entry.buckets]);
    },

    async peek(key, limit, windowSeconds) {
      const windowMs = windowMsFor(limit, windowSeconds);
      const nowMs = clock.now().getTime();
      // A peek with another window reports empty and never resets a live limit.
      const entry = load(key, windowMs, bucketIndex(nowMs, windowMs));
      return toUsage(limit, windowMs, nowMs, entry ? [...entry.buckets] : []);
    },

    backend: () => 'memory' as const,

    async close() {
      entries.clear();
    },
  };
}
