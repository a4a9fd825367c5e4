// Shared setup of the delivery and worker tests: subscriptions written straight into the table
// (so these tests do not depend on the management API), and the dispatcher and a worker driven
// by hand. The receiver they deliver to is test/support/webhook-receiver.ts.
import { pino } from 'pino';
import type { FastifyBaseLogger } from 'fastify';
import { createTestApp, type TestApp, type TestAppOptions } from '../support/app.ts';
import { createAgency, type TestAgency } from '../support/fixtures.ts';
import { createManualClock } from '../../src/lib/clock.ts';
import { newId } from '../../src/lib/ids.ts';
import { createSecretBox, generateWebhookSecret } from '../../src/domains/webhooks/secret-box.ts';
import { createDispatcher } from '../../src/domains/webhooks/delivery/dispatcher.ts';
import { createDeliveryWorker } from '../../src/domains/webhooks/delivery/worker.ts';
import type { Tier } from '../../src/db/types.ts';

export const silentLogger = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' }) as FastifyBaseLogger;

export interface SubscriptionOptions {
  url: string;
  events?: string[];
  enabled?: boolean;
  deleted?: boolean;
  previousSecret?: { secret: string; expiresAt: Date };
}

/** A subscription row as the management API would write it; answers its id and clear secret. */
export async function addSubscription(t: TestApp, agencyId: string, options: SubscriptionOptions): Promise<{ id: string; secret: string }> {
  const box = createSecretBox(Buffer.from(t.ctx.config.secretKey!, 'base64'));
  const secret = generateWebhookSecret();
  const now = t.ctx.clock.now();
  const id = newId('whsub', now);
  await t.ctx.db
    .insertInto('webhook_subscriptions')
    .values({
      id,
      agency_id: agencyId,
      url: options.url,
      events: JSON.stringify(options.events ?? ['*']),
      secret_sealed: box.seal(secret),
      previous_secret_sealed: options.previousSecret ? box.seal(options.previousSecret.secret) : null,
      previous_secret_expires_at: options.previousSecret?.expiresAt ?? null,
      enabled: options.enabled ?? true,
      deleted_at: options.deleted ? now : null,
      created_at: now,
      updated_at: now,
    })
    .execute();
  return { id, secret };
}

export interface DeliverySetup {
  t: TestApp;
  clock: ReturnType<typeof createManualClock>;
  agency: TestAgency;
  dispatcher: ReturnType<typeof createDispatcher>;
  worker: ReturnType<typeof createDeliveryWorker>;
  /** Fan out what is in the outbox, then run one claim of the worker. */
  deliverDue(): Promise<number>;
}

/** An app on a manual clock with no background loops, one agency, a dispatcher and a worker. */
export async function deliverySetup(options: { tier?: Tier; env?: Record<string, string>; appOptions?: TestAppOptions } = {}): Promise<DeliverySetup> {
  const clock = createManualClock(new Date('2026-03-02T09:00:00.000Z'));
  const t = await createTestApp({ clock, worker: false, ...(options.env ? { env: options.env } : {}), ...options.appOptions });
  const agency = await createAgency(t.app, { tier: options.tier ?? 'scale' });
  const deps = { db: t.ctx.db, database: t.database, clock, config: t.ctx.config, logger: silentLogger };
  const dispatcher = createDispatcher(deps);
  const worker = createDeliveryWorker({ ...deps, executor: t.ctx.services.deliveryEngine.executor, workerId: 'test-worker' });
  return {
    t,
    clock,
    agency,
    dispatcher,
    worker,
    async deliverDue() {
      await dispatcher.runOnce();
      return worker.runOnce();
    },
  };
}

export function deliveriesOf(t: TestApp, subscriptionId: string) {
  return t.ctx.db.selectFrom('webhook_deliveries').selectAll().where('subscription_id', '=', subscriptionId).orderBy('id').execute();
}

export function attemptsOf(t: TestApp, deliveryId: string) {
  return t.ctx.db.selectFrom('webhook_delivery_attempts').selectAll().where('delivery_id', '=', deliveryId).orderBy('attempt_number').execute();
}

export function subscriptionOf(t: TestApp, id: string) {
  return t.ctx.db.selectFrom('webhook_subscriptions').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
}
