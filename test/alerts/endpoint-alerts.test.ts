import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { simulate } from '../support/fixtures.ts';
import { createApiKey } from '../support/api-keys.ts';
import { startWebhookReceiver, type WebhookReceiver } from '../support/webhook-receiver.ts';
import { SCOPES } from '../../src/domains/api/auth-context.ts';
import { addSubscription, deliverySetup, subscriptionOf, type DeliverySetup } from '../webhooks/delivery-harness.ts';
import { alertsOf, eventsOfType, verifyAt } from './support.ts';

const MINUTE = 60_000;

describe('health alerts about endpoints', () => {
  let s: DeliverySetup;
  let endpoint: WebhookReceiver;
  let onCall: WebhookReceiver;

  beforeAll(async () => {
    s = await deliverySetup();
    endpoint = await startWebhookReceiver({ answer: () => ({ status: 500 }) });
    onCall = await startWebhookReceiver();
  });
  afterAll(async () => {
    await s?.t.close();
    await endpoint?.close();
    await onCall?.close();
  });

  const check = () => s.t.ctx.services.alerts.checkHealth();

  it('an endpoint failing for an hour raises faro.endpoint.failing once, delivered signed to the on-call endpoint; its next success resolves it', async () => {
    const failing = await addSubscription(s.t, s.agency.id, { url: `${endpoint.url}/a`, events: ['review.created'] });
    const ops = await addSubscription(s.t, s.agency.id, { url: `${onCall.url}/ops`, events: ['faro.endpoint.failing'] });
    await simulate(s.t.app, s.agency.id, 'review.created');
    expect(await s.deliverDue()).toBe(1);
    const failingSince = (await subscriptionOf(s.t, failing.id)).failing_since!;

    s.clock.advance(59 * MINUTE);
    expect((await check()).endpoint_failing).toEqual({ raised: 0, resolved: 0 });
    s.clock.advance(1 * MINUTE);
    expect((await check()).endpoint_failing).toEqual({ raised: 1, resolved: 0 });
    expect((await check()).endpoint_failing).toEqual({ raised: 0, resolved: 0 });
    const [alert] = await alertsOf(s.t, s.agency.id);
    expect(alert).toMatchObject({ kind: 'endpoint_failing', subject_id: failing.id, resolved_at: null, raised_at: s.clock.now() });
    expect(await eventsOfType(s.t, s.agency.id, 'faro.endpoint.failing')).toHaveLength(1);

    const from = onCall.requests.length;
    await s.deliverDue();
    const received = await onCall.waitFor((request) => request.path === '/ops', { from });
    const body = verifyAt(ops.secret, received, s.clock.now());
    expect(body).toMatchObject({
      id: alert!.event_id,
      type: 'faro.endpoint.failing',
      agency_id: s.agency.id,
      livemode: true,
      data: { alert_id: alert!.id, subscription_id: failing.id, url: `${endpoint.url}/a`, failing_since: failingSince.toISOString() },
    });

    endpoint.answer(200);
    s.clock.advance(3 * 3600_000); // past the next retry
    await s.deliverDue();
    expect((await subscriptionOf(s.t, failing.id)).failing_since).toBeNull();
    expect((await check()).endpoint_failing).toEqual({ raised: 0, resolved: 1 });
    expect((await alertsOf(s.t, s.agency.id))[0]!.resolved_at).toEqual(s.clock.now());
    endpoint.answer(500);
  });

  it('a 410 disables the endpoint and raises faro.endpoint.disabled once, for the other endpoints only; enabling it again resolves it', async () => {
    const gone = await startWebhookReceiver({ answer: () => ({ status: 410 }) });
    try {
      const doomed = await addSubscription(s.t, s.agency.id, { url: `${gone.url}/gone`, events: ['*'] });
      const ops = await addSubscription(s.t, s.agency.id, { url: `${onCall.url}/ops-disabled`, events: ['faro.endpoint.disabled'] });
      await simulate(s.t.app, s.agency.id, 'lead.converted');
      await s.deliverDue();
      expect(gone.requests).toHaveLength(1);
      const row = await subscriptionOf(s.t, doomed.id);
      expect(row.enabled).toBe(false);

      const open = (await alertsOf(s.t, s.agency.id)).filter((a) => a.kind === 'endpoint_disabled');
      expect(open).toEqual([expect.objectContaining({ subject_id: doomed.id, resolved_at: null })]);
      expect(open[0]!.details).toMatchObject({ subscription_id: doomed.id, reason: row.disabled_reason });
      // The periodic check neither raises it again nor resolves it while the endpoint stays disabled.
      expect((await check()).endpoint_disabled).toEqual({ raised: 0, resolved: 0 });
      expect(await eventsOfType(s.t, s.agency.id, 'faro.endpoint.disabled')).toHaveLength(1);

      const from = onCall.requests.length;
      await s.deliverDue();
      const received = await onCall.waitFor((request) => request.path === '/ops-disabled', { from });
      expect(verifyAt(ops.secret, received, s.clock.now())).toMatchObject({ type: 'faro.endpoint.disabled', data: { alert_id: open[0]!.id, subscription_id: doomed.id } });
      // The disabled endpoint, subscribed to everything, gets nothing of it.
      expect(gone.requests).toHaveLength(1);

      const key = await createApiKey(s.t.app, s.agency.id, { scopes: SCOPES });
      const enabled = await s.t.app.inject({ method: 'PATCH', url: `/api/v1/webhooks/${doomed.id}`, headers: key.headers, payload: { enabled: true } });
      expect(enabled.statusCode).toBe(200);
      const after = (await alertsOf(s.t, s.agency.id)).find((a) => a.id === open[0]!.id)!;
      expect(after.resolved_at).toEqual(s.clock.now());
    } finally {
      await gone.close();
    }
  });
});
