import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { login, simulate } from '../support/fixtures.ts';
import { startWebhookReceiver, type WebhookReceiver } from '../support/webhook-receiver.ts';
import { createRetentionJob } from '../../src/jobs/retention.ts';
import { raiseAlert } from '../../src/domains/alerts/raise.ts';
import { addSubscription, deliverySetup, silentLogger, type DeliverySetup } from './delivery-harness.ts';

const DAY = 24 * 3600_000;

describe('retention job', () => {
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

  it('prunes events, deliveries and attempts older than the retention period, and expired sessions', async () => {
    const today = s.clock.now();
    await addSubscription(s.t, s.agency.id, { url: `${receiver.url}/kept`, events: ['*'] });

    s.clock.set(new Date(today.getTime() - 31 * DAY));
    await login(s.t.app, s.agency.email, s.agency.password);
    const old = await simulate(s.t.app, s.agency.id, 'review.created');
    await s.deliverDue();

    s.clock.set(today);
    await login(s.t.app, s.agency.email, s.agency.password);
    const recent = await simulate(s.t.app, s.agency.id, 'review.created');
    await s.deliverDue();

    const db = s.t.ctx.db;
    const job = createRetentionJob({ db, clock: s.clock, config: s.t.ctx.config, logger: silentLogger });
    const pruned = await job.runOnce();
    expect(pruned.events).toBeGreaterThanOrEqual(1);
    expect(pruned.deliveries).toBeGreaterThanOrEqual(1);
    expect(pruned.attempts).toBeGreaterThanOrEqual(1);
    expect(pruned.sessions).toBe(1);

    const events = (await db.selectFrom('events').select('id').execute()).map((e) => e.id);
    expect(events).toContain(recent.event_id);
    expect(events).not.toContain(old.event_id);
    const deliveries = await db.selectFrom('webhook_deliveries').select(['event_id', 'created_at']).execute();
    expect(deliveries.map((d) => d.event_id)).toContain(recent.event_id);
    expect(deliveries.every((d) => d.created_at.getTime() >= today.getTime() - 30 * DAY)).toBe(true);
    const attempts = await db.selectFrom('webhook_delivery_attempts').select('started_at').execute();
    expect(attempts.length).toBeGreaterThan(0);
    expect(attempts.every((a) => a.started_at.getTime() >= today.getTime() - 30 * DAY)).toBe(true);
    expect(await db.selectFrom('sessions').select('id').execute()).toHaveLength(1);

    expect(await job.runOnce()).toEqual({ attempts: 0, deliveries: 0, events: 0, resolved_alerts: 0, api_usage_hours: 0, api_request_logs: 0, sessions: 0, idempotency_keys: 0 });
  });

  it('prunes health alerts resolved before the retention period, never open ones however old', async () => {
    const today = s.clock.now();
    const longAgo = new Date(today.getTime() - 40 * DAY);
    const raise = (subjectId: string) =>
      s.t.ctx.db.transaction().execute((trx) => raiseAlert(trx, { agencyId: s.agency.id, kind: 'endpoint_disabled', subjectId, details: {}, at: longAgo }));
    const resolvedLongAgo = (await raise('whsub_resolved'))!;
    const stillOpen = (await raise('whsub_open'))!;
    await s.t.ctx.db.updateTable('operational_alerts').set({ resolved_at: new Date(longAgo.getTime() + DAY) }).where('id', '=', resolvedLongAgo.id).execute();

    const job = createRetentionJob({ db: s.t.ctx.db, clock: s.clock, config: s.t.ctx.config, logger: silentLogger });
    expect((await job.runOnce()).resolved_alerts).toBe(1);
    const left = await s.t.ctx.db.selectFrom('operational_alerts').select('id').where('agency_id', '=', s.agency.id).execute();
    expect(left.map((a) => a.id)).toEqual([stillOpen.id]);
  });
});
