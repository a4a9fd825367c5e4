import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../support/app.ts';
import { createManualClock } from '../../src/lib/clock.ts';
import { newId } from '../../src/lib/ids.ts';
import { claimKey, findKey } from '../../src/domains/idempotency/repository.ts';
import { IDEMPOTENCY_LEASE_MS, IDEMPOTENCY_TTL_MS, fingerprintRequest } from '../../src/domains/idempotency/service.ts';
import { createRetentionJob } from '../../src/jobs/retention.ts';
import type { Lead } from '../../src/domains/leads/schemas.ts';
import { seedAgency, type Seeded } from './support.ts';
import { expectProblem } from '../support/problem.ts';

const clock = createManualClock(new Date());
let t: TestApp;
let seed: Seeded;
let keyCounter = 0;

beforeAll(async () => {
  t = await createTestApp({ clock });
  seed = await seedAgency(t.app, () => clock.advance(60_000));
});

afterAll(async () => t?.close());

const freshKey = () => `key-${Date.now()}-${++keyCounter}`;

function post(key: string | undefined, payload: unknown) {
  return t.app.inject({
    method: 'POST',
    url: '/api/v1/leads',
    headers: { ...seed.headers, ...(key === undefined ? {} : { 'idempotency-key': key }) },
    payload: payload as Record<string, unknown>,
  });
}

async function leadCount(): Promise<number> {
  return (await t.ctx.services.leads.list(seed.agency.id, {}, { limit: 100 })).data.length;
}

async function eventCount(type: string): Promise<number> {
  const rows = await t.ctx.db.selectFrom('events').select('id').where('agency_id', '=', seed.agency.id).where('type', '=', type).execute();
  return rows.length;
}

const body = () => ({ location_id: seed.locations[0], name: 'Zoe', email: 'zoe@example.com', value: 250 });

describe('Idempotency-Key on POST /leads', () => {
  it('same key + same body replays the first response, and creates one lead', async () => {
    const key = freshKey();
    const before = await leadCount();
    const first = await post(key, body());
    expect(first.statusCode, first.body).toBe(201);
    expect(first.headers['idempotent-replayed']).toBeUndefined();
    clock.advance(60_000);
    const second = await post(key, body());
    expect(second.statusCode).toBe(201);
    expect(second.headers['idempotent-replayed']).toBe('true');
    expect(second.json()).toEqual(first.json());
    expect(await leadCount()).toBe(before + 1);
  });

  it('the same body with keys in another order is the same request', async () => {
    const key = freshKey();
    const first = await post(key, { name: 'Yan', location_id: seed.locations[0] });
    const second = await post(key, { location_id: seed.locations[0], name: 'Yan' });
    expect(second.headers['idempotent-replayed']).toBe('true');
    expect(second.json<Lead>().id).toBe(first.json<Lead>().id);
  });

  it('same key + different body → 422 idempotency_key_reused, nothing created', async () => {
    const key = freshKey();
    expect((await post(key, body())).statusCode).toBe(201);
    const before = await leadCount();
    expectProblem(await post(key, { ...body(), name: 'Someone else' }), 422, 'idempotency_key_reused');
    expect(await leadCount()).toBe(before);
  });

  it('a converted lead raises lead.converted once, however often it is retried', async () => {
    const key = freshKey();
    const events = await eventCount('lead.converted');
    const payload = { ...body(), status: 'converted' };
    const responses = [await post(key, payload), await post(key, payload), await post(key, payload)];
    expect(responses.map((r) => r.statusCode)).toEqual([201, 201, 201]);
    expect(await eventCount('lead.converted')).toBe(events + 1);
  });

  it('concurrent requests with one key create exactly one lead; the others replay it or get 409', async () => {
    const key = freshKey();
    const before = await leadCount();
    const responses = await Promise.all(Array.from({ length: 8 }, () => post(key, body())));
    const created = responses.filter((r) => r.statusCode === 201);
    const inProgress = responses.filter((r) => r.statusCode === 409);
    expect(created.length + inProgress.length).toBe(8);
    expect(new Set(created.map((r) => r.json<Lead>().id)).size).toBe(1);
    expect(created.filter((r) => r.headers['idempotent-replayed'] !== 'true')).toHaveLength(1);
    for (const response of inProgress) expectProblem(response, 409, 'idempotency_key_in_progress');
    expect(await leadCount()).toBe(before + 1);
  });

  it('a retry while the first request still runs → 409 idempotency_key_in_progress with Retry-After', async () => {
    const key = freshKey();
    const now = clock.now();
    // The first request has claimed the key and is still working (as another instance would).
    await claimKey(t.ctx.db, {
      agencyId: seed.agency.id,
      key,
      fingerprint: fingerprintRequest('POST', '/api/v1/leads', { ...body(), source: 'api' }),
      claimToken: 'first',
      now,
      lockedUntil: new Date(now.getTime() + IDEMPOTENCY_LEASE_MS),
      expiresAt: new Date(now.getTime() + IDEMPOTENCY_TTL_MS),
    });
    const response = await post(key, body());
    expectProblem(response, 409, 'idempotency_key_in_progress');
    expect(response.headers['retry-after']).toBe('1');

    // A first request that died holding the key: once its lease passes, a retry runs.
    clock.advance(IDEMPOTENCY_LEASE_MS + 1000);
    const retried = await post(key, body());
    expect(retried.statusCode, retried.body).toBe(201);
    expect(retried.headers['idempotent-replayed']).toBeUndefined();
  });

  it('a failed request does not use up its key', async () => {
    const key = freshKey();
    const missingLocation = { ...body(), location_id: newId('loc') };
    expectProblem(await post(key, missingLocation), 400, 'validation_failed');
    expect(await findKey(t.ctx.db, seed.agency.id, key)).toBeUndefined();
    const fixed = await post(key, body());
    expect(fixed.statusCode).toBe(201);
    expect(fixed.headers['idempotent-replayed']).toBeUndefined();
  });

  it('keys are kept 24 hours, then the same key runs anew, and expired records are pruned', async () => {
    const key = freshKey();
    const first = await post(key, body());
    clock.advance(IDEMPOTENCY_TTL_MS - 1000);
    expect((await post(key, body())).headers['idempotent-replayed']).toBe('true');
    clock.advance(2000);
    const later = await post(key, body());
    expect(later.statusCode).toBe(201);
    expect(later.headers['idempotent-replayed']).toBeUndefined();
    expect(later.json<Lead>().id).not.toBe(first.json<Lead>().id);

    const stale = freshKey();
    await post(stale, body());
    clock.advance(IDEMPOTENCY_TTL_MS + 1000);
    expect(await findKey(t.ctx.db, seed.agency.id, stale)).toBeDefined();
    // The worker's hourly retention job prunes expired keys.
    const retention = createRetentionJob({ db: t.ctx.db, clock, config: t.ctx.config, logger: t.ctx.logger });
    // Every key of this file is past its 24 h by now; the stale one is among them.
    expect((await retention.runOnce()).idempotency_keys).toBeGreaterThanOrEqual(1);
    expect(await findKey(t.ctx.db, seed.agency.id, stale)).toBeUndefined();
    expect(await retention.runOnce()).toMatchObject({ idempotency_keys: 0 });
  });

  it('without a key, every request creates a lead', async () => {
    const before = await leadCount();
    await post(undefined, body());
    await post(undefined, body());
    expect(await leadCount()).toBe(before + 2);
  });

  it('an empty, over-long or non-printable key is a 400', async () => {
    for (const key of ['', 'k'.repeat(256), 'has space']) {
      const problem = expectProblem(await post(key, body()), 400, 'validation_failed');
      expect(JSON.stringify(problem.errors)).toContain('idempotency-key');
    }
  });
});
