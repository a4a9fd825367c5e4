import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../support/app.ts';
import { createAgency, simulate } from '../support/fixtures.ts';
import { startWebhookReceiver, type WebhookReceiver } from '../support/webhook-receiver.ts';
import { createDeliveryWorker } from '../../src/domains/webhooks/delivery/worker.ts';
import { createDispatcher } from '../../src/domains/webhooks/delivery/dispatcher.ts';
import { addSubscription, deliveriesOf, silentLogger } from './delivery-harness.ts';
import { until } from '../support/eventually.ts';

const CAP = 3;
const EVENTS = 12;

describe('webhook worker: fairness', () => {
  let t: TestApp;
  let stuck: WebhookReceiver;
  let healthy: WebhookReceiver;

  beforeAll(async () => {
    t = await createTestApp({ env: { FARO_WEBHOOK_MAX_IN_FLIGHT: '8', FARO_WEBHOOK_MAX_IN_FLIGHT_PER_SUBSCRIPTION: String(CAP) } });
    stuck = await startWebhookReceiver();
    healthy = await startWebhookReceiver();
    stuck.answerWith(() => 'hang');
  });
  afterAll(async () => {
    await t?.close();
    await stuck?.close();
    await healthy?.close();
  });

  it("a hanging endpoint holds its own few slots while another endpoint's deliveries all complete", { timeout: 120_000 }, async () => {
    const agency = await createAgency(t.app, { tier: 'scale' });
    const slow = await addSubscription(t, agency.id, { url: `${stuck.url}/hang`, events: ['lead.converted'] });
    const fast = await addSubscription(t, agency.id, { url: `${healthy.url}/ok`, events: ['lead.converted'] });
    for (let i = 0; i < EVENTS; i++) await simulate(t.app, agency.id, 'lead.converted');
    const deps = { db: t.ctx.db, database: t.database, clock: t.ctx.clock, config: t.ctx.config, logger: silentLogger };
    await createDispatcher(deps).runOnce();
    // The stuck endpoint's deliveries are the oldest in the queue: it gets first pick.
    await t.ctx.db.updateTable('webhook_deliveries').set({ next_attempt_at: new Date(Date.now() - 60_000) }).where('subscription_id', '=', slow.id).execute();

    const worker = createDeliveryWorker({ ...deps, executor: t.ctx.services.deliveryEngine.executor });
    await worker.start();
    try {
      await until(async () => (await deliveriesOf(t, fast.id)).every((d) => d.status === 'succeeded'), 'the healthy endpoint to get everything');
      expect(healthy.requests).toHaveLength(EVENTS);

      const slowStates = (await deliveriesOf(t, slow.id)).map((d) => d.status);
      // CAP sending, and half as many again leased ahead, waiting in the worker's buffer.
      const leased = CAP + Math.floor(CAP / 2);
      expect(slowStates.filter((status) => status === 'delivering')).toHaveLength(leased);
      expect(slowStates.filter((status) => status === 'pending')).toHaveLength(EVENTS - leased);
      expect(stuck.requests).toHaveLength(CAP);

      // Once the endpoint answers, its backlog drains too.
      stuck.answerWith(() => ({ status: 200 }));
      stuck.release();
      await until(async () => (await deliveriesOf(t, slow.id)).every((d) => d.status === 'succeeded'), 'the recovered endpoint to catch up');
      expect(stuck.requests).toHaveLength(EVENTS);
    } finally {
      await worker.stop();
    }
  });
});
