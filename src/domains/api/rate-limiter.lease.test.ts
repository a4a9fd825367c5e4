import { afterAll, describe, expect, it } from 'vitest';
import { HOUR_MS, limiterBackends, maxInAnyWindow, mulberry32, START, limiterPerTest } from './rate-limiter.test-support.ts';

const { backends, loggedErrors, cleanUp } = limiterBackends();
afterAll(cleanUp);

const lease = (units: number, keepFree = 0, holdMs = 100) => ({ units, holdMs, keepFree });

for (const backend of backends) {
  describe.runIf(backend.enabled)(`leases on the ${backend.name} limiter`, () => {
    const setup = limiterPerTest(backend, loggedErrors);

    it('counts a lease with the requests it came with, and gives back what is returned', async () => {
      const { limiter, key } = setup();
      const { decision, lease: held } = await limiter.consumeAndLease(key, 100, 3600, 3, lease(10));
      expect(decision).toMatchObject({ allowed: true, granted: 3, remaining: 87 });
      expect(held).toMatchObject({ units: 10, expiresAtMs: START + 100 });
      expect((await limiter.peek(key, 100, 3600)).used).toBe(13);
      await limiter.returnLease(key, 3600, held!, 4);
      expect((await limiter.peek(key, 100, 3600)).used).toBe(9);
      // Never more than the bucket holds.
      await limiter.returnLease(key, 3600, held!, 50);
      expect((await limiter.peek(key, 100, 3600)).used).toBe(0);
    });

    it('leases nothing unless every request is admitted and the free quota stays above keepFree', async () => {
      const { limiter, key } = setup();
      expect((await limiter.consumeAndLease(key, 100, 3600, 80, lease(10, 11))).lease).toBeNull();
      expect((await limiter.peek(key, 100, 3600)).used).toBe(80);
      const exact = await limiter.consumeAndLease(key, 100, 3600, 5, lease(5, 10));
      expect(exact.lease).toMatchObject({ units: 5 });
      expect(exact.decision.remaining).toBe(10);
      const short = await limiter.consumeAndLease(key, 100, 3600, 20, lease(5));
      expect(short).toMatchObject({ lease: null, decision: { granted: 10, remaining: 0, allowed: true } });
    });

    it('a lease stays counted one window after its end, not after the check that took it', async () => {
      const { clock, limiter, key } = setup();
      await limiter.consumeAndLease(key, 10, 3600, 1, lease(5, 0, 2_000));
      clock.set(new Date(START + HOUR_MS + 1_999));
      expect(await limiter.peek(key, 10, 3600)).toMatchObject({ used: 6, resetSeconds: 1 });
      clock.set(new Date(START + HOUR_MS + 2_000));
      expect((await limiter.peek(key, 10, 3600)).used).toBe(0);
    });

    it('a lease whose bucket has left the window, or one of another window, is not given back', async () => {
      const { clock, limiter, key } = setup();
      const first = (await limiter.consumeAndLease(key, 10, 3600, 1, lease(5))).lease!;
      clock.advance(HOUR_MS + 1_000);
      await limiter.consume(key, 10, 3600, 2);
      await limiter.returnLease(key, 3600, first, 5);
      await limiter.returnLease(key, 60, first, 5);
      expect((await limiter.peek(key, 10, 3600)).used).toBe(2);
    });

    // Two instances share the limiter, lease, hand units out at random moments before each lease
    // ends and give back the rest: no rolling window ever holds more than the limit.
    it('never admits more than the limit in any rolling window with leases (random traffic, 3 h, two instances)', async () => {
      const { clock, limiter, key } = setup();
      const random = mulberry32(7);
      // A one-minute window (one-second buckets) so a lease lasts several buckets.
      const limit = 40;
      const windowMs = 60_000;
      const admitted: number[] = [];
      const instances = [{ at: 0 }, { at: 0 }];
      while (true) {
        const instance = instances[0]!.at <= instances[1]!.at ? instances[0]! : instances[1]!;
        if (instance.at >= 3 * HOUR_MS) break;
        clock.set(new Date(START + instance.at));
        const holdMs = 1 + Math.floor(random() * 5_000);
        const units = 1 + Math.floor(random() * 3);
        const { decision, lease: held } = await limiter.consumeAndLease(key, limit, 60, units, lease(2 + Math.floor(random() * 6), Math.floor(random() * 5), holdMs));
        for (let g = 0; g < decision.granted; g += 1) admitted.push(instance.at);
        if (held) {
          // Handed out before the lease's end, most of it just before (the hardest case), some never.
          const used = Math.floor(random() * (held.units + 1));
          for (let u = 0; u < used; u += 1) admitted.push(instance.at + holdMs - 1 - Math.floor(random() ** 4 * holdMs));
          clock.set(new Date(START + instance.at + holdMs));
          await limiter.returnLease(key, 60, held, held.units - used);
        }
        instance.at += holdMs + Math.floor(random() * 1_000);
      }
      admitted.sort((a, b) => a - b);
      expect(maxInAnyWindow(admitted, windowMs)).toBeLessThanOrEqual(limit);
      expect(maxInAnyWindow(admitted, windowMs)).toBeGreaterThan(limit * 0.9);
    }, 60_000);
  });
}
