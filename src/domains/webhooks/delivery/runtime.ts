/**
 * The delivery engine: how an event committed in the outbox becomes signed POSTs to the
 * agencies' endpoints, retried until they succeed or run out of schedule.
 *
 * Glossary
 * - *event*: a row of the outbox (`events`, owned by src/domains/events), appended in the same
 *   transaction as the change it describes.
 * - *subscription*: an agency's endpoint URL, its signing secret and the event types it wants.
 * - *delivery*: one event bound for one subscription, the queue row (`webhook_deliveries`); its
 *   body is fixed at fan-out, so every attempt sends the same bytes with the same `webhook-id`.
 * - *attempt*: one signed HTTP POST of a delivery, recorded in `webhook_delivery_attempts`.
 * - *claim*: a worker taking due deliveries for itself (`FOR UPDATE SKIP LOCKED`), fairly: agencies
 *   take turns, then their subscriptions, each within its share of the worker's slots
 *   (slot-book.ts), so no endpoint and no agency can hold the whole worker. A worker claims a
 *   little ahead of its free slots; what it claimed waits in its *buffer* until a slot frees.
 * - *lease*: what a claim gives: `locked_by` and `locked_until`, short (5 s) and renewed while held
 *   (lease-keeper.ts). Only the holder records the attempt and ends the lease; a dead worker's
 *   leases expire, and the delivery is attempted again (at-least-once).
 * - *promote*: putting back within the claim's reach what time has made claimable: a retry whose
 *   time has come (`scheduled` → due) and an expired lease, whose cut-short attempt is recorded
 *   as `worker_lost` so the log has no gaps.
 *
 * The path of an event: the dispatcher (dispatcher.ts) fans it out into deliveries; the worker
 * (worker.ts) claims due ones, fairly (slot-book.ts), holds their leases (lease-keeper.ts) and
 * runs the executor (executor.ts), which signs (signer.ts) and sends (sender.ts, behind the SSRF
 * guard in ssrf.ts; one deadline covers the whole exchange); the attempt recorder
 * (attempt-recorder.ts) writes the attempt and the next state from the retry schedule
 * (retry-schedule.ts). Every SQL statement that changes a delivery is in queue-repository.ts.
 */
import type { Kysely } from 'kysely';
import type { FastifyBaseLogger } from 'fastify';
import type { Config } from '../../../config.ts';
import type { DB } from '../../../db/types.ts';
import type { Clock } from '../../../lib/clock.ts';
import { createDeliveryExecutor, type AttemptObserver, type DeliveryExecutor } from './executor.ts';
import { secretBoxFromConfig } from '../secret-box.ts';
import { createWebhookSender, type WebhookSender } from './sender.ts';

export interface DeliveryRuntime {
  /** The process's one sender: one keep-alive pool per receiver origin. */
  sender: WebhookSender;
  executor: DeliveryExecutor;
  close(): Promise<void>;
}

/** What sends webhooks in this process (test sends and the worker share it), built once by src/services.ts. */
export function createDeliveryRuntime(deps: {
  db: Kysely<DB>;
  clock: Clock;
  config: Pick<Config, 'secretKey' | 'previousSecretKeys' | 'webhooks' | 'tracing'>;
  logger: FastifyBaseLogger;
  /** The metrics' observer of attempts, when metrics are on. */
  onAttempt?: AttemptObserver | undefined;
}): DeliveryRuntime {
  const { webhooks } = deps.config;
  const sender = createWebhookSender({
    allowPrivate: webhooks.allowPrivate,
    timeoutMs: webhooks.timeoutMs,
    connectTimeoutMs: webhooks.connectTimeoutMs,
    clock: deps.clock,
  });
  const executor = createDeliveryExecutor({ ...deps, sender, secretBox: secretBoxFromConfig(deps.config), traced: deps.config.tracing });
  return {
    sender,
    executor,
    async close() {
      await executor.leases.close();
      await sender.close();
    },
  };
}
