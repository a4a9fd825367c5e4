import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../support/app.ts';
import { expectProblem } from '../support/problem.ts';
import { startWebhookReceiver, type WebhookReceiver } from '../support/webhook-receiver.ts';
import { DELIVERIES_CHANNEL } from '../../src/domains/webhooks/delivery/queue-repository.ts';
import { createSubscription, deliveryRow, insertDelivery, newCaller, type Caller } from './support.ts';

describe('the delivery log: list, detail, redeliver, recover', () => {
  let t: TestApp;
  let caller: Caller;
  let receiver: WebhookReceiver;
  const notified: string[] = [];
  let unlisten: () => Promise<void>;

  beforeAll(async () => {
    t = await createTestApp();
    caller = await newCaller(t);
    receiver = await startWebhookReceiver();
    unlisten = await t.database.listen(DELIVERIES_CHANNEL, (payload) => notified.push(payload));
  });
  afterAll(async () => {
    await unlisten?.();
    await receiver?.close();
    await t?.close();
  });

  const attempt = (id: string) => t.ctx.services.deliveryEngine.executor.attemptDelivery(id);

  async function waitForNotify(payload: string): Promise<void> {
    for (let i = 0; i < 100 && !notified.includes(payload); i++) await new Promise((resolve) => setTimeout(resolve, 50));
    expect(notified).toContain(payload);
  }

  it('lists a subscription\'s deliveries newest first, filtered by status and event type, a page at a time', async () => {
    const sub = await createSubscription(caller, { url: `${receiver.url}/log` });
    const agencyId = caller.agency.id;
    const a = await insertDelivery(t, { agencyId, subscriptionId: sub.id, type: 'review.created', status: 'succeeded' });
    const b = await insertDelivery(t, { agencyId, subscriptionId: sub.id, type: 'lead.converted', status: 'failed' });
    const c = await insertDelivery(t, { agencyId, subscriptionId: sub.id, type: 'review.created', status: 'pending' });

    const all = (await caller.call('GET', `/webhooks/${sub.id}/deliveries`)).json();
    expect(all.data.map((d: { id: string }) => d.id)).toEqual([c.id, b.id, a.id]);
    expect(all.data[1]).toEqual({
      id: b.id,
      subscription_id: sub.id,
      event_id: b.eventId,
      event_type: 'lead.converted',
      status: 'failed',
      attempts: 1,
      next_attempt_at: null,
      last_status_code: 500,
      last_error: null,
      delivered_at: null,
      is_test: false,
      created_at: expect.any(String),
    });

    const reviews = (await caller.call('GET', `/webhooks/${sub.id}/deliveries?event_type=review.created`)).json();
    expect(reviews.data.map((d: { id: string }) => d.id)).toEqual([c.id, a.id]);
    const failed = (await caller.call('GET', `/webhooks/${sub.id}/deliveries?status=failed`)).json();
    expect(failed.data.map((d: { id: string }) => d.id)).toEqual([b.id]);
    const both = (await caller.call('GET', `/webhooks/${sub.id}/deliveries?status=pending&event_type=lead.converted`)).json();
    expect(both.data).toEqual([]);

    const page1 = (await caller.call('GET', `/webhooks/${sub.id}/deliveries?limit=2`)).json();
    expect(page1).toMatchObject({ has_more: true, next_cursor: expect.any(String) });
    const page2 = (await caller.call('GET', `/webhooks/${sub.id}/deliveries?limit=2&cursor=${page1.next_cursor}`)).json();
    expect(page2).toMatchObject({ data: [{ id: a.id }], has_more: false, next_cursor: null });
  });

  it('shows a delivery with its payload and every attempt, oldest first', async () => {
    const sub = await createSubscription(caller, { url: `${receiver.url}/detail` });
    const { id, eventId } = await insertDelivery(t, { agencyId: caller.agency.id, subscriptionId: sub.id, status: 'pending' });
    receiver.answer(503, 'try later');
    await attempt(id);
    receiver.answer(200, 'ok');
    await caller.call('POST', `/webhook-deliveries/${id}/retry`);
    await attempt(id);

    const response = await caller.call('GET', `/webhook-deliveries/${id}`);
    expect(response.statusCode).toBe(200);
    const detail = response.json();
    expect(detail).toMatchObject({ id, event_id: eventId, status: 'succeeded', last_status_code: 200, delivered_at: expect.any(String) });
    expect(detail.payload).toMatchObject({ id: eventId, type: 'review.created', agency_id: caller.agency.id });
    expect(detail.attempts).toHaveLength(2);
    expect(detail.attempts[0]).toEqual({
      id: expect.stringMatching(/^whatt_/),
      attempt_number: 1,
      started_at: expect.any(String),
      duration_ms: expect.any(Number),
      request_headers: expect.objectContaining({ 'webhook-id': eventId, 'webhook-signature': expect.stringMatching(/^v1,/), 'user-agent': 'FARO-Webhooks/1' }),
      response_status: 503,
      response_headers: expect.objectContaining({ 'content-type': 'text/plain' }),
      response_body_excerpt: 'try later',
      error_kind: 'http_status',
      error_message: expect.any(String),
    });
    expect(detail.attempts[1]).toMatchObject({ attempt_number: 2, response_status: 200, error_kind: null });
  });

  it('redelivers now whatever the state: 202, due at once, workers woken', async () => {
    const sub = await createSubscription(caller, { url: `${receiver.url}/retry` });
    for (const status of ['succeeded', 'failed', 'cancelled', 'pending'] as const) {
      const { id } = await insertDelivery(t, { agencyId: caller.agency.id, subscriptionId: sub.id, status });
      const before = Date.now();
      const response = await caller.call('POST', `/webhook-deliveries/${id}/retry`);
      expect(response.statusCode, response.body).toBe(202);
      const body = response.json();
      expect(body).toMatchObject({ id, status: 'pending' });
      expect(Date.parse(body.next_attempt_at)).toBeGreaterThanOrEqual(before - 1000);
      expect(Date.parse(body.next_attempt_at)).toBeLessThanOrEqual(Date.now());
      await waitForNotify(id);
    }
  });

  it('a redelivered failure is sent again with the same webhook-id', async () => {
    const sub = await createSubscription(caller, { url: `${receiver.url}/again` });
    const { id, eventId } = await insertDelivery(t, { agencyId: caller.agency.id, subscriptionId: sub.id, status: 'failed', attempts: 8 });
    await caller.call('POST', `/webhook-deliveries/${id}/retry`);
    const before = receiver.requests.length;
    expect(await attempt(id)).toMatchObject({ success: true });
    expect(receiver.requests[before]!.headers['webhook-id']).toBe(eventId);
    expect(await deliveryRow(t, id)).toMatchObject({ status: 'succeeded', attempts: 9 });
  });

  it('leaves a delivery a worker is sending right now alone', async () => {
    const sub = await createSubscription(caller, { url: `${receiver.url}/leased` });
    const { id } = await insertDelivery(t, { agencyId: caller.agency.id, subscriptionId: sub.id, status: 'pending' });
    const leaseUntil = new Date(Date.now() + 60_000);
    await t.ctx.db.updateTable('webhook_deliveries').set({ status: 'delivering', locked_by: 'worker-1', locked_until: leaseUntil, attempts: 1 }).where('id', '=', id).execute();
    const response = await caller.call('POST', `/webhook-deliveries/${id}/retry`);
    expect(response.statusCode).toBe(202);
    expect(response.json()).toMatchObject({ status: 'delivering' });
    expect(await deliveryRow(t, id)).toMatchObject({ status: 'delivering', locked_by: 'worker-1', locked_until: leaseUntil });
  });

  it('redelivers a test send at once (the worker leaves tests to their caller)', async () => {
    const sub = await createSubscription(caller, { url: `${receiver.url}/retest` });
    receiver.answer(500);
    const outcome = (await caller.call('POST', `/webhooks/${sub.id}/test`, {})).json();
    receiver.answer(200);
    const before = receiver.requests.length;
    const response = await caller.call('POST', `/webhook-deliveries/${outcome.delivery_id}/retry`);
    expect(response.statusCode).toBe(202);
    expect(response.json()).toMatchObject({ status: 'succeeded', attempts: 2, is_test: true });
    expect(receiver.requests).toHaveLength(before + 1);
  });

  it('recovers failed deliveries, and those cancelled by a disable, since a time — and only those', async () => {
    const sub = await createSubscription(caller, { url: `${receiver.url}/recover` });
    const agencyId = caller.agency.id;
    const hour = 3600_000;
    const tooOld = await insertDelivery(t, { agencyId, subscriptionId: sub.id, status: 'failed', createdAt: new Date(Date.now() - 5 * hour) });
    const failed1 = await insertDelivery(t, { agencyId, subscriptionId: sub.id, status: 'failed', createdAt: new Date(Date.now() - 2 * hour) });
    const failed2 = await insertDelivery(t, { agencyId, subscriptionId: sub.id, status: 'failed', createdAt: new Date(Date.now() - hour) });
    const cancelled = await insertDelivery(t, { agencyId, subscriptionId: sub.id, status: 'cancelled', createdAt: new Date(Date.now() - hour) });
    const succeeded = await insertDelivery(t, { agencyId, subscriptionId: sub.id, status: 'succeeded', createdAt: new Date(Date.now() - hour) });
    const test = await insertDelivery(t, { agencyId, subscriptionId: sub.id, status: 'failed', isTest: true });
    const other = await createSubscription(caller, { url: `${receiver.url}/recover-other` });
    const otherFailed = await insertDelivery(t, { agencyId, subscriptionId: other.id, status: 'failed' });

    const response = await caller.call('POST', `/webhooks/${sub.id}/recover`, { since: new Date(Date.now() - 3 * hour).toISOString() });
    expect(response.statusCode, response.body).toBe(202);
    expect(response.json()).toEqual({ requeued: 3 });
    await waitForNotify(sub.id);

    const statuses = async (ids: string[]) => Promise.all(ids.map(async (id) => (await deliveryRow(t, id)).status));
    expect(await statuses([failed1.id, failed2.id, cancelled.id])).toEqual(['pending', 'pending', 'pending']);
    expect(await statuses([tooOld.id, succeeded.id, test.id, otherFailed.id])).toEqual(['failed', 'succeeded', 'failed', 'failed']);
    expect((await caller.call('POST', `/webhooks/${sub.id}/recover`, { since: new Date(Date.now() - 3 * hour).toISOString() })).json()).toEqual({ requeued: 0 });
  });

  it('refuses to redeliver or recover for a disabled subscription (409)', async () => {
    const sub = await createSubscription(caller, { url: `${receiver.url}/off` });
    const { id } = await insertDelivery(t, { agencyId: caller.agency.id, subscriptionId: sub.id, status: 'failed' });
    await caller.call('PATCH', `/webhooks/${sub.id}`, { enabled: false });
    expectProblem(await caller.call('POST', `/webhook-deliveries/${id}/retry`), 409, 'conflict');
    expectProblem(await caller.call('POST', `/webhooks/${sub.id}/recover`, { since: new Date(Date.now() - 60_000).toISOString() }), 409, 'conflict');
    expect((await deliveryRow(t, id)).status).toBe('failed');
  });

  it('the log of a deleted subscription is gone from the API', async () => {
    const sub = await createSubscription(caller, { url: `${receiver.url}/deleted` });
    const { id } = await insertDelivery(t, { agencyId: caller.agency.id, subscriptionId: sub.id, status: 'succeeded' });
    await caller.call('DELETE', `/webhooks/${sub.id}`);
    expectProblem(await caller.call('GET', `/webhooks/${sub.id}/deliveries`), 404, 'not_found');
    expectProblem(await caller.call('GET', `/webhook-deliveries/${id}`), 404, 'not_found');
    expectProblem(await caller.call('POST', `/webhook-deliveries/${id}/retry`), 404, 'not_found');
  });
});
