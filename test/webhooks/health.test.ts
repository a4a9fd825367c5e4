// A subscription's health counts what its owner would count: a delivery retrying after failed
// attempts is not a success, one not attempted yet has no outcome, and test sends show apart
// (last_test_*) without moving the numbers. Real worker, real receiver, a controlled clock.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { simulate } from '../support/fixtures.ts';
import { createApiKey } from '../support/api-keys.ts';
import { startWebhookReceiver, type WebhookReceiver } from '../support/webhook-receiver.ts';
import { addSubscription, deliveriesOf, deliverySetup, type DeliverySetup } from './delivery-harness.ts';

describe('subscription health', () => {
  let s: DeliverySetup;
  let receiver: WebhookReceiver;
  let headers: Record<string, string>;

  beforeAll(async () => {
    s = await deliverySetup({ env: { FARO_WEBHOOK_RETRY_JITTER: '0' } });
    receiver = await startWebhookReceiver();
    headers = (await createApiKey(s.t.app, s.agency.id, { scopes: ['webhooks:read', 'webhooks:write', 'reviews:read'] })).headers;
  });
  afterAll(async () => {
    await s?.t.close();
    await receiver?.close();
  });

  async function health(subscriptionId: string) {
    const response = await s.t.app.inject({ method: 'GET', url: `/api/v1/webhooks/${subscriptionId}`, headers });
    expect(response.statusCode, response.body).toBe(200);
    const listed = await s.t.app.inject({ method: 'GET', url: '/api/v1/webhooks', headers });
    const fromList = listed.json<{ data: { id: string; health: unknown }[] }>().data.find((sub) => sub.id === subscriptionId)!.health;
    const one = response.json<{ health: Record<string, unknown> }>().health;
    expect(fromList).toEqual(one);
    return one;
  }

  it('shows a test send as the latest test, apart from the real deliveries', async () => {
    const sub = await addSubscription(s.t, s.agency.id, { url: `${receiver.url}/tested`, events: ['lead.converted'] });
    receiver.answer(200);
    const sent = await s.t.app.inject({ method: 'POST', url: `/api/v1/webhooks/${sub.id}/test`, headers, payload: {} });
    expect(sent.json()).toMatchObject({ success: true, status_code: 200 });
    const [test] = await deliveriesOf(s.t, sub.id);

    expect(await health(sub.id)).toEqual({
      deliveries_24h: 0,
      succeeded_24h: 0,
      failed_24h: 0,
      retrying_24h: 0,
      success_rate_24h: null,
      last_delivery_status: null,
      last_delivery_at: null,
      last_test_status: 'succeeded',
      last_test_at: test!.created_at.toISOString(),
    });
  });

  it('counts a delivery retrying after two 500s against the success rate, and one not attempted yet not at all', async () => {
    const sub = await addSubscription(s.t, s.agency.id, { url: `${receiver.url}/flaky`, events: ['review.created'] });
    receiver.answer(500, 'down');
    await simulate(s.t.app, s.agency.id, 'review.created');
    expect(await s.deliverDue()).toBe(1);
    s.clock.advance(5_000);
    expect(await s.worker.runOnce()).toBe(1);
    const [retrying] = await deliveriesOf(s.t, sub.id);
    expect(retrying).toMatchObject({ status: 'pending', attempts: 2, last_status_code: 500 });

    expect(await health(sub.id)).toMatchObject({
      deliveries_24h: 1,
      succeeded_24h: 0,
      failed_24h: 0,
      retrying_24h: 1,
      success_rate_24h: 0,
      last_delivery_status: 'pending',
      last_test_status: null,
    });

    // One more event delivered at once, and one fanned out but not attempted yet.
    receiver.answer(200);
    await simulate(s.t.app, s.agency.id, 'review.created');
    expect(await s.deliverDue()).toBe(1);
    await simulate(s.t.app, s.agency.id, 'review.created');
    await s.dispatcher.runOnce();
    expect(await health(sub.id)).toMatchObject({ deliveries_24h: 3, succeeded_24h: 1, retrying_24h: 1, success_rate_24h: 0.5 });

    // The retry succeeds (and the waiting one goes out): every delivery has succeeded.
    s.clock.advance(300_000);
    expect(await s.worker.runOnce()).toBe(2);
    expect(await health(sub.id)).toMatchObject({ deliveries_24h: 3, succeeded_24h: 3, failed_24h: 0, retrying_24h: 0, success_rate_24h: 1, last_delivery_status: 'succeeded' });
  });
});
