import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../support/app.ts';
import { createAgency, simulate } from '../support/fixtures.ts';
import type { ClaimedDelivery } from '../../src/domains/webhooks/delivery/queue-repository.ts';
import { createDeliveryWorker } from '../../src/domains/webhooks/delivery/worker.ts';
import { createDispatcher } from '../../src/domains/webhooks/delivery/dispatcher.ts';
import { addSubscription, deliveriesOf, silentLogger } from './delivery-harness.ts';
import { startWebhookReceiver, type WebhookReceiver } from '../support/webhook-receiver.ts';
import { until } from '../support/eventually.ts';

const NOISY_SUBSCRIPTIONS = 20;
const NOISY_EVENTS = 20;
const QUIET_EVENTS = 8;
const MAX_IN_FLIGHT = 200;

/**
 * Agency A's 20 endpoints never answer and it has 400 deliveries due; agency B has one healthy
 * endpoint. B's deliveries must keep arriving while A's hang, each started before any more of
 * A's: A never holds more than its share of the worker's slots.
 */
describe('webhook worker: one agency cannot starve another', () => {
  let t: TestApp;
  let hanging: WebhookReceiver;
  let healthy: WebhookReceiver;

  beforeAll(async () => {
    // Attempts outlast the test, as a never-answering endpoint's do in production until their timeout.
    t = await createTestApp({ env: { FARO_WEBHOOK_TIMEOUT_MS: '120000', FARO_WEBHOOK_MAX_IN_FLIGHT: String(MAX_IN_FLIGHT) } });
    hanging = await startWebhookReceiver();
    healthy = await startWebhookReceiver();
    hanging.answerWith(() => 'hang');
  });
  afterAll(async () => {
    await t?.close();
    await hanging?.close();
    await healthy?.close();
  });

  it("delivers B's events while A's 400 deliveries hang, each B attempt started before any more of A's", { timeout: 180_000 }, async () => {
    const noisy = await createAgency(t.app, { tier: 'scale' });
    const quiet = await createAgency(t.app, { tier: 'scale' });
    for (let i = 0; i < NOISY_SUBSCRIPTIONS; i++) await addSubscription(t, noisy.id, { url: `${hanging.url}/a${i}`, events: ['review.created'] });
    const quietSub = await addSubscription(t, quiet.id, { url: `${healthy.url}/b`, events: ['review.created'] });
    for (let i = 0; i < NOISY_EVENTS; i++) await simulate(t.app, noisy.id, 'review.created');
    const deps = { db: t.ctx.db, database: t.database, clock: t.ctx.clock, config: t.ctx.config, logger: silentLogger };
    const dispatcher = createDispatcher(deps);
    expect(await dispatcher.runOnce()).toBe(NOISY_EVENTS);

    const executor = t.ctx.services.deliveryEngine.executor;
    const started: string[] = [];
    const worker = createDeliveryWorker({
      ...deps,
      executor: {
        leaseMs: executor.leaseMs,
        leases: executor.leases,
        attemptClaimed: (delivery: ClaimedDelivery, workerId: string, hooks?: { onSent?: () => void }) => {
          started.push(delivery.agency_id);
          return executor.attemptClaimed(delivery, workerId, hooks);
        },
      },
    });
    await worker.start();
    try {
      // Alone, A takes half the slots (its share with room for one more agency), and no more.
      const aloneShare = MAX_IN_FLIGHT / 2;
      await until(() => hanging.requests.length === aloneShare, `A to fill its share (${aloneShare})`);
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(hanging.requests).toHaveLength(aloneShare);

      for (let i = 1; i <= QUIET_EVENTS; i++) {
        const startedBefore = started.length;
        await simulate(t.app, quiet.id, 'review.created');
        await dispatcher.runOnce();
        await until(() => healthy.requests.length === i, `B's delivery ${i} to arrive`);
        // B's attempt was the next one started: A got nothing in between.
        expect(started.slice(startedBefore)).toEqual([quiet.id]);
      }
      expect(hanging.requests).toHaveLength(aloneShare);
      // The last request has arrived; its attempt is recorded a moment later.
      await until(async () => (await deliveriesOf(t, quietSub.id)).every((d) => d.status === 'succeeded'), "B's last attempt to be recorded");
      const quietDeliveries = await deliveriesOf(t, quietSub.id);
      expect(quietDeliveries.map((d) => [d.status, d.attempts])).toEqual(Array.from({ length: QUIET_EVENTS }, () => ['succeeded', 1]));
    } finally {
      hanging.answerWith(() => ({ status: 200 }));
      hanging.release();
      await worker.stop();
    }

    // Stopping hands back what the worker had leased ahead and not started: pending, unattempted.
    const noisyStates = await t.ctx.db.selectFrom('webhook_deliveries').select(['status', 'attempts', 'locked_by'])
      .where('agency_id', '=', noisy.id).execute();
    expect(noisyStates.filter((d) => d.status === 'succeeded')).toHaveLength(MAX_IN_FLIGHT / 2);
    expect(noisyStates.filter((d) => d.status === 'pending').every((d) => d.attempts === 0 && d.locked_by === null)).toBe(true);
    expect(noisyStates.filter((d) => d.status === 'pending')).toHaveLength(NOISY_SUBSCRIPTIONS * NOISY_EVENTS - MAX_IN_FLIGHT / 2);
  });
});
