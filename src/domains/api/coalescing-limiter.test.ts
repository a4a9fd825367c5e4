import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { createManualClock } from '../../lib/clock.ts';
import { setTimeout as sleep } from 'node:timers/promises';
import { coalesceChecks, DEFAULT_LEASES } from './coalescing-limiter.ts';
import type { LeasingRateLimiter, RateLimitDecision, RateLimiter } from './rate-limiter.ts';
import { limiterBackends, START } from './rate-limiter.test-support.ts';
import { crossesQuotaAlert } from '../alerts/service.ts';
import { quotaAlertThreshold } from '../alerts/schemas.ts';
import { API_KEY_LEASES } from './rate-limit-policy.ts';

const { backends, loggedErrors, cleanUp } = limiterBackends();
afterAll(cleanUp);

/** The real limiter, with the checks that reach it written down (units, and units leased). */
function counted(limiter: LeasingRateLimiter) {
  const checks: number[] = [];
  const leased: number[] = [];
  const wrapped: LeasingRateLimiter = {
    ...limiter,
    consume(key, limit, windowSeconds, units = 1) {
      checks.push(units);
      return limiter.consume(key, limit, windowSeconds, units);
    },
    async consumeAndLease(key, limit, windowSeconds, units, lease) {
      checks.push(units);
      const answer = await limiter.consumeAndLease(key, limit, windowSeconds, units, lease);
      leased.push(answer.lease?.units ?? 0);
      return answer;
    },
  };
  return { wrapped, checks, leased };
}

/** `workers` clients, each making `each` checks one after the other (a load generator's connections). */
async function hammer(limiter: RateLimiter, key: string, limit: number, workers: number, each: number): Promise<RateLimitDecision[]> {
  const decisions: RateLimitDecision[] = [];
  await Promise.all(Array.from({ length: workers }, async () => {
    for (let i = 0; i < each; i += 1) decisions.push(await limiter.consume(key, limit, 3600));
  }));
  return decisions;
}

const HOLD_MS = 50;
const leases = { ...DEFAULT_LEASES, holdMs: HOLD_MS };

for (const backend of backends) {
  describe.runIf(backend.enabled)(`coalesced checks on the ${backend.name} limiter`, () => {
    function setup() {
      const clock = createManualClock(new Date(START));
      const inner = backend.create(clock);
      const { wrapped, checks, leased } = counted(inner);
      return { inner, limiter: coalesceChecks(wrapped, { clock, leases }), checks, leased, key: `key_${randomUUID()}`, clock };
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

    it('a busy key leases: a fraction of the round trips, each request its own remaining, exact counts once leases end', async () => {
      const { limiter, checks, leased, key } = setup();
      const limit = 1_000_000;
      const decisions = await hammer(limiter, key, limit, 20, 100);
      expect(decisions.every((d) => d.allowed)).toBe(true);
      // As 2,000 checks in a row on one instance: each remaining from limit - 1 down, exactly once.
      expect(decisions.map((d) => d.remaining).sort((a, b) => b - a)).toEqual(Array.from({ length: 2_000 }, (_, i) => limit - 1 - i));
      expect(leased.some((units) => units > 0)).toBe(true);
      expect(checks.length).toBeLessThan(200);
      await sleep(HOLD_MS * 3);
      expect((await limiter.peek(key, limit, 3600)).used).toBe(2_000);
      await limiter.close();
    });

    it('a key whose limit changes while it is busy is checked against the new limit at once', async () => {
      const { limiter, key } = setup();
      const decisions = await Promise.all([...Array.from({ length: 10 }, () => limiter.consume(key, 100, 3600)), ...Array.from({ length: 10 }, () => limiter.consume(key, 12, 3600))]);
      expect(decisions.slice(0, 10).every((d) => d.allowed && d.limit === 100)).toBe(true);
      // Each decided against its own limit, in the one window the key has.
      const underTwelve = decisions.slice(10);
      expect(underTwelve.every((d) => d.limit === 12)).toBe(true);
      const admitted = underTwelve.filter((d) => d.allowed).length;
      expect(admitted).toBeGreaterThan(0);
      for (const d of underTwelve.filter((u) => u.allowed)) expect(d.remaining).toBeLessThan(12);
      expect((await limiter.peek(key, 12, 3600)).used).toBe(10 + admitted);
      await limiter.close();
    });

    it('a quiet key never leases', async () => {
      const { limiter, checks, leased, key } = setup();
      for (let i = 0; i < 20; i += 1) expect((await limiter.consume(key, 1_000_000, 3600)).remaining).toBe(999_999 - i);
      expect(checks).toEqual(Array.from({ length: 20 }, () => 1));
      expect(leased).toEqual([]);
      await limiter.close();
    });

    it('two instances leasing from one store admit exactly the limit in a burst, and refuse the rest exactly', async () => {
      const { inner, limiter, key, clock } = setup();
      const other = coalesceChecks(inner, { clock, leases });
      const [mine, theirs] = await Promise.all([hammer(limiter, key, 5_000, 20, 300), hammer(other, key, 5_000, 20, 300)]);
      const all = [...mine, ...theirs];
      expect(all.filter((d) => d.allowed)).toHaveLength(5_000);
      for (const refused of all.filter((d) => !d.allowed)) expect(refused).toMatchObject({ remaining: 0, retryAfterSeconds: 3600 });
      await sleep(HOLD_MS * 3);
      expect((await inner.peek(key, 5_000, 3600)).used).toBe(5_000);
      await limiter.close();
    });

    it("with the API's leases, exactly one request of a two-instance burst sees the quota alert's threshold, and none is leased past it", async () => {
      const { inner, clock, key } = setup();
      const granted: { remaining: number; limit: number }[] = [];
      const watched: LeasingRateLimiter = {
        ...inner,
        async consumeAndLease(...args) {
          const answer = await inner.consumeAndLease(...args);
          if (answer.lease) granted.push(answer.decision);
          return answer;
        },
      };
      const [one, two] = [coalesceChecks(watched, { clock, leases: API_KEY_LEASES }), coalesceChecks(watched, { clock, leases: API_KEY_LEASES })];
      const all = (await Promise.all([hammer(one, key, 5_000, 20, 300), hammer(two, key, 5_000, 20, 300)])).flat();
      expect(granted.length).toBeGreaterThan(0);
      for (const decision of granted) expect(decision.limit - decision.remaining).toBeLessThan(quotaAlertThreshold(5_000));
      expect(all.filter((d) => crossesQuotaAlert(d))).toHaveLength(1);
      await sleep(HOLD_MS * 3);
    });

    it('units a lease did not hand out go back when it ends, and when the limiter closes', async () => {
      const { inner, limiter, leased, key, clock } = setup();
      await hammer(limiter, key, 1_000_000, 10, 10);
      expect(leased.some((units) => units > 0)).toBe(true);
      expect((await inner.peek(key, 1_000_000, 3600)).used).toBeGreaterThan(100);
      await sleep(HOLD_MS * 3);
      expect((await inner.peek(key, 1_000_000, 3600)).used).toBe(100);

      // A lease held far longer goes back when the limiter closes (the store under it stays open).
      const closing = coalesceChecks({ ...inner, close: async () => undefined }, { clock, leases: { ...leases, holdMs: 60_000 } });
      await hammer(closing, key, 1_000_000, 10, 10);
      expect((await inner.peek(key, 1_000_000, 3600)).used).toBeGreaterThan(200);
      await closing.close();
      expect((await inner.peek(key, 1_000_000, 3600)).used).toBe(200);
      await limiter.close();
    });
  });
}
