import { afterAll, describe, expect, it } from 'vitest';
import { HOUR_MS, limiterBackends, maxInAnyWindow, MINUTE_MS, mulberry32, START, limiterPerTest } from './rate-limiter.test-support.ts';

const { backends, loggedErrors, cleanUp } = limiterBackends();

function countIn(sorted: number[], from: number, to: number): number {
  const lowerBound = (x: number) => {
    let lo = 0;
    let hi = sorted.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((sorted[mid] as number) < x) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
  return lowerBound(to) - lowerBound(from);
}

for (const backend of backends) {
  describe.runIf(backend.enabled)(`${backend.name} rate limiter`, () => {
    const setup = limiterPerTest(backend, loggedErrors);

    it('admits exactly `limit`, then denies with Retry-After', async () => {
      const { limiter, key } = setup();
      const decisions = [];
      for (let i = 0; i < 6; i += 1) decisions.push(await limiter.consume(key, 5, 3600));
      expect(decisions.map((d) => d.allowed)).toEqual([true, true, true, true, true, false]);
      expect(decisions.map((d) => d.remaining)).toEqual([4, 3, 2, 1, 0, 0]);
      // More quota comes back when the oldest counted requests leave: one window after them.
      expect(decisions.map((d) => d.resetSeconds)).toEqual([3600, 3600, 3600, 3600, 3600, 3600]);
      expect(decisions.map((d) => d.retryAfterSeconds)).toEqual([null, null, null, null, null, 3600]);
      expect(decisions[5]).toMatchObject({ limit: 5 });
    });

    it('computes remaining and reset as buckets slide out', async () => {
      const { clock, limiter, key } = setup();
      for (let i = 0; i < 3; i += 1) await limiter.consume(key, 5, 3600);
      clock.advance(10 * MINUTE_MS + 30_000);
      await limiter.consume(key, 5, 3600);
      const last = await limiter.consume(key, 5, 3600);
      // The first three leave at 60 min, 49 min 30 s from now.
      expect(last).toMatchObject({ allowed: true, remaining: 0, resetSeconds: 2970, retryAfterSeconds: null });
      expect(await limiter.consume(key, 5, 3600)).toMatchObject({ allowed: false, retryAfterSeconds: 2970 });
      expect(await limiter.peek(key, 5, 3600)).toEqual({ limit: 5, used: 5, remaining: 0, resetSeconds: 2970, windowSeconds: 3600 });

      clock.set(new Date(START + HOUR_MS - 1));
      expect(await limiter.consume(key, 5, 3600)).toMatchObject({ allowed: false, retryAfterSeconds: 1, resetSeconds: 1 });
      clock.set(new Date(START + HOUR_MS));
      // The two left counted leave at 70 min 30 s.
      expect(await limiter.peek(key, 5, 3600)).toEqual({ limit: 5, used: 2, remaining: 3, resetSeconds: 630, windowSeconds: 3600 });
      expect(await limiter.consume(key, 5, 3600)).toEqual({ allowed: true, granted: 1, limit: 5, remaining: 2, resetSeconds: 630, retryAfterSeconds: null });
    });

    it('peek does not consume, and keys are independent; with nothing counted, reset is the whole window', async () => {
      const { limiter, key } = setup();
      expect(await limiter.peek(key, 2, 60)).toEqual({ limit: 2, used: 0, remaining: 2, resetSeconds: 60, windowSeconds: 60 });
      await limiter.consume(key, 2, 60);
      for (let i = 0; i < 3; i += 1) expect((await limiter.peek(key, 2, 60)).used).toBe(1);
      expect((await limiter.consume(`${key}:other`, 2, 60)).remaining).toBe(1);
      expect((await limiter.consume(key, 2, 60)).remaining).toBe(0);
    });

    it('waits for enough buckets to leave when the limit was lowered below current use', async () => {
      const { clock, limiter, key } = setup();
      for (let i = 0; i < 2; i += 1) await limiter.consume(key, 5, 3600);
      clock.advance(10 * MINUTE_MS);
      for (let i = 0; i < 3; i += 1) await limiter.consume(key, 5, 3600);
      clock.advance(5 * MINUTE_MS);
      // used 5; the first bucket (2) leaves in 45 min, the second (3) in 55 min.
      expect(await limiter.consume(key, 4, 3600)).toMatchObject({ allowed: false, remaining: 0, retryAfterSeconds: 45 * 60 });
      expect(await limiter.consume(key, 2, 3600)).toMatchObject({ allowed: false, remaining: 0, retryAfterSeconds: 55 * 60 });
      // A zero limit never admits; it answers with one whole window.
      expect(await limiter.consume(key, 0, 3600)).toMatchObject({ allowed: false, retryAfterSeconds: 3600 });
    });

    it('a peek with another window never resets a key; a consume with another window starts afresh', async () => {
      const { limiter, key } = setup();
      for (let i = 0; i < 3; i += 1) await limiter.consume(key, 3, 3600);
      expect((await limiter.peek(key, 3, 60)).used).toBe(0);
      expect((await limiter.consume(key, 3, 3600)).allowed).toBe(false);
      expect(await limiter.consume(key, 3, 60)).toMatchObject({ allowed: true, remaining: 2 });
    });

    it('counts several requests in one check exactly as that many checks in a row', async () => {
      const { limiter, key } = setup();
      const twin = `${key}_twin`;
      const sizes = [4, 7, 3];
      const batched = [];
      for (const units of sizes) batched.push(await limiter.consume(key, 10, 3600, units));
      expect(batched.map((d) => [d.granted, d.allowed, d.remaining, d.retryAfterSeconds])).toEqual([
        [4, true, 6, null],
        [6, true, 0, null],
        [0, false, 0, 3600],
      ]);
      let last;
      for (let i = 0; i < sizes.reduce((a, b) => a + b); i += 1) last = await limiter.consume(twin, 10, 3600);
      expect(last).toEqual({ ...batched.at(-1), granted: 0 });
      expect(await limiter.peek(key, 10, 3600)).toEqual(await limiter.peek(twin, 10, 3600));
    });

    it('rejects invalid arguments as programming errors', async () => {
      const { limiter, key } = setup();
      await expect(limiter.consume(key, 10, 60, 0)).rejects.toThrow(RangeError);
      await expect(limiter.consume(key, 10, 60, 1.5)).rejects.toThrow(RangeError);
      await expect(limiter.consume(key, -1, 60)).rejects.toThrow(RangeError);
      await expect(limiter.consume(key, 1.5, 60)).rejects.toThrow(RangeError);
      await expect(limiter.consume(key, 10, 0)).rejects.toThrow(RangeError);
      await expect(limiter.peek(key, 10, 0.5)).rejects.toThrow(RangeError);
    });

    it('a burst at the end of a window plus one at the start of the next stays within the limit', async () => {
      const { clock, limiter, key } = setup();
      const burst = async (n: number) => {
        let admitted = 0;
        for (let i = 0; i < n; i += 1) if ((await limiter.consume(key, 100, 3600)).allowed) admitted += 1;
        return admitted;
      };
      clock.set(new Date(START + HOUR_MS - 1_000)); // bucket 59 of the first hour
      expect(await burst(100)).toBe(100);
      clock.set(new Date(START + HOUR_MS + 1_000));
      expect(await burst(100)).toBe(0);
      // The burst leaves exactly one hour after it.
      clock.set(new Date(START + 2 * HOUR_MS - 1_001));
      expect(await burst(1)).toBe(0);
      clock.set(new Date(START + 2 * HOUR_MS - 1_000));
      expect(await burst(150)).toBe(100);
    });

    const sweeps = [
      { limit: 50, windowSeconds: 3600, seed: 1 },
      { limit: 20, windowSeconds: 60, seed: 2 },
    ];
    for (const { limit, windowSeconds, seed, together } of sweeps.flatMap((sweep) => [false, true].map((together) => ({ ...sweep, together })))) {
      it(`never admits more than the limit in any rolling window (random traffic, 3 h, ${limit}/${windowSeconds}s${together ? ', each instant one check' : ''})`, async () => {
        const { clock, limiter, key } = setup();
        const random = mulberry32(seed);
        const windowMs = windowSeconds * 1000;
        const bucketMs = windowMs / 60;
        const durationMs = 3 * HOUR_MS;
        const times: number[] = [];
        // Background traffic at ~1.5x the allowed rate.
        for (let t = 0; t < durationMs; t += Math.floor(-Math.log(1 - random()) * (windowMs / (limit * 1.5)))) times.push(t);
        // Bursts straddling window and bucket edges, plus random ones.
        for (let edge = windowMs; edge < durationMs; edge += windowMs) {
          for (const offset of [-1, -Math.floor(random() * bucketMs), 0, Math.floor(random() * bucketMs)]) {
            const size = Math.floor(random() * limit * 1.5);
            for (let i = 0; i < size; i += 1) times.push(edge + offset);
          }
        }
        for (let i = 0; i < 20; i += 1) {
          const at = Math.floor(random() * durationMs);
          for (let j = 0; j < limit; j += 1) times.push(at);
        }
        times.sort((a, b) => a - b);

        const admitted: number[] = [];
        for (let i = 0; i < times.length; ) {
          const t = times[i] as number;
          let n = 0;
          while (times[i + n] === t) n += 1;
          i += n;
          clock.set(new Date(START + t));
          if (together) {
            // Requests at the same instant as one check of n units, as coalesced checks are made.
            const { granted } = await limiter.consume(key, limit, windowSeconds, n);
            for (let g = 0; g < granted; g += 1) admitted.push(t);
          } else {
            // Requests at the same instant go out concurrently, as a real burst would.
            const burst = await Promise.all(Array.from({ length: n }, () => limiter.consume(key, limit, windowSeconds)));
            for (const d of burst) if (d.allowed) admitted.push(t);
          }
        }
        expect(maxInAnyWindow(admitted, windowMs)).toBe(limit); // reached, never exceeded
      }, 60_000);
    }

    for (const limit of [60, 100, 1000]) {
      it(`a client steadily at the quota rate gets at least floor(limit*60/61) in every rolling window (${limit}/h)`, async () => {
        const { clock, limiter, key } = setup();
        const durationMs = 3 * HOUR_MS;
        const admitted: number[] = [];
        for (let t = 0; t < durationMs; t += HOUR_MS / limit) {
          const at = Math.floor(t);
          clock.set(new Date(START + at));
          if ((await limiter.consume(key, limit, 3600)).allowed) admitted.push(at);
        }
        // The count in [a, a + W) only changes where a passes s + 1 or s - W + 1 for an admitted s.
        let min = Number.POSITIVE_INFINITY;
        for (const s of admitted) {
          for (const a of [s + 1, s - HOUR_MS + 1]) {
            if (a >= HOUR_MS && a + HOUR_MS <= durationMs) min = Math.min(min, countIn(admitted, a, a + HOUR_MS));
          }
        }
        expect(min).toBeGreaterThanOrEqual(Math.floor((limit * 60) / 61));
        expect(maxInAnyWindow(admitted, HOUR_MS)).toBeLessThanOrEqual(limit);
      }, 60_000);
    }
  });
}

afterAll(cleanUp);
