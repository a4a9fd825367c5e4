/** Composition of the webhook management API, built once per process by src/services.ts. */
import type { Kysely } from 'kysely';
import type { Config } from '../../config.ts';
import type { DB } from '../../db/types.ts';
import type { Clock } from '../../lib/clock.ts';
import { secretBoxFromConfig } from './secret-box.ts';
import type { DeliveryExecutor } from './delivery/executor.ts';
import { createSubscriptionService } from './subscriptions-service.ts';
import { createDeliveryLogService } from './delivery-log-service.ts';
import { createDeliveryStatsService } from './delivery-stats-service.ts';

/** The management API's services; `executor` is the process's delivery executor (delivery/runtime.ts). */
export function createWebhookServices(deps: { db: Kysely<DB>; clock: Clock; config: Config; executor: Pick<DeliveryExecutor, 'attemptDelivery'> }) {
  const { db, clock, config, executor } = deps;
  const attemptDelivery = (deliveryId: string) => executor.attemptDelivery(deliveryId);
  return {
    webhooks: createSubscriptionService({ db, clock, config, secretBox: secretBoxFromConfig(config), attemptDelivery }),
    webhookDeliveries: createDeliveryLogService({ db, clock, retentionDays: config.retentionDays, attemptDelivery }),
    deliveryStats: createDeliveryStatsService({ db, clock }),
  };
}
