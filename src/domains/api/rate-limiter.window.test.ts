import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { createManualClock } from '../../lib/clock.ts';
import { BUCKETS_PER_WINDOW, type RateLimitDecision, type RateLimiter } from './rate-limiter.ts';
import { HOUR_MS, limiterBackends, maxInAnyWindow, mulberry32, redisUrl, START, limiterPerTest } from './rate-limiter.test-support.ts';

// Windows full of buckets, idle keys, window changes, clocks out of step, and what `t` tells a client.
const { backends, loggedErrors, cleanUp } = limiterBackends();
afterAll(cleanUp);

/**
 * The algorithm's definition, recomputed from every admitted request (one clock, so a bucket's
 * last request is simply its latest): a request counts until one window after the last request of
 * its bucket; more quota comes when enough of the oldest buckets have left to get below the limit.
 */
function expected(admitted: number[], nowMs: number, limit: number, windowMs: number) {
  const bucketOf = (ms: number) => Math.floor((ms * BUCKETS_PER_WINDOW) / windowMs);
  const lastOf = new Map<number, number>();
  for (const at of admitted) lastOf.set(bucketOf(at), Math.max(lastOf.get(bucketOf(at)) ?? at, at));
  const live = [...lastOf.entries()]
    .filter(([, last]) => last + windowMs > nowMs)
    .map(([bucket, last]) => ({ last, count: admitted.filter((at) => bucketOf(at) === bucket).length }))
    .sort((a, b) => a.last - b.last);
  const used = live.reduce((sum, b) => sum + b.count, 0);
  let resetSeconds = windowMs / 1000;
  let left = used;
  for (const bucket of used > 0 && limit > 0 ? live : []) {
    left -= bucket.count;
    if (left < limit) {
      resetSeconds = Math.ceil((bucket.last + windowMs - nowMs) / 1000);
      break;
    }
  }
  return { used, remaining: Math.max(0, limit - used), resetSeconds };
}

function expectSaneReset(decision: RateLimitDecision, windowSeconds: number): void {
  expect(decision.resetSeconds).toBeGreaterThanOrEqual(1);
  expect(decision.resetSeconds).toBeLessThanOrEqual(windowSeconds);
  expect(decision.retryAfterSeconds).toBe(decision.allowed ? null : decision.resetSeconds);
}

for (const backend of backends) {
  describe.runIf(backend.enabled)(`${backend.name} rate limiter: windows and time`, () => {
    const setup = limiterPerTest(backend, loggedErrors);

    for (const { limit, windowSeconds, seed } of [
      { limit: 200, windowSeconds: 3600, seed: 11 },
      { limit: 40, windowSeconds: 60, seed: 12 },
    ]) {
      it(`agrees with the definition on every check while windows run full of buckets (${limit}/${windowSeconds}s, 3 windows)`, async () => {
        const { clock, limiter, key } = setup();
        const random = mulberry32(seed);
        const windowMs = windowSeconds * 1000;
        const admitted: number[] = [];
        let checks = 0;
        // About 4 requests per bucket, some in bursts of up to 30: every bucket of the window gets
        // requests, and the limit is reached and released many times.
        for (let t = 0; t < 3 * windowMs; t += Math.floor(random() * (windowMs / 120))) {
          clock.set(new Date(START + t));
          const burst = random() < 0.05 ? 1 + Math.floor(random() * 30) : 1;
          for (let i = 0; i < burst; i += 1) {
            const before = expected(admitted, START + t, limit, windowMs);
            const decision = await limiter.consume(key, limit, windowSeconds);
            checks += 1;
            expect(decision.allowed).toBe(before.used < limit);
            if (decision.allowed) admitted.push(START + t);
            const after = expected(admitted, START + t, limit, windowMs);
            expect({ remaining: decision.remaining, resetSeconds: decision.resetSeconds }).toEqual({ remaining: after.remaining, resetSeconds: after.resetSeconds });
            expectSaneReset(decision, windowSeconds);
          }
          if (random() < 0.1) expect(await limiter.peek(key, limit, windowSeconds)).toMatchObject(expected(admitted, START + t, limit, windowMs));
        }
        expect(checks).toBeGreaterThan(3 * 120 * 0.9);
        expect(maxInAnyWindow(admitted, windowMs)).toBe(limit);
      }, 60_000);
    }

    it('a key idle for a whole window after its last request starts afresh', async () => {
      const { clock, limiter, key } = setup();
      for (let i = 0; i < 3; i += 1) await limiter.consume(key, 3, 3600);
      clock.set(new Date(START + HOUR_MS - 1));
      expect(await limiter.consume(key, 3, 3600)).toMatchObject({ allowed: false, retryAfterSeconds: 1 });
      clock.set(new Date(START + HOUR_MS));
      expect(await limiter.peek(key, 3, 3600)).toEqual({ limit: 3, used: 0, remaining: 3, resetSeconds: 3600, windowSeconds: 3600 });
      expect(await limiter.consume(key, 3, 3600)).toMatchObject({ allowed: true, remaining: 2, resetSeconds: 3600 });
      clock.set(new Date(START + 10 * HOUR_MS));
      expect(await limiter.consume(key, 3, 3600)).toMatchObject({ allowed: true, remaining: 2, resetSeconds: 3600 });
    });

    it('a window change starts the key afresh, and the old window then reads as empty', async () => {
      const { limiter, key } = setup();
      for (let i = 0; i < 3; i += 1) await limiter.consume(key, 3, 3600);
      expect(await limiter.consume(key, 3, 60)).toMatchObject({ allowed: true, remaining: 2, resetSeconds: 60 });
      expect(await limiter.peek(key, 3, 3600)).toMatchObject({ used: 0, resetSeconds: 3600 });
      expect(await limiter.consume(key, 3, 3600)).toMatchObject({ allowed: true, remaining: 2 });
      // Even a refused consume under another window starts afresh.
      expect(await limiter.consume(key, 0, 60)).toMatchObject({ allowed: false, retryAfterSeconds: 60 });
      expect(await limiter.peek(key, 3, 3600)).toMatchObject({ used: 0 });
    });

    it('requests recorded by a clock ahead stay counted until they leave by that clock; t never exceeds the window', async () => {
      const { clock, limiter, key } = setup(START + 90_000);
      for (let i = 0; i < 3; i += 1) await limiter.consume(key, 3, 3600);
      clock.set(new Date(START)); // the clock stepped back (or another instance runs 90 s behind)
      expect(await limiter.consume(key, 3, 3600)).toMatchObject({ allowed: false, retryAfterSeconds: 3600 });
      clock.set(new Date(START + HOUR_MS + 89_999));
      expect(await limiter.consume(key, 3, 3600)).toMatchObject({ allowed: false, retryAfterSeconds: 1 });
      clock.set(new Date(START + HOUR_MS + 90_000));
      expect(await limiter.consume(key, 3, 3600)).toMatchObject({ allowed: true, remaining: 2 });
    });

    it('a request from a clock behind joins the newest bucket and leaves with it', async () => {
      const { clock, limiter, key } = setup(START + 90_000);
      await limiter.consume(key, 5, 3600);
      clock.set(new Date(START));
      expect(await limiter.consume(key, 5, 3600)).toMatchObject({ allowed: true, remaining: 3 });
      clock.set(new Date(START + HOUR_MS + 89_999));
      expect(await limiter.peek(key, 5, 3600)).toMatchObject({ used: 2, resetSeconds: 1 });
      clock.set(new Date(START + HOUR_MS + 90_000));
      expect(await limiter.peek(key, 5, 3600)).toMatchObject({ used: 0 });
    });

    it('a refused client retrying after exactly Retry-After is admitted, and a second earlier it is not', async () => {
      const { clock, limiter, key } = setup();
      const random = mulberry32(21);
      let refusals = 0;
      for (let t = START; t < START + 3 * HOUR_MS; ) {
        clock.set(new Date(t));
        const decision = await limiter.consume(key, 30, 3600);
        expectSaneReset(decision, 3600);
        if (decision.allowed) {
          t += Math.floor(random() * 4 * 60_000);
          continue;
        }
        refusals += 1;
        const wait = (decision.retryAfterSeconds as number) * 1000;
        if (wait > 1000) {
          clock.set(new Date(t + wait - 1000));
          expect((await limiter.consume(key, 30, 3600)).allowed).toBe(false);
        }
        t += wait;
        clock.set(new Date(t));
        expect((await limiter.consume(key, 30, 3600)).allowed).toBe(true);
      }
      expect(refusals).toBeGreaterThan(5);
    }, 60_000);

    for (const limit of [10, 100, 1000]) {
      it(`a client pacing itself by r / t is never refused, and gets nearly its quota per hour (${limit}/h)`, async () => {
        const { clock, limiter, key } = setup();
        const admitted: number[] = [];
        let t = START;
        while (t < START + 3 * HOUR_MS) {
          clock.set(new Date(t));
          const decision = await limiter.consume(key, limit, 3600);
          expect(decision.allowed).toBe(true);
          expectSaneReset(decision, 3600);
          admitted.push(t);
          // Spend the remaining quota evenly over the time until more comes; with none left, wait for it.
          const { remaining, resetSeconds } = decision;
          t += remaining > 0 ? Math.ceil((resetSeconds * 1000) / remaining) : resetSeconds * 1000;
        }
        const lastTwoHours = admitted.filter((at) => at >= START + HOUR_MS).length;
        expect(lastTwoHours).toBeGreaterThanOrEqual(2 * Math.floor((limit * 60) / 61));
        expect(maxInAnyWindow(admitted, HOUR_MS)).toBeLessThanOrEqual(limit);
      }, 60_000);
    }
  });
}

describe.runIf(redisUrl)('redis rate limiter: instances sharing full windows', () => {
  const shared = backends.find((b) => b.name === 'redis') as (typeof backends)[number];
  const open: RateLimiter[] = [];
  afterEach(async () => {
    await Promise.all(open.splice(0).map((l) => l.close()));
    expect(loggedErrors).toEqual([]);
  });

  it('two instances, concurrent bursts for three hours: never more than the limit in any rolling hour', async () => {
    const clock = createManualClock(new Date(START));
    const instances = [shared.create(clock), shared.create(clock)];
    open.push(...instances);
    const key = `key_${randomUUID()}`;
    const random = mulberry32(31);
    const limit = 120;
    const admitted: number[] = [];
    for (let t = 0; t < 3 * HOUR_MS; t += Math.floor(random() * 90_000)) {
      clock.set(new Date(START + t));
      const size = random() < 0.2 ? Math.floor(random() * limit) : 1 + Math.floor(random() * 4);
      const decisions = await Promise.all(Array.from({ length: size }, (_, i) => (instances[i % 2] as RateLimiter).consume(key, limit, 3600)));
      for (const d of decisions) if (d.allowed) admitted.push(START + t);
    }
    expect(maxInAnyWindow(admitted, HOUR_MS)).toBe(limit);
  }, 60_000);

  it('a key used for hours keeps at most one window of buckets in its hash', async () => {
    const clock = createManualClock(new Date(START));
    const limiter = shared.create(clock);
    open.push(limiter);
    const key = `key_${randomUUID()}`;
    const redis = new Redis(redisUrl as string);
    try {
      let largest = 0;
      for (let t = 0; t < 3 * HOUR_MS; t += 20_000) {
        clock.set(new Date(START + t));
        expect((await limiter.consume(key, 1_000, 3600)).allowed).toBe(true);
        const keys = await redis.keys(`*rl:{${key}}`);
        largest = Math.max(largest, await redis.hlen(keys[0] as string));
      }
      // 7 fields of state (the open bucket among them) and the closed buckets still in the window.
      expect(largest).toBe(7 + BUCKETS_PER_WINDOW);
    } finally {
      await redis.quit();
    }
  }, 60_000);
});
