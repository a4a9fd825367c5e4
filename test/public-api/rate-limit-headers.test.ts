import { parseList, type Item } from 'structured-headers';
import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createManualClock } from '../../src/lib/clock.ts';
import { createTestApp, type TestApp } from '../support/app.ts';
import { agencyWithOwner } from '../support/fixtures.ts';
import { createApiKey, withKey } from '../support/api-keys.ts';
import { expectProblem } from '../support/problem.ts';

// RateLimit and RateLimit-Policy as draft-ietf-httpapi-ratelimit-headers-10 defines them, read
// with a Structured Field Values parser, on a controlled clock (memory or Redis limiter alike).
const clock = createManualClock(new Date('2026-05-04T08:00:00.000Z'));
let t: TestApp;

beforeAll(async () => {
  t = await createTestApp({ clock });
});
afterAll(async () => {
  await t?.close();
});

const MINUTE = 60_000;

function integerParam(params: Map<string, unknown>, name: string): number {
  const value = params.get(name);
  expect(Number.isInteger(value), `${name}=${String(value)} is an Integer`).toBe(true);
  return value as number;
}

/** Parses both fields as the draft says (a List of one String item with Integer parameters) and checks they agree with each other and with X-RateLimit-*. */
function rateLimitOf(response: LightMyRequestResponse) {
  const policies = parseList(String(response.headers['ratelimit-policy']));
  const limits = parseList(String(response.headers.ratelimit));
  expect(policies).toHaveLength(1);
  expect(limits).toHaveLength(1);
  const [policyName, policy] = policies[0] as Item;
  const [limitName, limit] = limits[0] as Item;
  expect(policyName).toBe('hourly'); // a String (quoted), not a Token
  expect(limitName).toBe(policyName);
  const state = { q: integerParam(policy, 'q'), w: integerParam(policy, 'w'), r: integerParam(limit, 'r'), t: integerParam(limit, 't') };

  expect(state.w).toBe(3600);
  expect(state.r).toBeGreaterThanOrEqual(0);
  expect(state.r).toBeLessThanOrEqual(state.q);
  // More quota always comes within the window, and never "now": r / t is a finite pace.
  expect(state.t).toBeGreaterThanOrEqual(1);
  expect(state.t).toBeLessThanOrEqual(state.w);
  expect(response.headers['x-ratelimit-limit']).toBe(String(state.q));
  expect(response.headers['x-ratelimit-remaining']).toBe(String(state.r));
  expect(response.headers['x-ratelimit-reset']).toBe(String(Math.ceil(clock.now().getTime() / 1000) + state.t));
  if (response.statusCode === 429) {
    expect(response.headers['retry-after']).toBe(String(state.t));
  } else {
    expect(response.headers['retry-after']).toBeUndefined();
  }
  return state;
}

async function keyWithQuota(quota: number, scopes?: string[]) {
  const { owner } = await agencyWithOwner(t.app, { tier: 'enterprise', api_rate_limit: quota });
  return createApiKey(t.app, owner, scopes ? { scopes } : {});
}

describe('RateLimit headers (draft-ietf-httpapi-ratelimit-headers-10)', () => {
  it('with nothing counted, r is the whole quota and t the whole window: the pace r / t is the policy’s q / w', async () => {
    const key = await keyWithQuota(100, ['reviews:read']);
    // A request refused for its scope did no work and is not counted; its headers show the key untouched.
    const refused = await t.app.inject(withKey(key.key, '/api/v1/locations'));
    expectProblem(refused, 403, 'insufficient_scope');
    expect(rateLimitOf(refused)).toEqual({ q: 100, w: 3600, r: 100, t: 3600 });

    // The first request counts: it leaves one window later, so that is when more quota comes.
    const first = await t.app.inject(withKey(key.key, '/api/v1/reviews'));
    expect(first.statusCode).toBe(200);
    expect(rateLimitOf(first)).toEqual({ q: 100, w: 3600, r: 99, t: 3600 });
  });

  it('a partly used key: t counts down to when its oldest requests leave the window', async () => {
    const key = await keyWithQuota(10);
    for (let i = 0; i < 3; i += 1) await t.app.inject(withKey(key.key));
    clock.advance(20 * MINUTE);
    await t.app.inject(withKey(key.key));
    const response = await t.app.inject(withKey(key.key));
    expect(response.statusCode).toBe(200);
    expect(rateLimitOf(response)).toMatchObject({ r: 5, t: 40 * 60 });

    clock.advance(40 * MINUTE - 1_000);
    expect(rateLimitOf(await t.app.inject(withKey(key.key)))).toMatchObject({ r: 4, t: 1 });
    clock.advance(1_000);
    // The first three left; the next to leave are the two sent 20 minutes after them.
    expect(rateLimitOf(await t.app.inject(withKey(key.key)))).toMatchObject({ r: 6, t: 20 * 60 });
  });

  it('an exhausted key: 429 whose Retry-After equals t, and a retry then is admitted (a second earlier is not)', async () => {
    const key = await keyWithQuota(4);
    await t.app.inject(withKey(key.key));
    clock.advance(7 * MINUTE + 30_000);
    for (let i = 0; i < 3; i += 1) expect((await t.app.inject(withKey(key.key))).statusCode).toBe(200);
    clock.advance(10 * MINUTE);

    const refused = await t.app.inject(withKey(key.key));
    const problem = expectProblem(refused, 429, 'rate_limited');
    const state = rateLimitOf(refused);
    expect(state).toMatchObject({ r: 0, t: 3600 - 17 * 60 - 30 });
    expect(problem.retry_after_seconds).toBe(state.t);

    clock.advance((state.t - 1) * 1000);
    const early = await t.app.inject(withKey(key.key));
    expectProblem(early, 429, 'rate_limited');
    expect(rateLimitOf(early)).toMatchObject({ r: 0, t: 1 });
    clock.advance(1_000);
    const retried = await t.app.inject(withKey(key.key));
    expect(retried.statusCode).toBe(200);
    expect(rateLimitOf(retried)).toMatchObject({ r: 0, t: 7 * 60 + 30 });
  });

  it('a client pacing itself by r / t for three hours is never refused and gets nearly its quota every hour', async () => {
    const quota = 20;
    const key = await keyWithQuota(quota);
    const start = clock.now().getTime();
    const admitted: number[] = [];
    while (clock.now().getTime() < start + 3 * 3_600_000) {
      const response = await t.app.inject(withKey(key.key));
      expect(response.statusCode).toBe(200);
      admitted.push(clock.now().getTime());
      const { r, t: reset } = rateLimitOf(response);
      clock.advance(r > 0 ? Math.ceil((reset * 1000) / r) : reset * 1000);
    }
    const lastTwoHours = admitted.filter((at) => at >= start + 3_600_000).length;
    expect(lastTwoHours).toBeGreaterThanOrEqual(2 * Math.floor((quota * 60) / 61));
    for (const at of admitted) expect(admitted.filter((other) => other > at - 3_600_000 && other <= at).length).toBeLessThanOrEqual(quota);
  }, 60_000);
});
