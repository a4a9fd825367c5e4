import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../src/db/database.ts';
import { createManualClock } from '../../src/lib/clock.ts';
import { generateApiKey } from '../../src/domains/api/key-format.ts';
import { KEY_CACHE_TTL_MS } from '../../src/domains/api/key-auth.ts';
import { UNKNOWN_KEY_WINDOW_SECONDS, UNKNOWN_KEYS_PER_ADDRESS } from '../../src/domains/api/rate-limit-policy.ts';
import { createTestApp, type TestApp } from '../support/app.ts';
import { createTestDatabase, observingQueries } from '../support/database.ts';
import { addMember, agencyWithOwner, setTier } from '../support/fixtures.ts';
import { createApiKey, PROBE, withKey } from '../support/api-keys.ts';
import { expectProblem } from '../support/problem.ts';

const clock = createManualClock(new Date('2026-04-01T12:00:00.000Z'));
let database: Database;
let queries = 0;
let t: TestApp;

beforeAll(async () => {
  database = await createTestDatabase();
  // Every query the app runs is counted, so a test can see that none ran.
  t = await createTestApp({ clock, database: observingQueries(database, () => (queries += 1)) });
});
afterAll(async () => {
  await t?.close();
  await database?.close();
});

const LEAD_ID = 'lead_00000000000000000000000000';

describe('API key authentication on /api/v1', () => {
  it('refuses a request without credentials, or with another scheme, as missing_credentials', async () => {
    for (const headers of [{}, { authorization: 'Basic dXNlcjpwYXNz' }, { authorization: 'Bearer' }]) {
      const response = await t.app.inject({ method: 'GET', url: PROBE, headers });
      expectProblem(response, 401, 'missing_credentials');
      expect(response.headers['www-authenticate']).toBe('Bearer realm="FARO API"');
      expect(response.headers['x-ratelimit-limit']).toBeUndefined();
    }
  });

  it('refuses a malformed key (bad format or checksum) without touching the database', async () => {
    const { owner } = await agencyWithOwner(t.app);
    const valid = await createApiKey(t.app, owner);
    const lastChar = valid.key.at(-1) === 'A' ? 'B' : 'A';
    const badChecksum = valid.key.slice(0, -1) + lastChar;
    for (const token of ['nope', 'faro_live_short', badChecksum, `${valid.key}x`, valid.key.replace('faro_live_', 'faro_test_')]) {
      queries = 0;
      const response = await t.app.inject(withKey(token));
      expectProblem(response, 401, 'malformed_api_key');
      expect(response.headers['www-authenticate']).toBe('Bearer realm="FARO API", error="invalid_token"');
      expect(queries, `queries for ${token}`).toBe(0);
    }
    // The control: a well-formed key that does not exist is looked up.
    queries = 0;
    expectProblem(await t.app.inject(withKey(generateApiKey().key)), 401, 'unknown_api_key');
    expect(queries).toBeGreaterThan(0);
  });

  it('tells unknown, revoked and expired keys apart', async () => {
    const { owner } = await agencyWithOwner(t.app);
    expectProblem(await t.app.inject(withKey(generateApiKey().key)), 401, 'unknown_api_key');

    const revoked = await createApiKey(t.app, owner);
    await t.app.inject({ method: 'POST', url: `/portal/api/api-keys/${revoked.id}/revoke`, headers: owner.headers });
    expectProblem(await t.app.inject(withKey(revoked.key)), 401, 'revoked_api_key');

    const expiresAt = new Date(clock.now().getTime() + 60_000).toISOString();
    const expiring = await createApiKey(t.app, owner, { expires_at: expiresAt });
    expect(expiring.status).toBe('expiring');
    expect((await t.app.inject(withKey(expiring.key))).statusCode).toBe(200);
    clock.advance(60_000);
    const expired = await t.app.inject(withKey(expiring.key));
    expectProblem(expired, 401, 'expired_api_key');
    expect(expired.headers['www-authenticate']).toContain('error="invalid_token"');
  });

  it('refuses an address that sent too many unknown keys, without a lookup, until its window passes', async () => {
    const { owner } = await agencyWithOwner(t.app);
    const valid = await createApiKey(t.app, owner);
    const from = (remoteAddress: string, key: string) => t.app.inject({ ...withKey(key), remoteAddress });
    // A key this instance has not cached yet: its first use would need a lookup.
    clock.advance(KEY_CACHE_TTL_MS);
    for (let i = 0; i < UNKNOWN_KEYS_PER_ADDRESS; i++) expectProblem(await from('203.0.113.7', generateApiKey().key), 401, 'unknown_api_key');

    queries = 0;
    const refused = await from('203.0.113.7', generateApiKey().key);
    const body = expectProblem(refused, 429, 'auth_throttled');
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
    expect(body.retry_after_seconds).toBe(Number(refused.headers['retry-after']));
    expect(queries).toBe(0); // refused before the lookup

    // Another address is not affected, and a real key is never refused by this throttle.
    expect((await from('203.0.113.8', valid.key)).statusCode).toBe(200);
    expect((await from('203.0.113.7', valid.key)).statusCode).toBe(200);

    // Retry-After is honest: waiting that long is enough, and a window is about that long.
    const stillRefused = await from('203.0.113.7', generateApiKey().key);
    expectProblem(stillRefused, 429, 'auth_throttled');
    const waitSeconds = Number(stillRefused.headers['retry-after']);
    expect(waitSeconds).toBeGreaterThan(UNKNOWN_KEY_WINDOW_SECONDS - 60);
    clock.advance(waitSeconds * 1000);
    expectProblem(await from('203.0.113.7', generateApiKey().key), 401, 'unknown_api_key');
  });

  it('prefers the Authorization header over a session cookie', async () => {
    const { owner } = await agencyWithOwner(t.app);
    const response = await t.app.inject({ method: 'GET', url: PROBE, headers: { cookie: owner.cookie, authorization: 'Bearer nope' } });
    expectProblem(response, 401, 'malformed_api_key');
  });
});

describe('scopes and plans', () => {
  it('refuses a key without the route’s scope, naming it', async () => {
    const { owner } = await agencyWithOwner(t.app);
    const key = await createApiKey(t.app, owner, { scopes: ['reviews:read'] });
    const response = await t.app.inject(withKey(key.key));
    const problem = expectProblem(response, 403, 'insufficient_scope');
    expect(problem.required_scope).toBe('locations:read');
    expect(problem.detail).toContain('locations:read');
    expect(response.headers['www-authenticate']).toContain('scope="locations:read"');
    expect(response.headers['x-ratelimit-limit']).toBe('1000');
    expect((await t.app.inject(withKey(key.key, '/api/v1/reviews'))).statusCode).toBe(200);
  });

  it('locks a key out when the agency drops below Scale and lets it back in on upgrade', async () => {
    const { owner, agency } = await agencyWithOwner(t.app, { tier: 'scale' });
    const key = await createApiKey(t.app, owner);
    expect((await t.app.inject(withKey(key.key))).statusCode).toBe(200);

    await setTier(t.app, agency.id, 'growth');
    clock.advance(KEY_CACHE_TTL_MS);
    const refused = await t.app.inject(withKey(key.key));
    const problem = expectProblem(refused, 403, 'tier_required');
    expect(problem).toMatchObject({ required_tier: 'scale', current_tier: 'growth' });
    // Like every authenticated /api/v1 answer it says where the key stands, and it was not counted.
    expect(refused.headers['ratelimit-policy']).toMatch(/^"hourly";q=\d+;w=3600$/);
    const remaining = refused.headers['x-ratelimit-remaining'];
    expect(remaining).toBeDefined();
    expect((await t.app.inject(withKey(key.key))).headers['x-ratelimit-remaining']).toBe(remaining);

    await setTier(t.app, agency.id, 'enterprise', 5000);
    clock.advance(KEY_CACHE_TTL_MS);
    const back = await t.app.inject(withKey(key.key));
    expect(back.statusCode).toBe(200);
    expect(back.headers['x-ratelimit-limit']).toBe('5000');
  });
});

describe('portal session on /api/v1', () => {
  it('lets an owner read and write; a write needs the CSRF token', async () => {
    const { owner } = await agencyWithOwner(t.app);
    const read = await t.app.inject({ method: 'GET', url: PROBE, headers: { cookie: owner.cookie } });
    expect(read.statusCode).toBe(200);
    expect(read.headers['ratelimit-policy']).toBe('"hourly";q=1000;w=3600');

    const patch = { method: 'PATCH' as const, url: `/api/v1/leads/${LEAD_ID}`, payload: { status: 'contacted' } };
    expectProblem(await t.app.inject({ ...patch, headers: { cookie: owner.cookie } }), 403, 'csrf_failed');
    expectProblem(await t.app.inject({ ...patch, headers: { cookie: owner.cookie, 'x-csrf-token': 'wrong' } }), 403, 'csrf_failed');
    // Past authentication, CSRF and scope: the lead simply does not exist.
    expectProblem(await t.app.inject({ ...patch, headers: owner.headers }), 404, 'not_found');
  });

  it('gives a member the read scopes only', async () => {
    const { agency } = await agencyWithOwner(t.app);
    const member = await addMember(t.app, agency.id);
    expect((await t.app.inject({ method: 'GET', url: PROBE, headers: member.headers })).statusCode).toBe(200);
    const write = await t.app.inject({ method: 'PATCH', url: `/api/v1/leads/${LEAD_ID}`, headers: member.headers, payload: { status: 'contacted' } });
    expect(expectProblem(write, 403, 'insufficient_scope').required_scope).toBe('leads:write');
  });

  it('refuses a stale session cookie and a session of an agency below Scale', async () => {
    expectProblem(await t.app.inject({ method: 'GET', url: PROBE, headers: { cookie: 'faro_session=stale' } }), 401, 'invalid_session');
    const { owner } = await agencyWithOwner(t.app, { tier: 'growth' });
    const refused = await t.app.inject({ method: 'GET', url: PROBE, headers: { cookie: owner.cookie } });
    expect(expectProblem(refused, 403, 'tier_required').required_tier).toBe('scale');
  });
});
