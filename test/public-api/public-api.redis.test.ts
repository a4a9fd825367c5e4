import { randomBytes } from 'node:crypto';
import { pino } from 'pino';
import type { FastifyBaseLogger } from 'fastify';
import { afterAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../support/app.ts';
import { agencyWithOwner } from '../support/fixtures.ts';
import { createApiKey, withKey } from '../support/api-keys.ts';
import { expectProblem } from '../support/problem.ts';

const opened: TestApp[] = [];
afterAll(async () => {
  for (const app of opened.reverse()) await app.close();
});

describe.runIf(process.env.TEST_REDIS_URL)('rate limits shared through Redis', () => {
  it('two instances on one Redis admit exactly the limit between them under concurrent load', async () => {
    const redisKeyPrefix = `faro:test:${randomBytes(6).toString('hex')}:`;
    const a = await createTestApp({ redisKeyPrefix });
    opened.push(a);
    const b = await createTestApp({ database: a.database, redisKeyPrefix });
    opened.push(b);
    const { owner } = await agencyWithOwner(a.app, { tier: 'enterprise', api_rate_limit: 40 });
    const key = await createApiKey(a.app, owner);

    const responses = await Promise.all(Array.from({ length: 160 }, (_, i) => (i % 2 ? a : b).app.inject(withKey(key.key))));
    const statuses = responses.map((r) => r.statusCode);
    expect(statuses.filter((s) => s === 200)).toHaveLength(40);
    expect(statuses.filter((s) => s === 429)).toHaveLength(120);
    // Were the counts per instance, each would have admitted 40 of its 80.
    const usage = await a.app.inject({ method: 'GET', url: `/portal/api/api-keys/${key.id}/usage`, headers: owner.headers });
    expect(usage.json()).toMatchObject({ limit: 40, used: 40, remaining: 0 });
  });
});

describe('when Redis is unreachable', () => {
  it('keeps serving with per-instance limits, logs loudly, and never answers 500', async () => {
    const lines: string[] = [];
    const logger = pino({ level: 'warn' }, { write: (line: string) => void lines.push(line) }) as FastifyBaseLogger;
    const t = await createTestApp({ env: { REDIS_URL: 'redis://127.0.0.1:1' }, logger });
    opened.push(t);
    const { owner } = await agencyWithOwner(t.app, { tier: 'enterprise', api_rate_limit: 3 });
    const key = await createApiKey(t.app, owner);

    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) {
      const response = await t.app.inject(withKey(key.key));
      statuses.push(response.statusCode);
      expect(response.headers['ratelimit-policy']).toBe('"hourly";q=3;w=3600');
    }
    expect(statuses).toEqual([200, 200, 200, 429]);
    const usage = await t.app.inject({ method: 'GET', url: `/portal/api/api-keys/${key.id}/usage`, headers: owner.headers });
    expect(usage.json()).toMatchObject({ limit: 3, used: 3 });

    // Revocation still works on this instance (other instances fall back on the cache TTL).
    const revoked = await t.app.inject({ method: 'POST', url: `/portal/api/api-keys/${key.id}/revoke`, headers: owner.headers });
    expect(revoked.statusCode).toBe(200);
    expectProblem(await t.app.inject(withKey(key.key)), 401, 'revoked_api_key');

    const errors = lines.map((line) => JSON.parse(line) as { level: number; msg: string }).filter((entry) => entry.level >= 50);
    expect(errors.some((entry) => /RATE LIMITER: Redis unavailable/.test(entry.msg))).toBe(true);
    expect(errors.some((entry) => /API KEYS: .*Redis/.test(entry.msg))).toBe(true);
  });
});
