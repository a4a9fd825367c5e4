import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createManualClock } from '../../src/lib/clock.ts';
import { createTestApp, type TestApp } from '../support/app.ts';
import { adminHeaders, agencyWithOwner } from '../support/fixtures.ts';
import { createApiKey, withKey } from '../support/api-keys.ts';
import { problemCode } from '../support/problem.ts';
import { eventually } from '../support/eventually.ts';

/*
 * Two instances on one database (and one Redis when TEST_REDIS_URL is set). Both run on clocks
 * that never move, so their key caches never expire by themselves: only the cross-instance
 * message (Redis pub/sub, or Postgres NOTIFY) can make one refuse a key it has cached. B's clock
 * stands an hour ahead of A's, so a key A expires "now" is already expired for B.
 */
let a: TestApp;
let b: TestApp;

beforeAll(async () => {
  const redisKeyPrefix = `faro:test:${randomBytes(6).toString('hex')}:`;
  const now = Date.now();
  a = await createTestApp({ clock: createManualClock(new Date(now)), redisKeyPrefix });
  b = await createTestApp({ database: a.database, clock: createManualClock(new Date(now + 3600_000)), redisKeyPrefix });
});
afterAll(async () => {
  await b?.close();
  await a?.close();
});

const refusedWith = (instance: TestApp, key: string, code: string) => async () => {
  const response = await instance.app.inject(withKey(key));
  return response.statusCode === 401 && problemCode(response) === code;
};

describe('key changes reach every instance', () => {
  it('a key revoked on one instance is refused by another within 1 s', async () => {
    const { owner } = await agencyWithOwner(a.app);
    const key = await createApiKey(a.app, owner);
    expect((await b.app.inject(withKey(key.key))).statusCode).toBe(200);
    expect((await b.app.inject(withKey(key.key))).statusCode).toBe(200);

    const revoked = await a.app.inject({ method: 'POST', url: `/portal/api/api-keys/${key.id}/revoke`, headers: owner.headers });
    expect(revoked.statusCode).toBe(200);
    expect(await eventually(refusedWith(b, key.key, 'revoked_api_key'), 1000)).toBe(true);
  });

  it('an operator revocation on the other instance propagates the same way', async () => {
    const { owner, agency } = await agencyWithOwner(a.app);
    const key = await createApiKey(a.app, owner);
    expect((await a.app.inject(withKey(key.key))).statusCode).toBe(200);
    const revoked = await b.app.inject({ method: 'POST', url: `/admin/v1/agencies/${agency.id}/api-keys/${key.id}/revoke`, headers: adminHeaders });
    expect(revoked.statusCode).toBe(200);
    expect(await eventually(refusedWith(a, key.key, 'revoked_api_key'), 1000)).toBe(true);
  });

  it('a rotation with no grace period stops the old key on every instance', async () => {
    const { owner } = await agencyWithOwner(a.app);
    const key = await createApiKey(a.app, owner);
    expect((await b.app.inject(withKey(key.key))).statusCode).toBe(200);
    const rotated = await a.app.inject({
      method: 'POST',
      url: `/portal/api/api-keys/${key.id}/rotate`,
      headers: owner.headers,
      payload: { grace_period_seconds: 0 },
    });
    expect(rotated.statusCode).toBe(201);
    expect(await eventually(refusedWith(b, key.key, 'expired_api_key'), 1000)).toBe(true);
  });
});
