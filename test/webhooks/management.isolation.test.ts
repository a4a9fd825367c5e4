import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../support/app.ts';
import { adminHeaders, createAgency, login } from '../support/fixtures.ts';
import { expectProblem } from '../support/problem.ts';
import { createSubscription, deliveryRow, insertDelivery, newCaller, raiseEvent, subscriptionRow, type Caller, type Method } from './support.ts';

describe('webhooks: tenant isolation and plan gating', () => {
  let t: TestApp;
  let a: Caller;
  let b: Caller;
  let subA: { id: string; secret: string };
  let deliveryA: string;
  let eventA: string;

  beforeAll(async () => {
    t = await createTestApp();
    a = await newCaller(t);
    b = await newCaller(t);
    subA = await createSubscription(a, { url: 'https://hooks.example.com/a', events: ['review.created'] });
    deliveryA = (await insertDelivery(t, { agencyId: a.agency.id, subscriptionId: subA.id, status: 'failed' })).id;
    eventA = (await raiseEvent(t, a.agency.id, 'lead.converted')).id;
    await createSubscription(b, { url: 'https://hooks.example.com/b' });
  });
  afterAll(async () => t?.close());

  it("agency B gets 404 for every one of A's subscriptions, deliveries and events", async () => {
    const since = new Date(Date.now() - 3600_000).toISOString();
    const attempts: [Method, string, unknown?][] = [
      ['GET', `/webhooks/${subA.id}`],
      ['PATCH', `/webhooks/${subA.id}`, { url: 'https://evil.example.com/' }],
      ['PATCH', `/webhooks/${subA.id}`, { enabled: false }],
      ['DELETE', `/webhooks/${subA.id}`],
      ['GET', `/webhooks/${subA.id}/secret`],
      ['POST', `/webhooks/${subA.id}/rotate-secret`],
      ['POST', `/webhooks/${subA.id}/test`, {}],
      ['GET', `/webhooks/${subA.id}/deliveries`],
      ['POST', `/webhooks/${subA.id}/recover`, { since }],
      ['GET', `/webhook-deliveries/${deliveryA}`],
      ['POST', `/webhook-deliveries/${deliveryA}/retry`],
      ['GET', `/events/${eventA}`],
    ];
    for (const [method, url, body] of attempts) {
      const response = await b.call(method, url, body);
      const problem = expectProblem(response, 404, 'not_found');
      expect(response.body, `${method} ${url}`).not.toContain('whsec_');
      expect(problem.detail).not.toContain(a.agency.id);
    }
  });

  it("B's lists never show A's subscriptions or events", async () => {
    const subs = (await b.call('GET', '/webhooks?limit=100')).json<{ data: { id: string }[] }>();
    expect(subs.data.map((s) => s.id)).not.toContain(subA.id);
    expect(subs.data).toHaveLength(1);
    const events = (await b.call('GET', '/events?limit=100')).json<{ data: { id: string; agency_id: string }[] }>();
    expect(events.data.every((e) => e.agency_id === b.agency.id)).toBe(true);
  });

  it("nothing of A's changed", async () => {
    expect(await subscriptionRow(t, subA.id)).toMatchObject({ url: 'https://hooks.example.com/a', enabled: true, deleted_at: null, previous_secret_sealed: null });
    expect((await a.call('GET', `/webhooks/${subA.id}/secret`)).json()).toEqual({ secret: subA.secret });
    expect(await deliveryRow(t, deliveryA)).toMatchObject({ status: 'failed', attempts: 1 });
    const testSends = await t.ctx.db.selectFrom('webhook_deliveries').select('id').where('subscription_id', '=', subA.id).where('is_test', '=', true).execute();
    expect(testSends).toEqual([]);
  });

  it('agencies below Scale get 403 tier_required on every webhook endpoint, and nothing changes', async () => {
    const growth = await createAgency(t.app, { tier: 'growth' });
    const session = await login(t.app, growth.email, growth.password);
    const endpoints: [Method, string, unknown?][] = [
      ['GET', '/webhooks'],
      ['POST', '/webhooks', { url: 'https://hooks.example.com/g', events: ['*'] }],
      ['GET', '/webhooks/event-types'],
      ['GET', `/webhooks/${subA.id}`],
      ['POST', `/webhooks/${subA.id}/test`, {}],
      ['GET', `/webhook-deliveries/${deliveryA}`],
      ['GET', '/events'],
    ];
    for (const [method, url, payload] of endpoints) {
      const response = await t.app.inject({ method, url: `/api/v1${url}`, headers: session.headers, ...(payload ? { payload: payload as object } : {}) });
      expectProblem(response, 403, 'tier_required');
    }
    const count = await t.ctx.db.selectFrom('webhook_subscriptions').select('id').where('agency_id', '=', growth.id).execute();
    expect(count).toEqual([]);
  });

  it('an agency that drops below Scale loses access until it is back', async () => {
    // Through the session, which reads the tier on every request (keys cache it for a second).
    const session = await login(t.app, b.agency.email, b.agency.password);
    const list = () => t.app.inject({ method: 'GET', url: '/api/v1/webhooks', headers: { cookie: session.cookie } });
    const setTier = async (tier: string) => {
      const response = await t.app.inject({ method: 'PATCH', url: `/admin/v1/agencies/${b.agency.id}`, headers: adminHeaders, payload: { tier } });
      expect(response.statusCode, response.body).toBe(200);
    };
    await setTier('growth');
    expectProblem(await list(), 403, 'tier_required');
    await setTier('scale');
    expect((await list()).statusCode).toBe(200);
  });
});
