/** Composition of the webhook management API, built once per process by src/services.ts. */
import type { Kysely } from 'kysely';
import type { Config } from '../../config.ts';
import type { DB } from '../../db/types.ts';
import type { Clock } from '../../lib/clock.ts';
import { createSecretBox, type SecretBox } from './secret-box.ts';
import type { DeliveryExecutor } from './delivery-executor.ts';
import { createSubscriptionService } from './subscriptions-service.ts';
import { createDeliveryLogService } from './delivery-log-service.ts';
import { createEventsService } from './events-service.ts';

/**
 * The box that seals webhook secrets with FARO_SECRET_KEY. Opened on first use, so a process
 * that never touches a secret does not need the key.
 */
export function secretBoxFromConfig(config: Pick<Config, 'secretKey'>): SecretBox {
  let box: SecretBox | undefined;
  const get = (): SecretBox => {
    if (!config.secretKey) throw new Error('FARO_SECRET_KEY is not configured; webhook secrets cannot be sealed or opened');
    box ??= createSecretBox(Buffer.from(config.secretKey, 'base64'));
    return box;
  };
  return { seal: (plain) => get().seal(plain), open: (sealed) => get().open(sealed) };
}

/** The management API's services; `executor` is the process's delivery executor (delivery-runtime.ts). */
export function createWebhookServices(deps: { db: Kysely<DB>; clock: Clock; config: Config; executor: Pick<DeliveryExecutor, 'attemptDelivery'> }) {
  const { db, clock, config, executor } = deps;
  const attemptDelivery = (deliveryId: string) => executor.attemptDelivery(deliveryId);
  return {
    webhooks: createSubscriptionService({ db, clock, config, secretBox: secretBoxFromConfig(config), attemptDelivery }),
    webhookDeliveries: createDeliveryLogService({ db, clock, retentionDays: config.retentionDays, attemptDelivery }),
    webhookEvents: createEventsService({ db, clock, retentionDays: config.retentionDays }),
  };
}
