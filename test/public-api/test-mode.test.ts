import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../support/app.ts';
import { adminHeaders, createAgency, setTier, type TestAgency } from '../support/fixtures.ts';
import { createApiKey } from '../support/api-keys.ts';
import { startWebhookReceiver, type WebhookReceiver } from '../support/webhook-receiver.ts';
import { expectProblem } from '../support/problem.ts';
import { SCOPES } from '../../src/domains/api/auth-context.ts';
import { API_KEY_PREFIX, TEST_API_KEY_PREFIX } from '../../src/domains/api/key-format.ts';
import { DOMAIN_EVENT_TYPES } from '../../src/domains/events/event-types.ts';

/*
 * Test mode end to end on a real app with its webhook worker running: test keys from the admin
 * API, the sandbox made once however many first uses race, its plan mirroring the live agency's,
 * and POST /api/v1/test/events raising a real event that reaches a real receiver.
 */
let t: TestApp;
let receiver: WebhookReceiver;

beforeAll(async () => {
  t = await createTestApp({ worker: true });
  receiver = await startWebhookReceiver();
});
afterAll(async () => {
  await t?.close();
  await receiver?.close();
});

async function adminKey(agencyId: string, body: Record<string, unknown>) {
  return t.app.inject({ method: 'POST', url: `/admin/v1/agencies/${agencyId}/api-keys`, headers: adminHeaders, payload: { name: 'k', scopes: SCOPES, ...body } });
}

async function testKeyOf(agency: TestAgency, scopes: readonly string[] = SCOPES): Promise<Record<string, string>> {
  const response = await adminKey(agency.id, { mode: 'test', scopes });
  expect(response.statusCode, response.body).toBe(201);
  return { authorization: `Bearer ${response.json<{ key: string }>().key}` };
}

const sandboxRows = (liveId: string) => t.ctx.db.selectFrom('agencies').selectAll().where('live_agency_id', '=', liveId).execute();

describe('operators make test keys', () => {
  it('mode defaults to live; mode test makes a faro_test_ key of the sandbox, and the sandbox is made once', async () => {
    const agency = await createAgency(t.app);
    const liveKey = await adminKey(agency.id, {});
    expect(liveKey.json<{ key: string }>().key.startsWith(API_KEY_PREFIX)).toBe(true);
    expect(await sandboxRows(agency.id)).toHaveLength(0);

    const first = await adminKey(agency.id, { mode: 'test' });
    const second = await adminKey(agency.id, { mode: 'test' });
    for (const response of [first, second]) {
      expect(response.statusCode, response.body).toBe(201);
      expect(response.json<{ key: string; masked_key: string }>()).toMatchObject({ key: expect.stringMatching(/^faro_test_[0-9A-Za-z]{38}$/), masked_key: expect.stringMatching(/^faro_test_/) });
    }
    const [sandbox] = await sandboxRows(agency.id);
    expect(await sandboxRows(agency.id)).toHaveLength(1);
    const keys = await t.ctx.db.selectFrom('api_keys').select(['id', 'agency_id', 'display_prefix']).where('agency_id', 'in', [agency.id, sandbox!.id]).execute();
    for (const key of keys) expect(key.display_prefix.startsWith(key.agency_id === agency.id ? API_KEY_PREFIX : TEST_API_KEY_PREFIX)).toBe(true);
    expect(keys.filter((key) => key.agency_id === sandbox!.id)).toHaveLength(2);

    // The sandbox is seeded with realistic data, and none of it fans out.
    const locations = await t.ctx.db.selectFrom('locations').select('id').where('agency_id', '=', sandbox!.id).execute();
    expect(locations.length).toBeGreaterThanOrEqual(3);
    const pending = await t.ctx.db.selectFrom('events').select('id').where('agency_id', '=', sandbox!.id).where('dispatched_at', 'is', null).execute();
    expect(pending).toEqual([]);
  });

  it('refuses an unknown mode and an unknown agency, and creates nothing', async () => {
    const agency = await createAgency(t.app);
    expectProblem(await adminKey(agency.id, { mode: 'sandbox' }), 400, 'validation_failed');
    expectProblem(await adminKey('agy_01jd5m0d9d6v3fw8p3n4q7r2s1', { mode: 'test' }), 404, 'not_found');
    expect(await sandboxRows(agency.id)).toHaveLength(0);
  });

  it('revokes a test key through the live agency', async () => {
    const agency = await createAgency(t.app);
    const created = (await adminKey(agency.id, { mode: 'test', scopes: ['locations:read'] })).json<{ id: string; key: string }>();
    const revoke = await t.app.inject({ method: 'POST', url: `/admin/v1/agencies/${agency.id}/api-keys/${created.id}/revoke`, headers: adminHeaders, payload: {} });
    expect(revoke.statusCode, revoke.body).toBe(200);
    expectProblem(await t.app.inject({ url: '/api/v1/locations', headers: { authorization: `Bearer ${created.key}` } }), 401, 'revoked_api_key');
  });
});

describe('the sandbox', () => {
  it('is created once when first uses race, whichever wins', async () => {
    const agency = await createAgency(t.app);
    const made = await Promise.all([1, 2, 3, 4].map(() => t.ctx.services.sandboxes.ensure(agency.id)));
    expect(new Set(made.map((sandbox) => sandbox.id)).size).toBe(1);
    expect(await sandboxRows(agency.id)).toHaveLength(1);
    // One seed, not one per racer.
    const locations = await t.ctx.db.selectFrom('locations').select('id').where('agency_id', '=', made[0]!.id).execute();
    expect(locations).toHaveLength(3);
  });

  it('is hidden from operators, mirrors the live plan, and goes with its live agency', async () => {
    const agency = await createAgency(t.app, { tier: 'scale' });
    const sandbox = await t.ctx.services.sandboxes.ensure(agency.id);
    expectProblem(await t.app.inject({ url: `/admin/v1/agencies/${sandbox.id}`, headers: adminHeaders }), 404, 'not_found');
    expectProblem(await t.app.inject({ method: 'PATCH', url: `/admin/v1/agencies/${sandbox.id}`, headers: adminHeaders, payload: { tier: 'enterprise' } }), 404, 'not_found');
    expectProblem(await adminKey(sandbox.id, {}), 404, 'not_found');

    await setTier(t.app, agency.id, 'enterprise', 5000);
    expect((await sandboxRows(agency.id))[0]).toMatchObject({ tier: 'enterprise', api_rate_limit: 5000 });
    await setTier(t.app, agency.id, 'growth');
    expect((await sandboxRows(agency.id))[0]).toMatchObject({ tier: 'growth', api_rate_limit: null });

    await t.ctx.db.deleteFrom('agencies').where('id', '=', agency.id).execute();
    expect(await t.ctx.db.selectFrom('agencies').select('id').where('id', '=', sandbox.id).execute()).toEqual([]);
  });

  it('refuses a live key with its prefix swapped to faro_test_: the checksum fails before any lookup', async () => {
    const agency = await createAgency(t.app);
    const { key } = await createApiKey(t.app, agency.id);
    const swapped = TEST_API_KEY_PREFIX + key.slice(API_KEY_PREFIX.length);
    expectProblem(await t.app.inject({ url: '/api/v1/locations', headers: { authorization: `Bearer ${swapped}` } }), 401, 'malformed_api_key');
  });
});

describe('POST /api/v1/test/events', () => {
  it('runs the real action in the sandbox for every event type, and the event is readable with livemode false', async () => {
    const agency = await createAgency(t.app);
    const headers = await testKeyOf(agency);
    for (const type of DOMAIN_EVENT_TYPES) {
      const response = await t.app.inject({ method: 'POST', url: '/api/v1/test/events', headers, payload: { type } });
      expect(response.statusCode, response.body).toBe(201);
      expect(response.headers['faro-mode']).toBe('test');
      const body = response.json<{ event_id: string; type: string; resource: { id: string } }>();
      expect(Object.keys(body).sort()).toEqual(['event_id', 'resource', 'type']);
      expect(body.type).toBe(type);
      const event = await t.app.inject({ url: `/api/v1/events/${body.event_id}`, headers });
      expect(event.json()).toMatchObject({ id: body.event_id, type, livemode: false, data: { id: body.resource.id } });
    }
  });

  it('delivers the event, signed, to the sandbox subscription and to no live one', async () => {
    const agency = await createAgency(t.app);
    const testHeaders = await testKeyOf(agency);
    const { headers: liveHeaders } = await createApiKey(t.app, agency.id, { scopes: SCOPES });
    const subscribe = (headers: Record<string, string>, path: string) =>
      t.app.inject({ method: 'POST', url: '/api/v1/webhooks', headers, payload: { url: `${receiver.url}${path}`, events: ['review.created'] } });
    const testSub = await subscribe(testHeaders, '/sandbox');
    const liveSub = await subscribe(liveHeaders, '/live');
    expect([testSub.statusCode, liveSub.statusCode]).toEqual([201, 201]);

    const triggered = await t.app.inject({ method: 'POST', url: '/api/v1/test/events', headers: testHeaders, payload: { type: 'review.created' } });
    const { event_id: eventId, resource } = triggered.json<{ event_id: string; resource: { id: string } }>();
    const request = await receiver.waitFor((r) => r.headers['webhook-id'] === eventId, { timeoutMs: 60_000 });
    expect(request.path).toBe('/sandbox');
    expect(request.headers['webhook-signature']).toMatch(/^v1,/);
    expect(JSON.parse(request.body)).toMatchObject({ id: eventId, type: 'review.created', livemode: false, data: { id: resource.id } });
    const liveDeliveries = await t.ctx.db.selectFrom('webhook_deliveries').select('id').where('subscription_id', '=', liveSub.json<{ id: string }>().id).execute();
    expect(liveDeliveries).toEqual([]);
  });

  it('answers a live key 403 test_mode_only, before reading the body, and raises nothing', async () => {
    const agency = await createAgency(t.app);
    const { headers } = await createApiKey(t.app, agency.id, { scopes: SCOPES });
    const count = async () => (await t.ctx.db.selectFrom('events').select('id').execute()).length;
    const before = await count();
    for (const payload of [{ type: 'review.created' }, { type: 'nope' }]) {
      const response = await t.app.inject({ method: 'POST', url: '/api/v1/test/events', headers, payload });
      expectProblem(response, 403, 'test_mode_only');
      expect(response.headers['faro-mode']).toBe('live');
      expect(response.headers['www-authenticate']).toBeUndefined();
    }
    expect(await count()).toBe(before);
  });

  it('needs events:read and the read scope of the event’s resource, and a known type', async () => {
    const agency = await createAgency(t.app);
    const noEvents = await testKeyOf(agency, ['leads:read', 'reviews:read']);
    const withoutEvents = await t.app.inject({ method: 'POST', url: '/api/v1/test/events', headers: noEvents, payload: { type: 'lead.converted' } });
    expect(expectProblem(withoutEvents, 403, 'insufficient_scope')).toMatchObject({ required_scope: 'events:read' });
    const headers = await testKeyOf(agency, ['events:read', 'leads:read']);
    const refused = await t.app.inject({ method: 'POST', url: '/api/v1/test/events', headers, payload: { type: 'review.created' } });
    expect(expectProblem(refused, 403, 'insufficient_scope')).toMatchObject({ required_scope: 'reviews:read' });
    const allowed = await t.app.inject({ method: 'POST', url: '/api/v1/test/events', headers, payload: { type: 'lead.converted' } });
    expect(allowed.statusCode, allowed.body).toBe(201);
    expectProblem(await t.app.inject({ method: 'POST', url: '/api/v1/test/events', headers, payload: { type: 'webhook.test' } }), 400, 'validation_failed');
    expectProblem(await t.app.inject({ method: 'POST', url: '/api/v1/test/events', headers, payload: {} }), 400, 'validation_failed');
  });

  it('gives live events livemode true', async () => {
    const agency = await createAgency(t.app);
    const { headers } = await createApiKey(t.app, agency.id, { scopes: SCOPES });
    const { event_id: eventId } = await t.ctx.services.simulation.simulate(agency.id, 'lead.converted');
    expect((await t.app.inject({ url: `/api/v1/events/${eventId}`, headers })).json()).toMatchObject({ id: eventId, livemode: true });
  });
});
