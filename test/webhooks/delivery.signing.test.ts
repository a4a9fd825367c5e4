import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Webhook } from 'standardwebhooks';
import { simulate } from '../support/fixtures.ts';
import { startWebhookReceiver, type WebhookReceiver } from '../support/webhook-receiver.ts';
import { generateWebhookSecret } from '../../src/domains/webhooks/secret-box.ts';
import { addSubscription, attemptsOf, deliveriesOf, deliverySetup, subscriptionOf, type DeliverySetup } from './delivery-harness.ts';

/** standardwebhooks refuses timestamps 5 min away from its wall clock; the manual clock is elsewhere. */
function verifyAt(secret: string, request: { body: string; headers: Record<string, string> }, at: Date) {
  const realNow = Date.now;
  Date.now = () => at.getTime();
  try {
    return new Webhook(secret).verify(request.body, request.headers) as Record<string, unknown>;
  } finally {
    Date.now = realNow;
  }
}

describe('webhook delivery: the signed request', () => {
  let s: DeliverySetup;
  let receiver: WebhookReceiver;

  beforeAll(async () => {
    s = await deliverySetup();
    receiver = await startWebhookReceiver();
  });
  afterAll(async () => {
    await s?.t.close();
    await receiver?.close();
  });

  it('POSTs the event with Standard Webhooks headers that verify, and records the attempt', async () => {
    const sub = await addSubscription(s.t, s.agency.id, { url: `${receiver.url}/hooks/a`, events: ['review.created'] });
    const { event_id } = await simulate(s.t.app, s.agency.id, 'review.created');
    const from = receiver.requests.length;

    expect(await s.deliverDue()).toBe(1);

    const request = receiver.requests[from]!;
    expect(request.path).toBe('/hooks/a');
    expect(request.headers).toMatchObject({
      'content-type': 'application/json',
      'user-agent': 'FARO-Webhooks/1',
      'webhook-id': event_id,
      'webhook-timestamp': String(Math.floor(s.clock.now().getTime() / 1000)),
    });
    expect(request.headers['webhook-signature']).toMatch(/^v1,[A-Za-z0-9+/]+=*$/);
    const body = verifyAt(sub.secret, request, s.clock.now());
    expect(body).toMatchObject({ id: event_id, type: 'review.created', agency_id: s.agency.id, timestamp: expect.any(String) });
    expect((body.data as { id: string }).id).toMatch(/^rev_/);

    const [delivery] = await deliveriesOf(s.t, sub.id);
    expect(delivery).toMatchObject({ status: 'succeeded', attempts: 1, last_status_code: 200, last_error: null, locked_by: null, locked_until: null });
    expect(delivery!.delivered_at).toEqual(s.clock.now());
    const [attempt] = await attemptsOf(s.t, delivery!.id);
    expect(attempt).toMatchObject({ attempt_number: 1, response_status: 200, response_body_excerpt: 'ok', error_kind: null, error_message: null });
    expect(attempt!.request_headers).toEqual({
      'content-type': 'application/json',
      'user-agent': 'FARO-Webhooks/1',
      'webhook-id': event_id,
      'webhook-timestamp': request.headers['webhook-timestamp'],
      'webhook-signature': request.headers['webhook-signature'],
    });
    expect(JSON.stringify(attempt)).not.toContain(sub.secret.slice('whsec_'.length));
  });

  it('signs with the previous secret too while the rotation lasts, then with the new one only', async () => {
    const previous = generateWebhookSecret();
    const rotationEnds = new Date(s.clock.now().getTime() + 24 * 3600_000);
    const sub = await addSubscription(s.t, s.agency.id, { url: `${receiver.url}/hooks/rotated`, events: ['lead.converted'], previousSecret: { secret: previous, expiresAt: rotationEnds } });

    await simulate(s.t.app, s.agency.id, 'lead.converted');
    await s.deliverDue();
    const during = receiver.requests.filter((r) => r.path === '/hooks/rotated').at(-1)!;
    expect(during.headers['webhook-signature']!.split(' ')).toHaveLength(2);
    expect(verifyAt(sub.secret, during, s.clock.now())).toMatchObject({ type: 'lead.converted' });
    expect(verifyAt(previous, during, s.clock.now())).toMatchObject({ type: 'lead.converted' });

    s.clock.set(new Date(rotationEnds.getTime() + 1000));
    await simulate(s.t.app, s.agency.id, 'lead.converted');
    await s.deliverDue();
    const after = receiver.requests.filter((r) => r.path === '/hooks/rotated').at(-1)!;
    expect(after.headers['webhook-signature']!.split(' ')).toHaveLength(1);
    expect(verifyAt(sub.secret, after, s.clock.now())).toMatchObject({ type: 'lead.converted' });
    expect(() => verifyAt(previous, after, s.clock.now())).toThrow(/signature/i);
    expect((await subscriptionOf(s.t, sub.id)).failing_since).toBeNull();
  });

  it('sends a test delivery once, with the delivery id as webhook-id, and never retries it', async () => {
    const sub = await addSubscription(s.t, s.agency.id, { url: `${receiver.url}/hooks/test`, events: ['review.created'] });
    receiver.answerWith((r) => (r.path === '/hooks/test' ? { status: 500, body: 'nope' } : { status: 200 }));
    const now = s.clock.now();
    const deliveryId = `whdel_${'0'.repeat(10)}${'a'.repeat(16)}`;
    await s.t.ctx.db
      .insertInto('webhook_deliveries')
      .values({ id: deliveryId, agency_id: s.agency.id, subscription_id: sub.id, event_id: null, event_type: 'webhook.test', payload: '{"ping":true}', status: 'pending', next_attempt_at: null, is_test: true, created_at: now, updated_at: now })
      .execute();

    // The worker leaves test sends alone; their caller attempts them.
    expect(await s.worker.runOnce()).toBe(0);
    const outcome = await s.t.ctx.services.deliveryEngine.executor.attemptDelivery(deliveryId);
    expect(outcome).toMatchObject({ delivery_id: deliveryId, success: false, status_code: 500, response_body_excerpt: 'nope', error_kind: 'http_status' });
    const request = receiver.requests.filter((r) => r.path === '/hooks/test').at(-1)!;
    expect(request.headers['webhook-id']).toBe(deliveryId);
    expect(verifyAt(sub.secret, request, s.clock.now())).toEqual({ ping: true });

    const [delivery] = await deliveriesOf(s.t, sub.id);
    expect(delivery).toMatchObject({ status: 'failed', attempts: 1, next_attempt_at: null, last_status_code: 500 });
    // A test send neither starts nor ends a run of failures.
    expect((await subscriptionOf(s.t, sub.id)).failing_since).toBeNull();
    await expect(s.t.ctx.services.deliveryEngine.executor.attemptDelivery(deliveryId)).rejects.toThrow(/not pending/);
    receiver.answerWith(() => ({ status: 200 }));
  });
});
