import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAgency, simulate } from '../support/fixtures.ts';
import { startWebhookReceiver, type WebhookReceiver } from '../support/webhook-receiver.ts';
import { claimDueDeliveries, promoteDueDeliveries } from '../../src/domains/webhooks/delivery/queue-repository.ts';
import { addSubscription, attemptsOf, deliveriesOf, deliverySetup, type DeliverySetup } from './delivery-harness.ts';

const LEASE_MS = 5_000;

/**
 * The claim walks only ready work: a retry waits outside it (scheduled) until the promoter puts
 * it back when its time comes, and so does a delivery whose lease expired. That keeps the claim's
 * cost independent of how many subscriptions hold retries for later.
 */
describe('delivery queue: scheduled retries and expired leases come back through the promoter', () => {
  let s: DeliverySetup;
  let receiver: WebhookReceiver;
  const claim = (workerId: string, leaseMs = 60_000) =>
    claimDueDeliveries(s.t.ctx.db, {
      workerId, now: s.clock.now(), leaseUntil: new Date(s.clock.now().getTime() + leaseMs), limit: 10,
      subscriptionAllowances: new Map(), agencyAllowances: new Map(), subscriptionDefault: 10, agencyDefault: 10,
    });

  beforeAll(async () => {
    s = await deliverySetup({ env: { FARO_WEBHOOK_RETRY_JITTER: '0' } });
    receiver = await startWebhookReceiver();
  });
  afterAll(async () => {
    await s?.t.close();
    await receiver?.close();
  });

  it('a failed attempt waits as scheduled, invisible to the claim even once due, until promoted', async () => {
    receiver.answerWith(() => ({ status: 503, body: 'busy' }));
    const agency = await createAgency(s.t.app, { tier: 'scale' });
    const sub = await addSubscription(s.t, agency.id, { url: `${receiver.url}/later`, events: ['review.created'] });
    await simulate(s.t.app, agency.id, 'review.created');
    expect(await s.deliverDue()).toBe(1);
    const [waiting] = await deliveriesOf(s.t, sub.id);
    expect(waiting).toMatchObject({ status: 'pending', scheduled: true, attempts: 1 });

    s.clock.advance(60_000); // past its 5 s retry
    expect(await claim('direct')).toEqual([]);
    expect(await promoteDueDeliveries(s.t.ctx.db, s.clock.now(), LEASE_MS)).toBe(1);
    expect((await deliveriesOf(s.t, sub.id))[0]).toMatchObject({ status: 'pending', scheduled: false });

    receiver.answerWith(() => ({ status: 200, body: 'ok' }));
    expect(await s.worker.runOnce()).toBe(1);
    expect((await deliveriesOf(s.t, sub.id))[0]).toMatchObject({ status: 'succeeded', scheduled: false, attempts: 2 });
  });

  it('a retry not yet due stays scheduled through a promotion', async () => {
    receiver.answerWith(() => ({ status: 500, body: 'down' }));
    const agency = await createAgency(s.t.app, { tier: 'scale' });
    const sub = await addSubscription(s.t, agency.id, { url: `${receiver.url}/not-yet`, events: ['review.created'] });
    await simulate(s.t.app, agency.id, 'review.created');
    expect(await s.deliverDue()).toBe(1);
    s.clock.advance(4_999);
    expect(await promoteDueDeliveries(s.t.ctx.db, s.clock.now(), LEASE_MS)).toBe(0);
    expect((await deliveriesOf(s.t, sub.id))[0]).toMatchObject({ status: 'pending', scheduled: true });
    s.clock.advance(1);
    expect(await s.worker.runOnce()).toBe(1);
  });

  it('a lease left by a dead worker is promoted back to pending when it expires, and attempted again', async () => {
    receiver.answerWith(() => ({ status: 200, body: 'ok' }));
    const agency = await createAgency(s.t.app, { tier: 'scale' });
    const sub = await addSubscription(s.t, agency.id, { url: `${receiver.url}/orphan`, events: ['review.created'] });
    await simulate(s.t.app, agency.id, 'review.created');
    await s.dispatcher.runOnce();
    // A worker leases it for 30 s and dies without a word.
    expect(await claim('dead-worker', 30_000)).toHaveLength(1);
    expect(await promoteDueDeliveries(s.t.ctx.db, s.clock.now(), LEASE_MS)).toBe(0);
    expect(await s.worker.runOnce()).toBe(0);

    s.clock.advance(30_000);
    expect(await s.worker.runOnce()).toBe(1);
    const [delivery] = await deliveriesOf(s.t, sub.id);
    expect(delivery).toMatchObject({ status: 'succeeded', attempts: 2, locked_by: null });
    // The log has no gap: the lost attempt is recorded as such, then the one that succeeded.
    const attempts = await attemptsOf(s.t, delivery!.id);
    expect(attempts.map((a) => [a.attempt_number, a.error_kind, a.response_status])).toEqual([[1, 'worker_lost', null], [2, null, 200]]);
    expect(attempts[0]!.error_message).toContain('dead-worker');
  });
});
