import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../support/app.ts';
import { agencyWithOwner, createAgency, simulate, type PortalLogin, type TestAgency } from '../support/fixtures.ts';
import { expectProblem } from '../support/problem.ts';
import { startWebhookReceiver, type WebhookReceiver } from '../support/webhook-receiver.ts';
import { createManualClock } from '../../src/lib/clock.ts';
import { newId } from '../../src/lib/ids.ts';
import { claimDueDeliveries, insertDelivery, requeueDelivery } from '../../src/domains/webhooks/delivery/queue-repository.ts';
import { addSubscription, deliveriesOf, deliverySetup, type DeliverySetup } from './delivery-harness.ts';

const HOUR = 3600_000;

interface Hour {
  hour_start: string;
  succeeded: number;
  failed: number;
  retrying: number;
  attempts: number;
  latency_p50_ms: number | null;
  latency_p95_ms: number | null;
}

describe('endpoint charts: GET /portal/api/webhooks/{id}/delivery-stats', () => {
  const clock = createManualClock(new Date('2026-03-02T09:30:00.000Z'));
  let t: TestApp;
  let agency: TestAgency;
  let owner: PortalLogin;
  let subscriptionId: string;

  /** A delivery as the worker leaves it, with its attempts (durations in ms), created `hoursAgo` before now. */
  async function seed(options: { hoursAgo: number; status: 'succeeded' | 'failed' | 'pending'; lastError?: string; isTest?: boolean; durations?: number[]; subscription?: string; agencyId?: string }) {
    const createdAt = new Date(clock.now().getTime() - options.hoursAgo * HOUR);
    const id = newId('whdel', createdAt);
    const agencyId = options.agencyId ?? agency.id;
    await t.ctx.db
      .insertInto('webhook_deliveries')
      .values({
        id, agency_id: agencyId, subscription_id: options.subscription ?? subscriptionId, event_id: null, event_type: 'review.created', payload: '{}',
        status: options.status, attempts: options.durations?.length ?? 0, last_error: options.lastError ?? null, is_test: options.isTest ?? false,
        created_at: createdAt, updated_at: createdAt,
      })
      .execute();
    for (const [i, duration] of (options.durations ?? []).entries()) {
      const startedAt = new Date(createdAt.getTime() + i * 1000);
      await t.ctx.db
        .insertInto('webhook_delivery_attempts')
        .values({
          id: newId('whatt', startedAt), delivery_id: id, agency_id: agencyId, subscription_id: options.subscription ?? subscriptionId, is_test: options.isTest ?? false,
          attempt_number: i + 1, started_at: startedAt, duration_ms: duration, request_headers: '{}',
        })
        .execute();
    }
  }

  const stats = (id: string, query = '', login = owner) =>
    t.app.inject({ method: 'GET', url: `/portal/api/webhooks/${id}/delivery-stats${query}`, headers: { cookie: login.cookie } });

  beforeAll(async () => {
    t = await createTestApp({ clock });
    ({ agency, owner } = await agencyWithOwner(t.app));
    subscriptionId = (await addSubscription(t, agency.id, { url: 'https://hooks.example.com/a' })).id;
    // Two hours ago (the 07:00 hour; now is 09:30): two succeeded, one failed; four attempts.
    await seed({ hoursAgo: 2, status: 'succeeded', durations: [100] });
    await seed({ hoursAgo: 2, status: 'succeeded', durations: [200] });
    await seed({ hoursAgo: 2, status: 'failed', lastError: 'HTTP 500', durations: [300, 400] });
    // This hour: one waiting for a retry, one queued for its first attempt (neither succeeded nor failed), a test send (left out).
    await seed({ hoursAgo: 0.1, status: 'pending', lastError: 'HTTP 503', durations: [50] });
    await seed({ hoursAgo: 0.1, status: 'pending' });
    await seed({ hoursAgo: 0.1, status: 'succeeded', isTest: true, durations: [9999] });
    // Three days ago: only in the 7-day range.
    await seed({ hoursAgo: 72, status: 'succeeded', durations: [80] });
  });
  afterAll(async () => {
    await t?.close();
  });

  it('counts deliveries per hour by outcome, and attempt latency p50/p95, every hour of the last 24 present', async () => {
    const response = await stats(subscriptionId);
    expect(response.statusCode).toBe(200);
    const body = response.json<{ range: string; bucket_seconds: number; from: string; to: string; data: Hour[] }>();
    expect(body).toMatchObject({ subscription_id: subscriptionId, range: '24h', bucket_seconds: 3600, from: '2026-03-01T10:00:00.000Z', to: '2026-03-02T10:00:00.000Z' });
    expect(body.data).toHaveLength(24);
    const nonEmpty = body.data.filter((hour) => hour.attempts > 0 || hour.succeeded + hour.failed + hour.retrying > 0);
    expect(nonEmpty).toEqual([
      { hour_start: '2026-03-02T07:00:00.000Z', succeeded: 2, failed: 1, retrying: 0, attempts: 4, latency_p50_ms: 250, latency_p95_ms: 385 },
      { hour_start: '2026-03-02T09:00:00.000Z', succeeded: 0, failed: 0, retrying: 1, attempts: 1, latency_p50_ms: 50, latency_p95_ms: 50 },
    ]);
    expect(body.data[0]).toEqual({ hour_start: '2026-03-01T10:00:00.000Z', succeeded: 0, failed: 0, retrying: 0, attempts: 0, latency_p50_ms: null, latency_p95_ms: null });
  });

  it('over 7 days: 168 hours, older deliveries included', async () => {
    const body = (await stats(subscriptionId, '?range=7d')).json<{ data: Hour[] }>();
    expect(body.data).toHaveLength(168);
    expect(body.data.reduce((sum, hour) => sum + hour.succeeded, 0)).toBe(3);
    expect(body.data.find((hour) => hour.hour_start === '2026-02-27T09:00:00.000Z')).toMatchObject({ succeeded: 1, attempts: 1, latency_p50_ms: 80 });
  });

  it('answers 400 for a bad range or an unknown parameter', async () => {
    expectProblem(await stats(subscriptionId, '?range=30d'), 400, 'validation_failed');
    expectProblem(await stats(subscriptionId, '?range=24h&agency_id=x'), 400, 'validation_failed');
  });

  it('answers 404 for another agency’s subscription, a malformed id, and 401 without a session', async () => {
    const other = await agencyWithOwner(t.app);
    const theirs = (await addSubscription(t, other.agency.id, { url: 'https://hooks.example.com/b' })).id;
    await seed({ hoursAgo: 1, status: 'succeeded', durations: [10], subscription: theirs, agencyId: other.agency.id });
    expectProblem(await stats(theirs), 404, 'not_found');
    expect((await stats(theirs, '', other.owner)).json<{ data: Hour[] }>().data.some((hour) => hour.succeeded === 1)).toBe(true);
    expectProblem(await stats(subscriptionId, '', other.owner), 404, 'not_found');
    expectProblem(await stats('whsub_nope'), 404, 'not_found');
    expect((await t.app.inject({ method: 'GET', url: `/portal/api/webhooks/${subscriptionId}/delivery-stats` })).statusCode).toBe(401);
  });
});

describe('endpoint charts: attempts as the delivery engine records them', () => {
  let s: DeliverySetup;
  let receiver: WebhookReceiver;

  beforeAll(async () => {
    s = await deliverySetup({ env: { FARO_WEBHOOK_RETRY_JITTER: '0' } });
    // Without the trigger that fills in attempts from nodes on the previous release (0014), so an
    // attempt the engine recorded without its subscription would be refused (NOT NULL).
    await sql`DROP TRIGGER webhook_delivery_attempts_fill_subscription ON webhook_delivery_attempts`.execute(s.t.ctx.db);
    receiver = await startWebhookReceiver();
  });
  afterAll(async () => {
    await s?.t.close();
    await receiver?.close();
  });

  it('a sent attempt, a retry, a lost lease and a test send carry their subscription; the test send is left out', async () => {
    const sub = await addSubscription(s.t, s.agency.id, { url: `${receiver.url}/charts`, events: ['review.created'] });
    const { db } = s.t.ctx;
    // One delivery fails once (500), then succeeds 5 s later.
    receiver.answerWith(() => ({ status: 500, body: 'down' }));
    await simulate(s.t.app, s.agency.id, 'review.created');
    expect(await s.deliverDue()).toBe(1);
    receiver.answerWith(() => ({ status: 200, body: 'ok' }));
    s.clock.advance(5_000);
    expect(await s.worker.runOnce()).toBe(1);
    // Another is leased by a worker that dies: the promoter records the lost attempt, then it is sent.
    await simulate(s.t.app, s.agency.id, 'review.created');
    await s.dispatcher.runOnce();
    const now = s.clock.now();
    expect(await claimDueDeliveries(db, {
      workerId: 'dead-worker', now, leaseUntil: new Date(now.getTime() + 30_000), limit: 10,
      subscriptionAllowances: new Map(), agencyAllowances: new Map(), subscriptionDefault: 10, agencyDefault: 10,
    })).toHaveLength(1);
    s.clock.advance(30_000);
    expect(await s.worker.runOnce()).toBe(1);
    // A test send, attempted directly as POST /webhooks/{id}/test does.
    const testSend = newId('whdel', s.clock.now());
    await insertDelivery(db, {
      id: testSend, agency_id: s.agency.id, subscription_id: sub.id, event_id: null, event_type: 'webhook.test', payload: '{}',
      status: 'pending', next_attempt_at: null, is_test: true, created_at: s.clock.now(), updated_at: s.clock.now(),
    });
    await s.t.ctx.services.deliveryEngine.executor.attemptDelivery(testSend);

    const attempts = await db.selectFrom('webhook_delivery_attempts').select(['subscription_id', 'is_test', 'error_kind', 'response_status'])
      .where('agency_id', '=', s.agency.id).orderBy('delivery_id').orderBy('attempt_number').execute();
    expect(attempts).toEqual([
      { subscription_id: sub.id, is_test: false, error_kind: 'http_status', response_status: 500 },
      { subscription_id: sub.id, is_test: false, error_kind: null, response_status: 200 },
      { subscription_id: sub.id, is_test: false, error_kind: 'worker_lost', response_status: null },
      { subscription_id: sub.id, is_test: false, error_kind: null, response_status: 200 },
      { subscription_id: sub.id, is_test: true, error_kind: null, response_status: 200 },
    ]);
    const stats = await s.t.ctx.services.deliveryStats.hourly(s.agency.id, sub.id, '24h');
    const hour = stats.data.at(-1)!;
    expect(hour).toMatchObject({ hour_start: '2026-03-02T09:00:00.000Z', succeeded: 2, failed: 0, retrying: 0, attempts: 4 });
  });

  it('an attempt counts in the hour it started, however old its delivery (redelivered 3 days later)', async () => {
    const agency = await createAgency(s.t.app, { tier: 'scale' });
    const sub = await addSubscription(s.t, agency.id, { url: `${receiver.url}/again`, events: ['review.created'] });
    receiver.answerWith(() => ({ status: 200, body: 'ok' }));
    await simulate(s.t.app, agency.id, 'review.created');
    expect(await s.deliverDue()).toBe(1);
    const [delivery] = await deliveriesOf(s.t, sub.id);
    s.clock.advance(3 * 24 * HOUR);
    await requeueDelivery(s.t.ctx.db, agency.id, delivery!.id, s.clock.now());
    expect(await s.worker.runOnce()).toBe(1);

    const stats = await s.t.ctx.services.deliveryStats.hourly(agency.id, sub.id, '24h');
    expect(stats.data.reduce((sum, hour) => sum + hour.succeeded, 0)).toBe(0);
    expect(stats.data.reduce((sum, hour) => sum + hour.attempts, 0)).toBe(1);
    expect(stats.data.at(-1)).toMatchObject({ attempts: 1 });
  });
});
