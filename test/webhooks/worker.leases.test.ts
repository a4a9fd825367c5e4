import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../support/app.ts';
import { createAgency, simulate } from '../support/fixtures.ts';
import { openPostgres, type Database } from '../../src/db/database.ts';
import { createDeliveryRuntime } from '../../src/domains/webhooks/delivery/runtime.ts';
import { createDeliveryWorker } from '../../src/domains/webhooks/delivery/worker.ts';
import { createDispatcher } from '../../src/domains/webhooks/delivery/dispatcher.ts';
import { claimDueDeliveries } from '../../src/domains/webhooks/delivery/queue-repository.ts';
import { renewLeases } from '../../src/domains/webhooks/delivery/lease-repository.ts';
import { addSubscription, attemptsOf, deliveriesOf, silentLogger } from './delivery-harness.ts';
import { startWebhookReceiver, type WebhookReceiver } from '../support/webhook-receiver.ts';

const LEASE_MS = 400;

/**
 * A lease is short but renewed while its attempt runs: an attempt that takes many lease lengths
 * is never taken over by another worker that is promoting expired leases all the while.
 */
describe('webhook workers: short leases, renewed while the attempt runs', () => {
  let t: TestApp;
  let receiver: WebhookReceiver;
  let secondDatabase: Database | undefined;

  beforeAll(async () => {
    t = await createTestApp({ env: { FARO_WEBHOOK_LEASE_MS: String(LEASE_MS), FARO_WEBHOOK_POLL_INTERVAL_MS: '100' } });
    receiver = await startWebhookReceiver();
  });
  afterAll(async () => {
    await secondDatabase?.close();
    await t?.close();
    await receiver?.close();
  });

  it('an attempt lasting 10 lease lengths is made once, with another worker watching for expired leases', { timeout: 60_000 }, async () => {
    const agency = await createAgency(t.app, { tier: 'scale' });
    const sub = await addSubscription(t, agency.id, { url: `${receiver.url}/slow`, events: ['review.created'] });
    const { event_id } = await simulate(t.app, agency.id, 'review.created');
    const deps = { clock: t.ctx.clock, config: t.ctx.config, logger: silentLogger };
    await createDispatcher({ ...deps, db: t.ctx.db, database: t.database }).runOnce();

    const url = (t.database as Database & { url?: string }).url;
    secondDatabase = url ? await openPostgres(url, 3) : undefined;
    const other = secondDatabase ?? t.database;
    const runtime = createDeliveryRuntime({ ...deps, db: other.db, config: t.ctx.config });
    receiver.answerWith(() => 'hang');
    const first = createDeliveryWorker({ ...deps, db: t.ctx.db, database: t.database, executor: t.ctx.services.deliveryEngine.executor, workerId: 'first' });
    const second = createDeliveryWorker({ ...deps, db: other.db, database: other, executor: runtime.executor, workerId: 'second' });
    try {
      await first.start();
      await receiver.waitForRequests(1, 20_000);
      await second.start();
      await new Promise((resolve) => setTimeout(resolve, 10 * LEASE_MS));
      const [held] = await deliveriesOf(t, sub.id);
      expect(held).toMatchObject({ status: 'delivering', locked_by: 'first', attempts: 1 });
      expect(held!.locked_until!.getTime()).toBeGreaterThan(Date.now() - LEASE_MS);

      receiver.release();
      await second.stop();
      await first.stop();
    } finally {
      await runtime.close();
    }

    expect(receiver.requests.map((request) => request.headers['webhook-id'])).toEqual([event_id]);
    const [delivery] = await deliveriesOf(t, sub.id);
    expect(delivery).toMatchObject({ status: 'succeeded', attempts: 1, locked_by: null });
    expect((await attemptsOf(t, delivery!.id)).map((a) => [a.attempt_number, a.error_kind, a.response_status])).toEqual([[1, null, 200]]);
  });

  // A second connection is needed to hold a row lock while renewing: Postgres only.
  it.runIf(process.env.TEST_DATABASE_URL)('renewal skips a row being released right now instead of waiting for it (no deadlock), and does not call it lost', async () => {
    const agency = await createAgency(t.app, { tier: 'scale' });
    await addSubscription(t, agency.id, { url: `${receiver.url}/renew`, events: ['review.created'] });
    await simulate(t.app, agency.id, 'review.created');
    await createDispatcher({ db: t.ctx.db, database: t.database, clock: t.ctx.clock, config: t.ctx.config, logger: silentLogger }).runOnce();
    const now = t.ctx.clock.now();
    const [claimed] = await claimDueDeliveries(t.ctx.db, {
      workerId: 'renewer', now, leaseUntil: new Date(now.getTime() + LEASE_MS), limit: 1,
      subscriptionAllowances: new Map(), agencyAllowances: new Map(), subscriptionDefault: 1, agencyDefault: 1,
    });
    const lease = { id: claimed!.id, workerId: 'renewer', attempts: claimed!.attempts };
    const other = await openPostgres((t.database as Database & { url: string }).url, 1);
    try {
      await other.db.transaction().execute(async (trx) => {
        await trx.selectFrom('webhook_deliveries').select('id').where('id', '=', lease.id).forUpdate().execute();
        const later = new Date(now.getTime() + 60_000);
        // Returns at once although the row is locked, renews nothing, reports nothing lost.
        expect(await renewLeases(t.ctx.db, [lease], later)).toEqual(new Set());
      });
      const row = await t.ctx.db.selectFrom('webhook_deliveries').select('locked_until').where('id', '=', lease.id).executeTakeFirstOrThrow();
      expect(row.locked_until!.getTime()).toBe(now.getTime() + LEASE_MS);
      // Unlocked, it is renewed; taken by someone else, it is reported lost.
      expect(await renewLeases(t.ctx.db, [lease], new Date(now.getTime() + 60_000))).toEqual(new Set());
      await t.ctx.db.updateTable('webhook_deliveries').set({ locked_by: 'someone-else' }).where('id', '=', lease.id).execute();
      expect(await renewLeases(t.ctx.db, [lease], new Date(now.getTime() + 60_000))).toEqual(new Set([lease.id]));
    } finally {
      await other.close();
    }
  });
});
