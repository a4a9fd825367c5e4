import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { createTestApp, type TestApp } from '../support/app.ts';
import { login } from '../support/fixtures.ts';
import { expectProblem } from '../support/problem.ts';
import { createSubscription, insertDelivery, newCaller, subscriptionRow, type Caller } from './support.ts';

const addFormats = addFormatsModule as unknown as (ajv: Ajv2020) => Ajv2020;

describe('webhook subscriptions: happy paths', () => {
  let t: TestApp;
  let caller: Caller;

  beforeAll(async () => {
    t = await createTestApp();
    caller = await newCaller(t);
  });
  afterAll(async () => t?.close());

  it('creates a subscription and answers it with its secret, once', async () => {
    const response = await caller.call('POST', '/webhooks', {
      url: 'https://hooks.example.com/faro',
      events: ['review.created', 'lead.converted'],
      description: 'CRM sync',
    });
    expect(response.statusCode, response.body).toBe(201);
    const created = response.json();
    expect(created).toEqual({
      id: expect.stringMatching(/^whsub_[0-9a-z]{26}$/),
      url: 'https://hooks.example.com/faro',
      events: ['review.created', 'lead.converted'],
      description: 'CRM sync',
      enabled: true,
      disabled_reason: null,
      created_at: expect.any(String),
      updated_at: expect.any(String),
      health: {
        deliveries_24h: 0, succeeded_24h: 0, failed_24h: 0, retrying_24h: 0, success_rate_24h: null,
        last_delivery_status: null, last_delivery_at: null, last_test_status: null, last_test_at: null,
      },
      secret: expect.stringMatching(/^whsec_[A-Za-z0-9+/]{43}=$/),
    });
    expect(Buffer.from(created.secret.slice('whsec_'.length), 'base64')).toHaveLength(32);

    const fetched = await caller.call('GET', `/webhooks/${created.id}`);
    expect(fetched.statusCode).toBe(200);
    const { secret: _secret, ...withoutSecret } = created;
    expect(fetched.json()).toEqual(withoutSecret);
  });

  it('creates a disabled subscription to every event type with ["*"]', async () => {
    const created = await createSubscription(caller, { url: 'https://hooks.example.com/all', events: ['*'], enabled: false });
    expect(created).toMatchObject({ events: ['*'], enabled: false, description: '', disabled_reason: null });
  });

  it('lists subscriptions newest first, a page at a time, without secrets', async () => {
    const other = await newCaller(t);
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push((await createSubscription(other, { url: `https://hooks.example.com/${i}` })).id);

    const first = await other.call('GET', '/webhooks?limit=2');
    expect(first.statusCode).toBe(200);
    const page1 = first.json();
    expect(page1.data.map((s: { id: string }) => s.id)).toEqual([ids[2], ids[1]]);
    expect(page1.has_more).toBe(true);
    expect(first.body).not.toContain('whsec_');
    expect(first.body).not.toContain('secret');

    const second = await other.call('GET', `/webhooks?limit=2&cursor=${page1.next_cursor}`);
    expect(second.json()).toMatchObject({ data: [{ id: ids[0] }], has_more: false, next_cursor: null });
  });

  it('reports 24-hour health per subscription, from real deliveries only', async () => {
    const owner = await newCaller(t);
    const sub = await createSubscription(owner, { url: 'https://hooks.example.com/health' });
    const quiet = await createSubscription(owner, { url: 'https://hooks.example.com/quiet' });
    const agencyId = owner.agency.id;
    const old = new Date(Date.now() - 30 * 3600_000);
    await insertDelivery(t, { agencyId, subscriptionId: sub.id, status: 'failed', createdAt: old });
    await insertDelivery(t, { agencyId, subscriptionId: sub.id, status: 'succeeded', createdAt: new Date(Date.now() - 3000) });
    await insertDelivery(t, { agencyId, subscriptionId: sub.id, status: 'succeeded', createdAt: new Date(Date.now() - 2000) });
    await insertDelivery(t, { agencyId, subscriptionId: sub.id, status: 'failed', createdAt: new Date(Date.now() - 1500) });
    const latest = await insertDelivery(t, { agencyId, subscriptionId: sub.id, status: 'pending', createdAt: new Date(Date.now() - 1000) });
    const test = await insertDelivery(t, { agencyId, subscriptionId: sub.id, status: 'failed', isTest: true });

    const list = (await owner.call('GET', '/webhooks')).json<{ data: { id: string; health: unknown }[] }>();
    const health = list.data.find((s) => s.id === sub.id)!.health;
    const createdAt = async (id: string) =>
      (await t.ctx.db.selectFrom('webhook_deliveries').select('created_at').where('id', '=', id).executeTakeFirstOrThrow()).created_at.toISOString();
    // The pending one has not been attempted yet: no outcome, so not in the rate (test/webhooks/health.test.ts has retries).
    expect(health).toEqual({
      deliveries_24h: 4,
      succeeded_24h: 2,
      failed_24h: 1,
      retrying_24h: 0,
      success_rate_24h: 2 / 3,
      last_delivery_status: 'pending',
      last_delivery_at: await createdAt(latest.id),
      last_test_status: 'failed',
      last_test_at: await createdAt(test.id),
    });
    expect(list.data.find((s) => s.id === quiet.id)!.health).toMatchObject({ deliveries_24h: 0, success_rate_24h: null, last_delivery_status: null });
    expect((await owner.call('GET', `/webhooks/${sub.id}`)).json().health).toEqual(health);
  });

  it('updates url, events, description and enabled', async () => {
    const sub = await createSubscription(caller, { url: 'https://hooks.example.com/before', events: ['review.created'] });
    const response = await caller.call('PATCH', `/webhooks/${sub.id}`, {
      url: 'https://hooks.example.com/after',
      events: ['sync.failed', 'message.received'],
      description: 'moved',
      enabled: false,
    });
    expect(response.statusCode, response.body).toBe(200);
    expect(response.json()).toMatchObject({ url: 'https://hooks.example.com/after', events: ['sync.failed', 'message.received'], description: 'moved', enabled: false });
    expect(response.body).not.toContain('whsec_');
    expect((await subscriptionRow(t, sub.id)).disabled_at).not.toBeNull();
  });

  it('re-enabling a subscription FARO disabled clears the reason and the failure run', async () => {
    const sub = await createSubscription(caller, { url: 'https://hooks.example.com/flaky' });
    const since = new Date(Date.now() - 6 * 24 * 3600_000);
    await t.ctx.db
      .updateTable('webhook_subscriptions')
      .set({ enabled: false, disabled_reason: 'Every delivery failed for 120 hours', disabled_at: new Date(), failing_since: since })
      .where('id', '=', sub.id)
      .execute();
    const disabled = (await caller.call('GET', `/webhooks/${sub.id}`)).json();
    expect(disabled).toMatchObject({ enabled: false, disabled_reason: 'Every delivery failed for 120 hours' });

    const response = await caller.call('PATCH', `/webhooks/${sub.id}`, { enabled: true });
    expect(response.json()).toMatchObject({ enabled: true, disabled_reason: null });
    const row = await subscriptionRow(t, sub.id);
    expect(row).toMatchObject({ enabled: true, disabled_reason: null, disabled_at: null, failing_since: null });
  });

  it('deletes a subscription: gone from the API, its queued deliveries cancelled, its log kept', async () => {
    const sub = await createSubscription(caller, { url: 'https://hooks.example.com/doomed' });
    const agencyId = caller.agency.id;
    const pending = await insertDelivery(t, { agencyId, subscriptionId: sub.id, status: 'pending' });
    const done = await insertDelivery(t, { agencyId, subscriptionId: sub.id, status: 'succeeded' });

    const response = await caller.call('DELETE', `/webhooks/${sub.id}`);
    expect(response.statusCode).toBe(204);
    expect(response.body).toBe('');

    expectProblem(await caller.call('GET', `/webhooks/${sub.id}`), 404, 'not_found');
    expectProblem(await caller.call('DELETE', `/webhooks/${sub.id}`), 404, 'not_found');
    const list = (await caller.call('GET', '/webhooks?limit=100')).json<{ data: { id: string }[] }>();
    expect(list.data.map((s) => s.id)).not.toContain(sub.id);

    const rows = await t.ctx.db.selectFrom('webhook_deliveries').select(['id', 'status']).where('subscription_id', '=', sub.id).execute();
    expect(Object.fromEntries(rows.map((r) => [r.id, r.status]))).toEqual({ [pending.id]: 'cancelled', [done.id]: 'succeeded' });
    expect(await subscriptionRow(t, sub.id)).toMatchObject({ enabled: false, deleted_at: expect.any(Date) });
  });

  it('caps an agency at 20 subscriptions (deleted ones do not count)', async () => {
    const owner = await newCaller(t);
    const ids: string[] = [];
    for (let i = 0; i < 20; i++) ids.push((await createSubscription(owner, { url: `https://hooks.example.com/n${i}` })).id);
    expectProblem(await owner.call('POST', '/webhooks', { url: 'https://hooks.example.com/21', events: ['*'] }), 409, 'conflict');
    expect((await owner.call('DELETE', `/webhooks/${ids[0]}`)).statusCode).toBe(204);
    expect((await owner.call('POST', '/webhooks', { url: 'https://hooks.example.com/21', events: ['*'] })).statusCode).toBe(201);
  });

  it('lists the event catalog with a JSON Schema and a valid example for each type', async () => {
    const response = await caller.call('GET', '/webhooks/event-types');
    expect(response.statusCode).toBe(200);
    const { data } = response.json<{ data: { type: string; description: string; schema: { examples: unknown[] } & object }[] }>();
    expect(data.map((e) => e.type)).toEqual([
      'conversation.created', 'message.received', 'review.created', 'lead.converted', 'sync.failed',
      'faro.endpoint.disabled', 'faro.endpoint.failing', 'faro.api_key.expiring', 'faro.rate_limit.approaching', 'webhook.test',
    ]);
    const ajv = addFormats(new Ajv2020({ strict: false }));
    for (const entry of data) {
      expect(entry.description.length).toBeGreaterThan(10);
      expect(entry.schema).toMatchObject({ type: 'object', properties: { type: { const: entry.type } } });
      const validate = ajv.compile(entry.schema);
      expect(entry.schema.examples).toHaveLength(1);
      expect(validate(entry.schema.examples[0]), JSON.stringify(validate.errors)).toBe(true);
    }
  });

  it('pages the catalog like every list: whole in one default page, or walked with limit and cursor', async () => {
    const whole = (await caller.call('GET', '/webhooks/event-types')).json<{ data: { type: string }[]; has_more: boolean; next_cursor: string | null }>();
    expect(whole).toMatchObject({ has_more: false, next_cursor: null });
    const walked: string[] = [];
    let cursor: string | null = null;
    do {
      const response = await caller.call('GET', `/webhooks/event-types?limit=4${cursor ? `&cursor=${cursor}` : ''}`);
      expect(response.statusCode, response.body).toBe(200);
      const page = response.json<{ data: { type: string }[]; has_more: boolean; next_cursor: string | null }>();
      walked.push(...page.data.map((entry) => entry.type));
      expect(page.has_more).toBe(page.next_cursor !== null);
      cursor = page.next_cursor;
    } while (cursor);
    expect(walked).toEqual(whole.data.map((entry) => entry.type));
    const bad = await caller.call('GET', '/webhooks/event-types?cursor=bm90LWEtY3Vyc29y');
    expect(bad.statusCode).toBe(400);
    expect(bad.json<{ code: string }>().code).toBe('invalid_cursor');
  });

  it('works with the portal session (cookie + CSRF) as well as with a key', async () => {
    const session = await login(t.app, caller.agency.email, caller.agency.password);
    const created = await t.app.inject({
      method: 'POST',
      url: '/api/v1/webhooks',
      headers: session.headers,
      payload: { url: 'https://hooks.example.com/portal', events: ['lead.converted'] },
    });
    expect(created.statusCode, created.body).toBe(201);
    const listed = await t.app.inject({ method: 'GET', url: '/api/v1/webhooks', headers: { cookie: session.cookie } });
    expect(listed.json().data.map((s: { id: string }) => s.id)).toContain(created.json().id);
    const noCsrf = await t.app.inject({ method: 'DELETE', url: `/api/v1/webhooks/${created.json().id}`, headers: { cookie: session.cookie } });
    expectProblem(noCsrf, 403, 'csrf_failed');
  });
});
