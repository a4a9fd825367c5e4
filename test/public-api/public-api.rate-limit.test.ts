import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createManualClock } from '../../src/lib/clock.ts';
import { createTestApp, type TestApp } from '../support/app.ts';
import { agencyWithOwner } from '../support/fixtures.ts';
import { createApiKey, withKey } from '../support/api-keys.ts';
import { expectProblem } from '../support/problem.ts';

const clock = createManualClock(new Date('2026-05-04T08:00:00.000Z'));
let t: TestApp;

beforeAll(async () => {
  t = await createTestApp({ clock });
});
afterAll(async () => {
  await t?.close();
});

const nowSeconds = () => Math.ceil(clock.now().getTime() / 1000);

describe('per-key rate limits on /api/v1', () => {
  it('admits exactly the limit, then answers 429 with Retry-After and the rate-limit headers', async () => {
    const { owner } = await agencyWithOwner(t.app, { tier: 'enterprise', api_rate_limit: 5 });
    const key = await createApiKey(t.app, owner);
    for (let i = 1; i <= 5; i++) {
      const response = await t.app.inject(withKey(key.key));
      expect(response.statusCode).toBe(200);
      expect(response.headers['ratelimit-policy']).toBe('"hourly";q=5;w=3600');
      expect(response.headers['x-ratelimit-limit']).toBe('5');
      expect(response.headers['x-ratelimit-remaining']).toBe(String(5 - i));
      // More quota comes back when the first request leaves the window, an hour from now.
      expect(response.headers.ratelimit).toBe(`"hourly";r=${5 - i};t=3600`);
      expect(response.headers['x-ratelimit-reset']).toBe(String(nowSeconds() + 3600));
    }
    const refused = await t.app.inject(withKey(key.key));
    const problem = expectProblem(refused, 429, 'rate_limited');
    const retryAfter = Number(refused.headers['retry-after']);
    expect(retryAfter).toBe(3600);
    expect(problem.retry_after_seconds).toBe(retryAfter);
    expect(refused.headers.ratelimit).toBe(`"hourly";r=0;t=${retryAfter}`);
    expect(refused.headers['x-ratelimit-remaining']).toBe('0');
    expect(refused.headers['x-ratelimit-reset']).toBe(String(nowSeconds() + retryAfter));

    clock.advance(retryAfter * 1000);
    expect((await t.app.inject(withKey(key.key))).statusCode).toBe(200);
  });

  it('counts each key on its own, and a key’s own limit applies (enterprise)', async () => {
    const { owner } = await agencyWithOwner(t.app, { tier: 'enterprise', api_rate_limit: 10 });
    const small = await createApiKey(t.app, owner, { rate_limit: 3 });
    const other = await createApiKey(t.app, owner);
    for (let i = 0; i < 3; i++) expect((await t.app.inject(withKey(small.key))).statusCode).toBe(200);
    expectProblem(await t.app.inject(withKey(small.key)), 429, 'rate_limited');
    const fresh = await t.app.inject(withKey(other.key));
    expect(fresh.statusCode).toBe(200);
    expect(fresh.headers['x-ratelimit-remaining']).toBe('9');
  });

  it('admits exactly the limit under concurrent requests', async () => {
    const { owner } = await agencyWithOwner(t.app, { tier: 'enterprise', api_rate_limit: 7 });
    const key = await createApiKey(t.app, owner);
    const responses = await Promise.all(Array.from({ length: 25 }, () => t.app.inject(withKey(key.key))));
    const statuses = responses.map((r) => r.statusCode);
    expect(statuses.filter((s) => s === 200)).toHaveLength(7);
    expect(statuses.filter((s) => s === 429)).toHaveLength(18);
  });

  it('puts the headers on error responses after authentication too', async () => {
    const { owner } = await agencyWithOwner(t.app);
    const key = await createApiKey(t.app, owner);
    const auth = { authorization: `Bearer ${key.key}` };
    const missing = await t.app.inject({ method: 'GET', url: '/api/v1/locations/loc_00000000000000000000000000', headers: auth });
    expectProblem(missing, 404, 'not_found');
    const invalid = await t.app.inject({ method: 'GET', url: '/api/v1/locations?limit=0', headers: auth });
    expectProblem(invalid, 400, 'validation_failed');
    for (const response of [missing, invalid]) {
      expect(response.headers['ratelimit-policy']).toBe('"hourly";q=1000;w=3600');
      expect(response.headers.ratelimit).toMatch(/^"hourly";r=\d+;t=\d+$/);
      expect(response.headers['x-ratelimit-reset']).toMatch(/^\d+$/);
    }
    expect(invalid.headers['x-ratelimit-remaining']).toBe('998');
  });

  it('never admits more than the quota in any rolling hour, and about the quota per hour at full rate', async () => {
    const limit = 30;
    const { owner } = await agencyWithOwner(t.app, { tier: 'enterprise', api_rate_limit: limit });
    const key = await createApiKey(t.app, owner);
    const admitted: number[] = [];
    const start = clock.now().getTime();
    // A greedy client for 3 hours: a request every 2 minutes, and a burst of limit + 1 requests
    // 30 s before and 30 s after each hour edge (where a fixed window would admit twice the quota).
    for (let second = 0; second < 3 * 3600; second += 30) {
      const edge = second % 3600 === 3570 || second % 3600 === 30;
      if (second % 120 !== 0 && !edge) continue;
      clock.set(new Date(start + second * 1000));
      for (let i = 0; i < (edge ? limit + 1 : 1); i++) {
        const response = await t.app.inject(withKey(key.key));
        expect([200, 429]).toContain(response.statusCode);
        if (response.statusCode === 200) admitted.push(second * 1000);
      }
    }
    for (const at of admitted) {
      expect(admitted.filter((other) => other > at - 3600_000 && other <= at).length).toBeLessThanOrEqual(limit);
    }
    // Counting 61 one-minute buckets costs a client at full rate at most 1/61 of its quota.
    const lastTwoHours = admitted.filter((at) => at >= 3600_000).length;
    expect(lastTwoHours).toBeGreaterThanOrEqual(2 * Math.floor((limit * 60) / 61));
  });
});
