import type { Kysely } from 'kysely';
import type { FastifyBaseLogger } from 'fastify';
import type { Config } from '../../config.ts';
import type { DB } from '../../db/types.ts';
import type { Clock } from '../../lib/clock.ts';
import { createDeliveryExecutor, type DeliveryExecutor } from './delivery-executor.ts';
import { createSecretBox, type SecretBox } from './secret-box.ts';
import { createWebhookSender, type WebhookSender } from './sender.ts';

export interface DeliveryRuntime {
  /** The process's one sender: one keep-alive pool per receiver origin. */
  sender: WebhookSender;
  executor: DeliveryExecutor;
  close(): Promise<void>;
}

/** Opens the secret box lazily, so a process without FARO_SECRET_KEY fails only when it signs. */
function lazySecretBox(secretKey: string | undefined): SecretBox {
  let box: SecretBox | undefined;
  const get = (): SecretBox => {
    if (!secretKey) throw new Error('FARO_SECRET_KEY is not configured; webhook secrets cannot be opened');
    box ??= createSecretBox(Buffer.from(secretKey, 'base64'));
    return box;
  };
  return { seal: (plain) => get().seal(plain), open: (sealed) => get().open(sealed) };
}

/** What sends webhooks in this process, built once by the composition root (src/services.ts). */
export function createDeliveryRuntime(deps: {
  db: Kysely<DB>;
  clock: Clock;
  config: Pick<Config, 'secretKey' | 'webhooks'>;
  logger: FastifyBaseLogger;
}): DeliveryRuntime {
  const { webhooks } = deps.config;
  const sender = createWebhookSender({
    allowPrivate: webhooks.allowPrivate,
    timeoutMs: webhooks.timeoutMs,
    connectTimeoutMs: webhooks.connectTimeoutMs,
  });
  const executor = createDeliveryExecutor({ ...deps, sender, secretBox: lazySecretBox(deps.config.secretKey) });
  return { sender, executor, close: () => sender.close() };
}
