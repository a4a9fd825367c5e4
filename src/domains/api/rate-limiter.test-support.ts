import { randomUUID } from 'node:crypto';
import { afterEach, expect } from 'vitest';
import { Redis } from 'ioredis';
import { createManualClock } from '../../lib/clock.ts';
import { createMemoryRateLimiter, type LeasingRateLimiter } from './rate-limiter.ts';
import { createRedisRateLimiter } from './redis-rate-limiter.ts';

// The same contract runs on memory always and on Redis when TEST_REDIS_URL is set.
export const redisUrl = process.env.TEST_REDIS_URL;
export const START = Date.UTC(2026, 0, 5, 9); // on an hour boundary, so bucket math is easy to read
export const HOUR_MS = 3_600_000;
export const MINUTE_MS = 60_000;

export type ManualClock = ReturnType<typeof createManualClock>;

export interface Backend {
  name: 'memory' | 'redis';
  enabled: boolean;
  create(clock: ManualClock): LeasingRateLimiter;
}

/** Both backends, each Redis one under a prefix of its own; `loggedErrors` must stay empty. */
export function limiterBackends() {
  const prefix = `test:rl:${randomUUID()}:`;
  const loggedErrors: unknown[] = [];
  const backends: Backend[] = [
    { name: 'memory', enabled: true, create: (clock) => createMemoryRateLimiter({ clock }) },
    {
      name: 'redis',
      enabled: Boolean(redisUrl),
      create: (clock) =>
        createRedisRateLimiter({
          url: redisUrl as string,
          clock,
          keyPrefix: prefix,
          logger: { error: (obj) => loggedErrors.push(obj), warn: () => {} },
        }),
    },
  ];
  async function cleanUp(): Promise<void> {
    if (!redisUrl) return;
    const redis = new Redis(redisUrl);
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length > 0) await redis.del(...keys);
    await redis.quit();
  }
  return { backends, loggedErrors, cleanUp };
}

/** Deterministic PRNG so a failing sweep can be replayed. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** Largest number of admitted requests (sorted times) inside any rolling window [a, a + windowMs). */
export function maxInAnyWindow(admitted: number[], windowMs: number): number {
  let max = 0;
  let j = 0;
  for (let i = 0; i < admitted.length; i += 1) {
    while (j < admitted.length && (admitted[j] as number) < (admitted[i] as number) + windowMs) j += 1;
    max = Math.max(max, j - i);
  }
  return max;
}

/**
 * Inside a describe: a fresh limiter per call on a manual clock (with a key of its own), closed
 * after each test, which then fails if the limiter logged an error.
 */
export function limiterPerTest(backend: Backend, loggedErrors: unknown[]) {
  const open: LeasingRateLimiter[] = [];
  afterEach(async () => {
    await Promise.all(open.splice(0).map((limiter) => limiter.close()));
    expect(loggedErrors).toEqual([]);
  });
  return (start = START) => {
    const clock = createManualClock(new Date(start));
    const limiter = backend.create(clock);
    open.push(limiter);
    return { clock, limiter, key: `key_${randomUUID()}` };
  };
}
