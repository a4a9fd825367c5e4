import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { simulate } from '../support/fixtures.ts';
import { testConfig } from '../support/app.ts';
import { startWebhookReceiver, type WebhookReceiver } from '../support/webhook-receiver.ts';
import { createWebhookSender } from '../../src/domains/webhooks/delivery/sender.ts';
import { createDeliveryExecutor } from '../../src/domains/webhooks/delivery/executor.ts';
import { createSecretBox } from '../../src/domains/webhooks/secret-box.ts';
import { createDeliveryWorker } from '../../src/domains/webhooks/delivery/worker.ts';
import { addSubscription, silentLogger, attemptsOf, deliveriesOf, deliverySetup, subscriptionOf, type DeliverySetup } from './delivery-harness.ts';

const HOUR = 3600_000;

describe('webhook delivery: failures', () => {
  let s: DeliverySetup;
  let receiver: WebhookReceiver;
  let other: WebhookReceiver;

  beforeAll(async () => {
    s = await deliverySetup({ env: { FARO_WEBHOOK_TIMEOUT_MS: '300', FARO_WEBHOOK_RETRY_JITTER: '0' } });
    receiver = await startWebhookReceiver();
    other = await startWebhookReceiver();
  });
  afterAll(async () => {
    await s?.t.close();
    await receiver?.close();
    await other?.close();
  });

  it('disables the subscription at once on 410 Gone, fails the delivery and cancels the queued ones', async () => {
    receiver.answerWith((r) => (r.path === '/gone' ? { status: 410, body: 'gone' } : { status: 200 }));
    const sub = await addSubscription(s.t, s.agency.id, { url: `${receiver.url}/gone`, events: ['review.created'] });
    await simulate(s.t.app, s.agency.id, 'review.created');
    await simulate(s.t.app, s.agency.id, 'review.created');
    await s.dispatcher.runOnce();
    // One slot for this subscription: the first attempt meets the 410 while the second waits.
    await s.t.ctx.db.updateTable('webhook_deliveries').set({ next_attempt_at: new Date(s.clock.now().getTime() + 1000) })
      .where('subscription_id', '=', sub.id).where('id', '=', (await deliveriesOf(s.t, sub.id))[1]!.id).execute();

    expect(await s.worker.runOnce()).toBe(1);
    const [first, second] = await deliveriesOf(s.t, sub.id);
    expect(first).toMatchObject({ status: 'failed', attempts: 1, last_status_code: 410, next_attempt_at: null });
    expect(second).toMatchObject({ status: 'cancelled', attempts: 0 });
    const row = await subscriptionOf(s.t, sub.id);
    expect(row.enabled).toBe(false);
    expect(row.disabled_reason).toMatch(/410 Gone/);
    expect(row.disabled_at).toEqual(s.clock.now());

    s.clock.advance(60_000);
    await simulate(s.t.app, s.agency.id, 'review.created');
    expect(await s.deliverDue()).toBe(0);
    expect(await deliveriesOf(s.t, sub.id)).toHaveLength(2);
  });

  it('treats a redirect as a failure and never follows it', async () => {
    receiver.answerWith((r) => (r.path === '/moved' ? { status: 302, headers: { location: `${other.url}/target` } } : { status: 200 }));
    const sub = await addSubscription(s.t, s.agency.id, { url: `${receiver.url}/moved`, events: ['lead.converted'] });
    await simulate(s.t.app, s.agency.id, 'lead.converted');
    await s.deliverDue();

    const [delivery] = await deliveriesOf(s.t, sub.id);
    expect(delivery).toMatchObject({ status: 'pending', attempts: 1, last_status_code: 302 });
    const [attempt] = await attemptsOf(s.t, delivery!.id);
    expect(attempt).toMatchObject({ response_status: 302, error_kind: 'http_status' });
    expect(attempt!.error_message).toMatch(/redirects are not followed/);
    expect(attempt!.response_headers).toMatchObject({ location: `${other.url}/target` });
    expect(other.requests).toHaveLength(0);
    expect((await subscriptionOf(s.t, sub.id)).failing_since).toEqual(s.clock.now());
  });

  it('records a receiver that does not answer in time as a timeout', async () => {
    receiver.answerWith((r) => (r.path === '/slow' ? 'hang' : { status: 200 }));
    const sub = await addSubscription(s.t, s.agency.id, { url: `${receiver.url}/slow`, events: ['sync.failed'] });
    await simulate(s.t.app, s.agency.id, 'sync.failed');
    await s.deliverDue();
    receiver.release();

    const [delivery] = await deliveriesOf(s.t, sub.id);
    expect(delivery).toMatchObject({ status: 'pending', attempts: 1, last_status_code: null });
    const [attempt] = await attemptsOf(s.t, delivery!.id);
    expect(attempt).toMatchObject({ response_status: null, error_kind: 'timeout' });
    expect(attempt!.duration_ms).toBeGreaterThanOrEqual(250);
  });

  it('disables a subscription whose deliveries have all failed for 5 days, and cancels its queue', async () => {
    receiver.answerWith((r) => (r.path === '/broken' ? { status: 500 } : { status: 200 }));
    const sub = await addSubscription(s.t, s.agency.id, { url: `${receiver.url}/broken`, events: ['message.received'] });
    const failingFrom = s.clock.now();
    await simulate(s.t.app, s.agency.id, 'message.received');
    await s.deliverDue();
    expect((await subscriptionOf(s.t, sub.id)).failing_since).toEqual(failingFrom);

    // Failures short of 5 days leave it enabled.
    s.clock.advance(119 * HOUR);
    await simulate(s.t.app, s.agency.id, 'message.received');
    await s.deliverDue();
    expect((await subscriptionOf(s.t, sub.id)).enabled).toBe(true);

    s.clock.advance(HOUR);
    await simulate(s.t.app, s.agency.id, 'message.received');
    await s.deliverDue();
    const row = await subscriptionOf(s.t, sub.id);
    expect(row.enabled).toBe(false);
    expect(row.disabled_reason).toMatch(/failed for 120 hours/);
    const statuses = (await deliveriesOf(s.t, sub.id)).map((d) => d.status);
    expect(statuses).not.toContain('pending');
    expect(statuses).toContain('cancelled');
  });

  it('a success ends a run of failures, so auto-disable counts from the next failure', async () => {
    let failing = true;
    receiver.answerWith((r) => (r.path === '/flaky' ? { status: failing ? 500 : 204 } : { status: 200 }));
    const sub = await addSubscription(s.t, s.agency.id, { url: `${receiver.url}/flaky`, events: ['review.created'] });
    await simulate(s.t.app, s.agency.id, 'review.created');
    await s.deliverDue();
    expect((await subscriptionOf(s.t, sub.id)).failing_since).not.toBeNull();
    failing = false;
    s.clock.advance(5_000);
    await s.deliverDue();
    expect((await subscriptionOf(s.t, sub.id)).failing_since).toBeNull();
    failing = true;
    s.clock.advance(200 * HOUR);
    await simulate(s.t.app, s.agency.id, 'review.created');
    await s.deliverDue();
    expect((await subscriptionOf(s.t, sub.id)).enabled).toBe(true);
  });

  it('cancels instead of sending the deliveries of a disabled or deleted subscription', async () => {
    const disabled = await addSubscription(s.t, s.agency.id, { url: `${other.url}/disabled`, events: ['lead.converted'] });
    const deleted = await addSubscription(s.t, s.agency.id, { url: `${other.url}/deleted`, events: ['lead.converted'] });
    await simulate(s.t.app, s.agency.id, 'lead.converted');
    await s.dispatcher.runOnce();
    await s.t.ctx.db.updateTable('webhook_subscriptions').set({ enabled: false }).where('id', '=', disabled.id).execute();
    await s.t.ctx.db.updateTable('webhook_subscriptions').set({ deleted_at: s.clock.now() }).where('id', '=', deleted.id).execute();
    await s.worker.runOnce();

    expect((await deliveriesOf(s.t, disabled.id))[0]).toMatchObject({ status: 'cancelled', attempts: 0, last_error: 'cancelled: subscription disabled' });
    expect((await deliveriesOf(s.t, deleted.id))[0]).toMatchObject({ status: 'cancelled', attempts: 0, last_error: 'cancelled: subscription deleted' });
    expect(other.requests.filter((r) => r.path === '/disabled' || r.path === '/deleted')).toHaveLength(0);
  });
});

describe('webhook delivery: SSRF guard at delivery time', () => {
  let s: DeliverySetup;
  let receiver: WebhookReceiver;

  beforeAll(async () => {
    s = await deliverySetup({ appOptions: { config: { webhooks: { ...testConfig().webhooks, allowPrivate: false } } } });
    receiver = await startWebhookReceiver();
  });
  afterAll(async () => {
    await s?.t.close();
    await receiver?.close();
  });

  it('records ssrf_blocked and never reaches a loopback target, whatever the URL says', async () => {
    const port = new URL(receiver.url).port;
    // Written as if it passed the create-time check (e.g. DNS changed since).
    const urls = [`https://localhost:${port}/a`, `https://127.0.0.1:${port}/b`, `https://[::ffff:127.0.0.1]:${port}/c`, `https://2130706433:${port}/d`];
    const subs = [];
    for (const url of urls) subs.push(await addSubscription(s.t, s.agency.id, { url, events: ['review.created'] }));
    await simulate(s.t.app, s.agency.id, 'review.created');
    expect(await s.deliverDue()).toBe(urls.length);

    for (const sub of subs) {
      const [delivery] = await deliveriesOf(s.t, sub.id);
      expect(delivery).toMatchObject({ status: 'pending', attempts: 1, last_status_code: null });
      const [attempt] = await attemptsOf(s.t, delivery!.id);
      expect(attempt).toMatchObject({ error_kind: 'ssrf_blocked', response_status: null });
    }
    expect(receiver.requests).toHaveLength(0);
  });

  it('blocks at connect time a host name that now resolves to a private address (DNS rebinding)', async () => {
    const port = new URL(receiver.url).port;
    const sender = createWebhookSender({ allowPrivate: false, resolve: async () => [{ address: '127.0.0.1', family: 4 }] });
    const executor = createDeliveryExecutor({ db: s.t.ctx.db, clock: s.clock, config: s.t.ctx.config, sender, secretBox: createSecretBox(Buffer.from(s.t.ctx.config.secretKey!, 'base64')), logger: silentLogger });
    const worker = createDeliveryWorker({ db: s.t.ctx.db, database: s.t.database, clock: s.clock, config: s.t.ctx.config, executor, logger: silentLogger });
    try {
      const sub = await addSubscription(s.t, s.agency.id, { url: `https://hooks.customer.example:${port}/rebound`, events: ['sync.failed'] });
      await simulate(s.t.app, s.agency.id, 'sync.failed');
      await s.dispatcher.runOnce();
      expect(await worker.runOnce()).toBe(1);
      const [delivery] = await deliveriesOf(s.t, sub.id);
      const [attempt] = await attemptsOf(s.t, delivery!.id);
      expect(attempt).toMatchObject({ error_kind: 'ssrf_blocked', response_status: null });
      // The delivery log is the agency's to read: it says what was refused, not our internal address.
      expect(attempt!.error_message).toBe('hooks.customer.example resolves to a private or internal address');
      expect(receiver.requests).toHaveLength(0);
    } finally {
      await sender.close();
    }
  });
});

describe('webhook delivery: tier', () => {
  it('holds the deliveries of an agency below Scale until it is back on Scale', async () => {
    const s = await deliverySetup();
    const receiver = await startWebhookReceiver();
    try {
      const sub = await addSubscription(s.t, s.agency.id, { url: `${receiver.url}/tier`, events: ['*'] });
      await s.t.ctx.db.updateTable('agencies').set({ tier: 'growth' }).where('id', '=', s.agency.id).execute();
      await simulate(s.t.app, s.agency.id, 'review.created');
      expect(await s.deliverDue()).toBe(0);
      expect(await deliveriesOf(s.t, sub.id)).toMatchObject([{ status: 'pending', attempts: 0 }]);

      await s.t.ctx.db.updateTable('agencies').set({ tier: 'enterprise' }).where('id', '=', s.agency.id).execute();
      expect(await s.worker.runOnce()).toBe(1);
      expect(await deliveriesOf(s.t, sub.id)).toMatchObject([{ status: 'succeeded' }]);
      expect(receiver.requests).toHaveLength(1);
    } finally {
      await s.t.close();
      await receiver.close();
    }
  });
});
