import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { agencyWithOwner, createAgency, login } from '../support/fixtures.ts';
import { createApiKey, withKey } from '../support/api-keys.ts';
import { until } from '../support/eventually.ts';
import { startWebhookReceiver, type WebhookReceiver } from '../support/webhook-receiver.ts';
import { addSubscription, deliverySetup, type DeliverySetup } from '../webhooks/delivery-harness.ts';
import { createTestApp } from '../support/app.ts';
import { alertsOf, eventsOfType, verifyAt } from './support.ts';

const MINUTE = 60_000;
const DAY = 24 * 3600_000;

describe('health alerts about API keys', () => {
  let s: DeliverySetup;
  let onCall: WebhookReceiver;

  beforeAll(async () => {
    s = await deliverySetup({ tier: 'enterprise' });
    onCall = await startWebhookReceiver();
  });
  afterAll(async () => {
    await s?.t.close();
    await onCall?.close();
  });

  it('the request that reaches 80 % of a key’s quota raises faro.rate_limit.approaching once, delivered signed; a window under 80 % resolves it', async () => {
    const ops = await addSubscription(s.t, s.agency.id, { url: `${onCall.url}/quota`, events: ['faro.rate_limit.approaching'] });
    const key = await createApiKey(s.t.app, s.agency.id, { rate_limit: 10, name: 'CRM sync' });
    const quotaAlerts = async () => (await alertsOf(s.t, s.agency.id)).filter((a) => a.kind === 'rate_limit_approaching');
    for (let i = 0; i < 7; i++) expect((await s.t.app.inject(withKey(key.key))).statusCode).toBe(200);
    expect(await quotaAlerts()).toEqual([]);
    expect((await s.t.app.inject(withKey(key.key))).statusCode).toBe(200); // the 8th of 10
    await until(async () => (await quotaAlerts()).length === 1, 'the quota alert');
    for (let i = 0; i < 2; i++) expect((await s.t.app.inject(withKey(key.key))).statusCode).toBe(200);
    expect((await s.t.app.inject(withKey(key.key))).statusCode).toBe(429);
    const [alert] = await quotaAlerts();
    expect(alert).toMatchObject({ subject_id: key.id, resolved_at: null, details: { key_id: key.id, name: 'CRM sync', limit: 10, used: 8, window_seconds: 3600 } });
    expect(await eventsOfType(s.t, s.agency.id, 'faro.rate_limit.approaching')).toHaveLength(1);

    const from = onCall.requests.length;
    await s.deliverDue();
    const received = await onCall.waitFor((request) => request.path === '/quota', { from });
    expect(verifyAt(ops.secret, received, s.clock.now())).toMatchObject({
      id: alert!.event_id, type: 'faro.rate_limit.approaching', livemode: true, data: { alert_id: alert!.id, key_id: key.id, used: 8, limit: 10 },
    });

    // Still at 10 of 10: the check leaves it open; once those requests leave the window it resolves.
    expect(await s.t.ctx.services.alerts.checkQuotas()).toEqual({ resolved: 0 });
    s.clock.advance(61 * MINUTE);
    expect(await s.t.ctx.services.alerts.checkQuotas()).toEqual({ resolved: 1 });
    expect((await quotaAlerts())[0]!.resolved_at).toEqual(s.clock.now());
  });

  it('a key expiring within 7 days raises faro.api_key.expiring once; rotating it resolves it', async () => {
    const { agency, owner } = await agencyWithOwner(s.t.app, { tier: 'enterprise' });
    const key = await createApiKey(s.t.app, owner, { name: 'Zapier', expires_at: new Date(s.clock.now().getTime() + 8 * DAY).toISOString() });
    const check = async () => (await s.t.ctx.services.alerts.checkHealth()).api_key_expiring;
    expect(await check()).toEqual({ raised: 0, resolved: 0 });
    s.clock.advance(DAY + MINUTE);
    expect(await check()).toEqual({ raised: 1, resolved: 0 });
    expect(await check()).toEqual({ raised: 0, resolved: 0 });
    const [alert] = await alertsOf(s.t, agency.id);
    expect(alert).toMatchObject({ kind: 'api_key_expiring', subject_id: key.id, details: { key_id: key.id, name: 'Zapier', expires_at: key.expires_at } });
    const [event] = await eventsOfType(s.t, agency.id, 'faro.api_key.expiring');
    expect(event).toMatchObject({ id: alert!.event_id, livemode: true, data: { alert_id: alert!.id, key_id: key.id } });

    const session = await login(s.t.app, agency.email, agency.password);
    const rotated = await s.t.app.inject({ method: 'POST', url: `/portal/api/api-keys/${key.id}/rotate`, headers: session.headers, payload: { grace_period_seconds: 3600 } });
    expect(rotated.statusCode).toBe(201);
    // The replacement keeps the same end of life: it is the one expiring now.
    const replacement = rotated.json<{ id: string }>().id;
    expect(await check()).toEqual({ raised: 1, resolved: 1 });
    const alerts = await alertsOf(s.t, agency.id);
    expect(Object.fromEntries(alerts.map((a) => [a.subject_id, a.resolved_at === null ? 'open' : 'resolved']))).toEqual({ [key.id]: 'resolved', [replacement]: 'open' });
  });

  it('a test-mode key raises its alert in test mode (livemode false), in the sandbox only', async () => {
    const agency = await createAgency(s.t.app, { tier: 'scale' });
    const key = await createApiKey(s.t.app, agency.id, { mode: 'test', expires_at: new Date(s.clock.now().getTime() + 2 * DAY).toISOString() });
    await s.t.ctx.services.alerts.checkHealth();
    const sandbox = (await s.t.ctx.services.sandboxes.find(agency.id))!;
    expect(await alertsOf(s.t, agency.id)).toEqual([]);
    const [alert] = await alertsOf(s.t, sandbox.id);
    expect(alert).toMatchObject({ kind: 'api_key_expiring', subject_id: key.id });
    const [event] = await eventsOfType(s.t, sandbox.id, 'faro.api_key.expiring');
    expect(event).toMatchObject({ livemode: false });
  });
});

describe('health alerts across instances', () => {
  it('two instances raising the same alert at once write one alert and one event', async () => {
    const s = await deliverySetup({ tier: 'enterprise' });
    const other = await createTestApp({ clock: s.clock, database: s.t.database });
    try {
      const key = await createApiKey(s.t.app, s.agency.id, { rate_limit: 10, expires_at: new Date(s.clock.now().getTime() + DAY).toISOString() });
      const decision = { limit: 10, remaining: 2 };
      await Promise.all([s.t, other].map((app) => app.ctx.services.alerts.quotaCrossed(s.agency.id, key.id, decision)));
      const results = await Promise.all([s.t, other].map((app) => app.ctx.services.alerts.checkHealth()));
      expect(results.reduce((sum, result) => sum + result.api_key_expiring.raised, 0)).toBe(1);
      const alerts = await alertsOf(s.t, s.agency.id);
      expect(alerts.map((a) => a.kind).sort()).toEqual(['api_key_expiring', 'rate_limit_approaching']);
      expect(await eventsOfType(s.t, s.agency.id, 'faro.rate_limit.approaching')).toHaveLength(1);
      expect(await eventsOfType(s.t, s.agency.id, 'faro.api_key.expiring')).toHaveLength(1);
    } finally {
      await other.close();
      await s.t.close();
    }
  });
});
