import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { simulate } from '../support/fixtures.ts';
import { startWebhookReceiver, type WebhookReceiver } from '../support/webhook-receiver.ts';
import { RETRY_DELAYS_SECONDS } from '../../src/domains/webhooks/delivery/retry-schedule.ts';
import { addSubscription, attemptsOf, deliveriesOf, deliverySetup, type DeliverySetup } from './delivery-harness.ts';

const HOUR = 3600_000;

describe('webhook delivery: retries on a controlled clock', () => {
  let s: DeliverySetup;
  let receiver: WebhookReceiver;

  beforeAll(async () => {
    s = await deliverySetup({ env: { FARO_WEBHOOK_RETRY_JITTER: '0' } });
    receiver = await startWebhookReceiver();
  });
  afterAll(async () => {
    await s?.t.close();
    await receiver?.close();
  });

  it('retries after 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h, then fails, with the same webhook-id', async () => {
    receiver.answerWith(() => ({ status: 500, body: 'down' }));
    const sub = await addSubscription(s.t, s.agency.id, { url: `${receiver.url}/schedule`, events: ['review.created'] });
    const { event_id } = await simulate(s.t.app, s.agency.id, 'review.created');
    const from = receiver.requests.length;

    expect(await s.deliverDue()).toBe(1);
    for (const [index, seconds] of RETRY_DELAYS_SECONDS.entries()) {
      const [delivery] = await deliveriesOf(s.t, sub.id);
      expect(delivery).toMatchObject({ status: 'pending', attempts: index + 1, last_status_code: 500, last_error: 'HTTP 500' });
      expect(delivery!.next_attempt_at!.getTime() - s.clock.now().getTime()).toBe(seconds * 1000);
      s.clock.advance(seconds * 1000 - 1);
      expect(await s.worker.runOnce()).toBe(0); // not due yet
      s.clock.advance(1);
      expect(await s.worker.runOnce()).toBe(1);
    }

    const [delivery] = await deliveriesOf(s.t, sub.id);
    expect(delivery).toMatchObject({ status: 'failed', attempts: 8, next_attempt_at: null, delivered_at: null });
    const attempts = await attemptsOf(s.t, delivery!.id);
    expect(attempts.map((a) => a.attempt_number)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(attempts.every((a) => a.error_kind === 'http_status' && a.response_status === 500 && a.response_body_excerpt === 'down')).toBe(true);
    const sent = receiver.requests.slice(from);
    expect(sent).toHaveLength(8);
    expect(new Set(sent.map((r) => r.headers['webhook-id']))).toEqual(new Set([event_id]));
    expect(new Set(sent.map((r) => r.headers['webhook-timestamp'])).size).toBe(8);
    expect(new Set(sent.map((r) => r.body)).size).toBe(1);
    s.clock.advance(48 * HOUR);
    expect(await s.worker.runOnce()).toBe(0);
  });

  it('honours Retry-After on 503 and 429, clamped to the longest step, and ignores it on 500', async () => {
    const cases = [
      { status: 503, retryAfter: '600', expectedMs: 600_000 },
      { status: 429, retryAfter: '999999', expectedMs: 10 * HOUR },
      { status: 429, retryAfter: '1', expectedMs: 5_000 },
      { status: 500, retryAfter: '600', expectedMs: 5_000 },
    ];
    for (const { status, retryAfter, expectedMs } of cases) {
      const path = `/retry-after-${status}-${retryAfter}`;
      receiver.answerWith((r) => (r.path === path ? { status, headers: { 'retry-after': retryAfter } } : { status: 200 }));
      const sub = await addSubscription(s.t, s.agency.id, { url: `${receiver.url}${path}`, events: ['sync.failed'] });
      await simulate(s.t.app, s.agency.id, 'sync.failed');
      await s.deliverDue();
      const [delivery] = await deliveriesOf(s.t, sub.id);
      expect(delivery!.status).toBe('pending');
      expect(delivery!.next_attempt_at!.getTime() - s.clock.now().getTime(), `${status} Retry-After: ${retryAfter}`).toBe(expectedMs);
      const [attempt] = await attemptsOf(s.t, delivery!.id);
      expect(attempt!.response_headers).toMatchObject({ 'retry-after': retryAfter });
      await s.t.ctx.db.updateTable('webhook_subscriptions').set({ enabled: false }).where('id', '=', sub.id).execute();
    }
  });

  it('spreads retries by the configured jitter', async () => {
    const jittered = await deliverySetup();
    try {
      receiver.answerWith(() => ({ status: 502 }));
      const sub = await addSubscription(jittered.t, jittered.agency.id, { url: `${receiver.url}/jitter`, events: ['*'] });
      for (let i = 0; i < 8; i++) await simulate(jittered.t.app, jittered.agency.id, 'message.received');
      await jittered.deliverDue();
      const delays = (await deliveriesOf(jittered.t, sub.id)).map((d) => d.next_attempt_at!.getTime() - jittered.clock.now().getTime());
      expect(delays.length).toBeGreaterThanOrEqual(8);
      for (const delay of delays) {
        expect(delay).toBeGreaterThanOrEqual(4_000);
        expect(delay).toBeLessThanOrEqual(6_000);
      }
      expect(new Set(delays).size).toBeGreaterThan(1);
    } finally {
      await jittered.t.close();
    }
  });
});
