import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../support/app.ts';
import { createAgency, simulate } from '../support/fixtures.ts';
import { startWebhookReceiver, type WebhookReceiver } from '../support/webhook-receiver.ts';
import { openPostgres, type Database } from '../../src/db/database.ts';
import { createDeliveryRuntime } from '../../src/domains/webhooks/delivery/runtime.ts';
import type { DeliveryExecutor } from '../../src/domains/webhooks/delivery/executor.ts';
import type { ClaimedDelivery } from '../../src/domains/webhooks/delivery/queue-repository.ts';
import { createDeliveryWorker } from '../../src/domains/webhooks/delivery/worker.ts';
import { createDispatcher } from '../../src/domains/webhooks/delivery/dispatcher.ts';
import { addSubscription, silentLogger } from './delivery-harness.ts';
import { until } from '../support/eventually.ts';

const SUBSCRIPTIONS = 20;
const EVENTS = 10;

describe('webhook workers: two workers on one database', () => {
  let t: TestApp;
  let receiver: WebhookReceiver;
  let secondDatabase: Database | undefined;

  beforeAll(async () => {
    t = await createTestApp({ env: { FARO_WEBHOOK_MAX_IN_FLIGHT: '8', FARO_WEBHOOK_MAX_IN_FLIGHT_PER_SUBSCRIPTION: '2' } });
    receiver = await startWebhookReceiver();
  });
  afterAll(async () => {
    await secondDatabase?.close();
    await t?.close();
    await receiver?.close();
  });

  it(`deliver ${SUBSCRIPTIONS * EVENTS} deliveries, each attempt exactly once`, { timeout: 120_000 }, async () => {
    const agency = await createAgency(t.app, { tier: 'scale' });
    for (let i = 0; i < SUBSCRIPTIONS; i++) await addSubscription(t, agency.id, { url: `${receiver.url}/s${i}`, events: ['review.created'] });
    for (let i = 0; i < EVENTS; i++) await simulate(t.app, agency.id, 'review.created');
    const deps = { clock: t.ctx.clock, config: t.ctx.config, logger: silentLogger };
    await createDispatcher({ ...deps, db: t.ctx.db, database: t.database }).runOnce();

    // On Postgres the second worker has its own pool (as another process would); PGlite is one process.
    const url = (t.database as Database & { url?: string }).url;
    secondDatabase = url ? await openPostgres(url, 5) : undefined;
    const other = secondDatabase ?? t.database;
    const runtime = createDeliveryRuntime({ ...deps, db: other.db, config: t.ctx.config });
    const attemptsBy = new Map<string, number>();
    const counting = (executor: DeliveryExecutor) => ({
      leaseMs: executor.leaseMs,
      leases: executor.leases,
      attemptClaimed: (delivery: ClaimedDelivery, workerId: string, hooks?: { onSent?: () => void }) => {
        attemptsBy.set(workerId, (attemptsBy.get(workerId) ?? 0) + 1);
        return executor.attemptClaimed(delivery, workerId, hooks);
      },
    });
    const workers = [
      createDeliveryWorker({ ...deps, db: t.ctx.db, database: t.database, executor: counting(t.ctx.services.deliveryEngine.executor), workerId: 'worker-a' }),
      createDeliveryWorker({ ...deps, db: other.db, database: other, executor: counting(runtime.executor), workerId: 'worker-b' }),
    ];
    try {
      // Hold every response until both workers have claimed work: otherwise the first worker to
      // start can drain all 200 before the second polls, and the test would prove nothing.
      receiver.answerWith(() => 'hang');
      await Promise.all(workers.map((worker) => worker.start()));
      await until(async () => (attemptsBy.get('worker-a') ?? 0) > 0 && (attemptsBy.get('worker-b') ?? 0) > 0, 'both workers to claim a delivery', 20_000);
      receiver.answerWith(() => ({ status: 200, body: 'ok' }));
      receiver.release();
      await until(async () => {
        const left = await t.ctx.db.selectFrom('webhook_deliveries').select('id').where('status', '!=', 'succeeded').execute();
        return left.length === 0;
      }, 'every delivery to succeed');
    } finally {
      await Promise.all(workers.map((worker) => worker.stop()));
      await runtime.close();
    }

    const seen = new Map<string, number>();
    for (const request of receiver.requests) {
      const key = `${request.path} ${request.headers['webhook-id']}`;
      seen.set(key, (seen.get(key) ?? 0) + 1);
    }
    expect(receiver.requests).toHaveLength(SUBSCRIPTIONS * EVENTS);
    expect(seen.size).toBe(SUBSCRIPTIONS * EVENTS);
    expect([...seen.values()].every((count) => count === 1)).toBe(true);

    const deliveries = await t.ctx.db.selectFrom('webhook_deliveries').select(['attempts', 'status']).execute();
    expect(deliveries).toHaveLength(SUBSCRIPTIONS * EVENTS);
    expect(deliveries.every((d) => d.attempts === 1 && d.status === 'succeeded')).toBe(true);
    const attempts = await t.ctx.db.selectFrom('webhook_delivery_attempts').select('id').execute();
    expect(attempts).toHaveLength(SUBSCRIPTIONS * EVENTS);
  });
});
