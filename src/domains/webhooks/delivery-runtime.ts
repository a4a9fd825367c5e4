import type { Kysely } from 'kysely';
import type { FastifyBaseLogger } from 'fastify';
import type { Config } from '../../config.ts';
import type { DB } from '../../db/types.ts';
import type { Clock } from '../../lib/clock.ts';
import { createDeliveryExecutor, type DeliveryExecutor } from './delivery-executor.ts';
import { secretBoxFromConfig } from './secret-box.ts';
import { createWebhookSender, type WebhookSender } from './sender.ts';

export interface DeliveryRuntime {
  /** The process's one sender: one keep-alive pool per receiver origin. */
  sender: WebhookSender;
  executor: DeliveryExecutor;
  close(): Promise<void>;
}

/** What sends webhooks in this process, built once by the composition root (src/services.ts). */
export function createDeliveryRuntime(deps: {
  db: Kysely<DB>;
  clock: Clock;
  config: Pick<Config, 'secretKey' | 'previousSecretKeys' | 'webhooks'>;
  logger: FastifyBaseLogger;
}): DeliveryRuntime {
  const { webhooks } = deps.config;
  const sender = createWebhookSender({
    allowPrivate: webhooks.allowPrivate,
    timeoutMs: webhooks.timeoutMs,
    connectTimeoutMs: webhooks.connectTimeoutMs,
  });
  const executor = createDeliveryExecutor({ ...deps, sender, secretBox: secretBoxFromConfig(deps.config) });
  return { sender, executor, close: () => sender.close() };
}
