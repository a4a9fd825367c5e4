import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { createManualClock } from '../../lib/clock.ts';
import { coalesceChecks } from './coalescing-limiter.ts';
import type { RateLimiter } from './rate-limiter.ts';
import { limiterBackends, START } from './rate-limiter.test-support.ts';

const { backends, loggedErrors, cleanUp } = limiterBackends();
afterAll(cleanUp);

/** The real limiter, with the checks that reach it written down. */
function counted(limiter: RateLimiter) {
  const checks: number[] = [];
  const wrapped: RateLimiter = {
    ...limiter,
    consume(key, limit, windowSeconds, units = 1) {
      checks.push(units);
      return limiter.consume(key, limit, windowSeconds, units);
    },
  };
  return { wrapped, checks };
}

for (const backend of backends) {
  describe.runIf(backend.enabled)(`coalesced checks on the ${backend.name} limiter`, () => {
    function setup() {
      const inner = backend.create(createManualClock(new Date(START)));
      const { wrapped, checks } = counted(inner);
      return { limiter: coalesceChecks(wrapped), checks, key: `key_${randomUUID()}` };
    }

    it('a burst is checked in batches, admits exactly the limit, and each request sees what it would alone', async () => {
      const { limiter, checks, key } = setup();
      const decisions = await Promise.all(Array.from({ length: 300 }, () => limiter.consume(key, 120, 3600)));
      const admitted = decisions.filter((d) => d.allowed);
      expect(admitted).toHaveLength(120);
      // As 120 checks in a row: each remaining from 119 down to 0 exactly once.
      expect(admitted.map((d) => d.remaining).sort((a, b) => a - b)).toEqual(Array.from({ length: 120 }, (_, i) => i));
      for (const refused of decisions.filter((d) => !d.allowed)) expect(refused).toMatchObject({ granted: 0, remaining: 0, retryAfterSeconds: 3600 });
      // Every request was counted once, in fewer round trips than requests.
      expect(checks.reduce((a, b) => a + b)).toBe(300);
      expect(checks.length).toBeLessThan(300);
      expect(await limiter.peek(key, 120, 3600)).toMatchObject({ used: 120, remaining: 0 });
      await limiter.close();
    });

    it('a check with none in flight goes at once, alone', async () => {
      const { limiter, checks, key } = setup();
      for (let i = 0; i < 5; i += 1) expect((await limiter.consume(key, 10, 60)).remaining).toBe(9 - i);
      expect(checks).toEqual([1, 1, 1, 1, 1]);
      await limiter.close();
    });

    it('two keys busy at once are counted apart', async () => {
      const { limiter, key } = setup();
      const other = `${key}_other`;
      const decisions = await Promise.all([
        ...Array.from({ length: 30 }, () => limiter.consume(key, 20, 3600)),
        ...Array.from({ length: 30 }, () => limiter.consume(other, 25, 3600)),
      ]);
      const allowedIn = (from: number) => decisions.slice(from, from + 30).filter((d) => d.allowed).length;
      expect([allowedIn(0), allowedIn(30)]).toEqual([20, 25]);
      await limiter.close();
    });

    it('a failing check fails each request of its batch, and the next check works', async () => {
      const { limiter, key } = setup();
      const bad = await Promise.allSettled(Array.from({ length: 3 }, () => limiter.consume(key, -1, 60)));
      expect(bad.map((r) => r.status)).toEqual(['rejected', 'rejected', 'rejected']);
      expect((await limiter.consume(key, 5, 60)).allowed).toBe(true);
      await limiter.close();
      expect(loggedErrors).toEqual([]);
    });
  });
}
