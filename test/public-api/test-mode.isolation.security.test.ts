import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LightMyRequestResponse } from 'fastify';
import { createTestApp, type TestApp } from '../support/app.ts';
import { adminHeaders, login, type PortalLogin } from '../support/fixtures.ts';
import { createManualClock } from '../../src/lib/clock.ts';
import { newId } from '../../src/lib/ids.ts';
import { SCOPES } from '../../src/domains/api/auth-context.ts';
import { buildEventPayload } from '../../src/domains/events/catalog.ts';
import { DOMAIN_EVENT_TYPES } from '../../src/domains/events/event-types.ts';
import { ENDPOINTS, ids, seedAgency, type Seeded } from './support.ts';
import { expectProblem } from '../support/problem.ts';

/*
 * Test mode is a sandbox agency: a faro_test_ key (or a portal session sending Faro-Mode: test)
 * must never see or touch a live row, and a live key never a test one, for every resource,
 * webhook object, event and audit entry. Both directions, by id and in lists.
 */
const clock = createManualClock(new Date());
let t: TestApp;
let live: Seeded;
let testHeaders: Record<string, string>;
let sandboxId: string;
let owner: PortalLogin;
const sandbox = { resources: [] as string[], events: [] as string[], subscription: '', delivery: '', keyId: '' };
const liveSide = { events: [] as string[], subscription: '', delivery: '' };

async function insertDeliveryOf(agencyId: string, subscriptionId: string, eventId: string): Promise<string> {
  const event = await t.ctx.db.selectFrom('events').selectAll().where('id', '=', eventId).executeTakeFirstOrThrow();
  const id = newId('whdel', clock.now());
  await t.ctx.db
    .insertInto('webhook_deliveries')
    .values({
      id,
      agency_id: agencyId,
      subscription_id: subscriptionId,
      event_id: event.id,
      event_type: event.type,
      payload: buildEventPayload(event),
      status: 'failed',
      attempts: 1,
      next_attempt_at: null,
      last_status_code: 500,
      delivered_at: null,
      is_test: false,
      created_at: clock.now(),
      updated_at: clock.now(),
    })
    .execute();
  return id;
}

const json = <T>(response: LightMyRequestResponse): T => {
  expect(response.statusCode, response.body).toBeLessThan(300);
  return response.json<T>();
};

beforeAll(async () => {
  t = await createTestApp({ clock });
  live = await seedAgency(t.app, () => clock.advance(60_000));
  owner = await login(t.app, live.agency.email, live.agency.password);
  const created = await t.app.inject({
    method: 'POST',
    url: `/admin/v1/agencies/${live.agency.id}/api-keys`,
    headers: adminHeaders,
    payload: { name: 'sandbox key', scopes: SCOPES, mode: 'test' },
  });
  const testKey = json<{ id: string; key: string }>(created);
  sandbox.keyId = testKey.id;
  testHeaders = { authorization: `Bearer ${testKey.key}` };
  sandboxId = (await t.ctx.services.sandboxes.find(live.agency.id))!.id;

  for (const type of DOMAIN_EVENT_TYPES) {
    clock.advance(60_000);
    const triggered = json<{ event_id: string; resource: { id: string } }>(
      await t.app.inject({ method: 'POST', url: '/api/v1/test/events', headers: testHeaders, payload: { type } }),
    );
    sandbox.events.push(triggered.event_id);
    sandbox.resources.push(triggered.resource.id);
    liveSide.events.push((await t.ctx.services.simulation.simulate(live.agency.id, type)).event_id);
  }
  const subscribe = (headers: Record<string, string>, url: string) =>
    t.app.inject({ method: 'POST', url: '/api/v1/webhooks', headers, payload: { url, events: ['*'] } });
  sandbox.subscription = json<{ id: string }>(await subscribe(testHeaders, 'https://hooks.example.com/test')).id;
  liveSide.subscription = json<{ id: string }>(await subscribe(live.headers, 'https://hooks.example.com/live')).id;
  sandbox.delivery = await insertDeliveryOf(sandboxId, sandbox.subscription, sandbox.events[0]!);
  liveSide.delivery = await insertDeliveryOf(live.agency.id, liveSide.subscription, liveSide.events[0]!);
});

afterAll(async () => t?.close());

const liveIds = () => [...live.locations, ...live.conversations.all, ...live.messages.all, ...live.reviews, ...live.leads];

/** Every list the public API has, each fetched in full. */
const LISTS = [...ENDPOINTS.filter((e) => e.list && !e.byId).map((e) => e.url(live)), '/api/v1/webhooks', '/api/v1/events', '/api/v1/audit-events'];

async function everythingListed(headers: Record<string, string>): Promise<string[]> {
  const all: string[] = [];
  for (const url of LISTS) {
    const response = await t.app.inject({ url: `${url}?limit=100`, headers });
    expect(response.statusCode, `${url}: ${response.body}`).toBe(200);
    all.push(...ids(response));
  }
  return all;
}

describe('test mode and live mode never see each other', () => {
  it('a test key gets 404 for every live resource, webhook object and event, as for a missing id', async () => {
    const byId = ENDPOINTS.filter((e) => e.byId && e.method === 'GET');
    for (const endpoint of byId) {
      for (const id of liveIds().filter((candidate) => candidate.startsWith(`${endpoint.byId!.prefix}_`))) {
        expectProblem(await t.app.inject({ url: endpoint.byId!.url(id), headers: testHeaders }), 404, 'not_found');
      }
    }
    for (const url of [`/api/v1/webhooks/${liveSide.subscription}`, `/api/v1/webhook-deliveries/${liveSide.delivery}`, ...liveSide.events.map((id) => `/api/v1/events/${id}`)]) {
      expectProblem(await t.app.inject({ url, headers: testHeaders }), 404, 'not_found');
    }
    const patch = await t.app.inject({ method: 'PATCH', url: `/api/v1/leads/${live.leads[0]}`, headers: testHeaders, payload: { notes: 'from test mode' } });
    expectProblem(patch, 404, 'not_found');
    expect((await t.ctx.services.leads.get(live.agency.id, live.leads[0]!)).notes).not.toBe('from test mode');
  });

  it('a live key gets 404 for every sandbox resource, webhook object and event', async () => {
    const urlOf: Record<string, string> = { loc: 'locations', conv: 'conversations', msg: 'messages', rev: 'reviews', lead: 'leads', sync: '' };
    for (const id of sandbox.resources) {
      const base = urlOf[id.split('_')[0]!];
      if (!base) continue; // sync runs have no endpoint of their own
      expectProblem(await t.app.inject({ url: `/api/v1/${base}/${id}`, headers: live.headers }), 404, 'not_found');
    }
    for (const url of [`/api/v1/webhooks/${sandbox.subscription}`, `/api/v1/webhook-deliveries/${sandbox.delivery}`, ...sandbox.events.map((id) => `/api/v1/events/${id}`)]) {
      expectProblem(await t.app.inject({ url, headers: live.headers }), 404, 'not_found');
    }
  });

  it('no list of either mode shows a row of the other, audit entries included', async () => {
    const seenInTest = await everythingListed(testHeaders);
    const seenLive = await everythingListed(live.headers);
    const liveOnly = [...liveIds(), ...liveSide.events, liveSide.subscription, live.agency.id];
    const testOnly = [...sandbox.resources, ...sandbox.events, sandbox.subscription, sandbox.keyId];
    expect(seenInTest.filter((id) => liveOnly.includes(id))).toEqual([]);
    expect(seenLive.filter((id) => testOnly.includes(id))).toEqual([]);
    // Each side does see its own: the sandbox its seeded and triggered data, live its own.
    expect(seenInTest).toEqual(expect.arrayContaining([...sandbox.events, sandbox.subscription]));
    expect(seenLive).toEqual(expect.arrayContaining([...liveSide.events, liveSide.subscription, ...live.reviews]));

    const auditTargets = async (headers: Record<string, string>) =>
      json<{ data: { target: { id: string } }[] }>(await t.app.inject({ url: '/api/v1/audit-events?limit=100', headers })).data.map((entry) => entry.target.id);
    const testAudit = await auditTargets(testHeaders);
    const liveAudit = await auditTargets(live.headers);
    expect(testAudit).toEqual(expect.arrayContaining([sandbox.keyId, sandbox.subscription]));
    expect(testAudit).not.toContain(liveSide.subscription);
    expect(liveAudit).toContain(liveSide.subscription);
    expect(liveAudit.filter((id) => id === sandbox.keyId || id === sandbox.subscription)).toEqual([]);
  });

  it('every event says its mode, in the events API and in the stored webhook body', async () => {
    const events = async (headers: Record<string, string>) =>
      json<{ data: { id: string; livemode: boolean }[] }>(await t.app.inject({ url: '/api/v1/events?limit=100', headers })).data;
    expect((await events(testHeaders)).every((event) => event.livemode === false)).toBe(true);
    expect((await events(live.headers)).every((event) => event.livemode === true)).toBe(true);
    const payloadOf = async (id: string) => JSON.parse((await t.ctx.db.selectFrom('webhook_deliveries').select('payload').where('id', '=', id).executeTakeFirstOrThrow()).payload) as { livemode: boolean };
    expect((await payloadOf(sandbox.delivery)).livemode).toBe(false);
    expect((await payloadOf(liveSide.delivery)).livemode).toBe(true);
  });

  it('every answer names its mode in Faro-Mode', async () => {
    expect((await t.app.inject({ url: '/api/v1/locations', headers: testHeaders })).headers['faro-mode']).toBe('test');
    expect((await t.app.inject({ url: '/api/v1/locations', headers: live.headers })).headers['faro-mode']).toBe('live');
    // A refusal after the caller is known says it too.
    const missing = await t.app.inject({ url: `/api/v1/reviews/${newId('rev')}`, headers: testHeaders });
    expect(missing.headers['faro-mode']).toBe('test');
  });
});

describe('the portal session switches modes with Faro-Mode', () => {
  it('sees the sandbox in test mode and live data otherwise, never both', async () => {
    const list = async (headers: Record<string, string>) => {
      const response = await t.app.inject({ url: '/api/v1/reviews?limit=100', headers });
      return { ids: ids(response), mode: response.headers['faro-mode'] };
    };
    const asTestKey = await list(testHeaders);
    const inTestMode = await list({ cookie: owner.cookie, 'faro-mode': 'test' });
    const inLiveMode = await list({ cookie: owner.cookie });
    expect(inTestMode).toEqual({ ids: asTestKey.ids, mode: 'test' });
    expect(inLiveMode.mode).toBe('live');
    expect(inLiveMode.ids).toEqual(expect.arrayContaining(live.reviews));
    expect(inTestMode.ids.filter((id) => inLiveMode.ids.includes(id))).toEqual([]);
  });

  it('manages the sandbox keys in Settings → API: test keys are faro_test_ and listed only in test mode', async () => {
    const create = await t.app.inject({ method: 'POST', url: '/portal/api/api-keys', headers: { ...owner.headers, 'faro-mode': 'test' }, payload: { name: 'portal test key', scopes: ['reviews:read'] } });
    const key = json<{ id: string; key: string }>(create);
    expect(key.key).toMatch(/^faro_test_[0-9A-Za-z]{38}$/);
    expect(create.headers['faro-mode']).toBe('test');
    const listed = async (mode?: string) =>
      json<{ data: { id: string }[] }>(await t.app.inject({ url: '/portal/api/api-keys', headers: { cookie: owner.cookie, ...(mode ? { 'faro-mode': mode } : {}) } })).data.map((k) => k.id);
    expect(await listed('test')).toEqual(expect.arrayContaining([key.id, sandbox.keyId]));
    expect(await listed()).not.toContain(key.id);
    expect(await listed('live')).not.toContain(sandbox.keyId);
    const reviews = await t.app.inject({ url: '/api/v1/reviews', headers: { authorization: `Bearer ${key.key}` } });
    expect(reviews.headers['faro-mode']).toBe('test');
  });

  it('refuses a Faro-Mode that is neither live nor test, and changes nothing', async () => {
    const before = (await t.ctx.db.selectFrom('api_keys').select('id').execute()).length;
    for (const url of ['/api/v1/reviews', '/portal/api/api-keys']) {
      const response = await t.app.inject({ url, headers: { cookie: owner.cookie, 'faro-mode': 'sandbox' } });
      expect(expectProblem(response, 400, 'validation_failed').errors).toEqual([{ path: 'header.faro-mode', message: 'must be live or test' }]);
    }
    const post = await t.app.inject({ method: 'POST', url: '/portal/api/api-keys', headers: { ...owner.headers, 'faro-mode': 'TEST2' }, payload: { name: 'x', scopes: ['reviews:read'] } });
    expectProblem(post, 400, 'validation_failed');
    expect((await t.ctx.db.selectFrom('api_keys').select('id').execute()).length).toBe(before);
  });
});
