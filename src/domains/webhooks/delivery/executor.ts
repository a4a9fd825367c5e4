/**
 * One attempt of one delivery: lease it, sign and POST it, record the attempt and decide what
 * comes next (succeeded, retry later, failed, or the subscription disabled). Used by the worker
 * for queued deliveries and directly by the test-send endpoint.
 */
import { randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { FastifyBaseLogger } from 'fastify';
import type { Config } from '../../../config.ts';
import type { DB } from '../../../db/types.ts';
import type { Clock } from '../../../lib/clock.ts';
import { buildWebhookHeaders } from './signer.ts';
import type { SecretBox } from '../secret-box.ts';
import type { SendErrorKind, SendOutcome, WebhookSender } from './sender.ts';
import { claimDeliveryById, releaseDeliveries, type ClaimedDelivery } from './queue-repository.ts';
import { createAttemptRecorder } from './attempt-recorder.ts';
import { createLeaseKeeper } from './lease-keeper.ts';
import { inAttemptSpan } from '../../../observability/webhook-spans.ts';

/** What one attempt did; the answer of a test send. */
export interface AttemptOutcome {
  delivery_id: string;
  success: boolean;
  status_code: number | null;
  duration_ms: number;
  response_body_excerpt: string | null;
  error_kind: SendErrorKind | null;
  error_message: string | null;
}

/** Told of every attempt whose exchange is over (the metrics count them); must not throw. */
export type AttemptObserver = (attempt: { delivery: ClaimedDelivery; outcome: SendOutcome; finishedAt: Date }) => void;

export class DeliveryNotClaimableError extends Error {
  override name = 'DeliveryNotClaimableError';
}

export interface DeliveryExecutorDeps {
  db: Kysely<DB>;
  clock: Clock;
  config: Pick<Config, 'webhooks'>;
  sender: WebhookSender;
  secretBox: SecretBox;
  logger: FastifyBaseLogger;
  /** How long a lease lasts unless renewed (lease-keeper.ts renews it while it is held). Default: config. */
  leaseMs?: number;
  /** Randomness of the retry jitter (tests pass a fixed one). */
  random?: () => number;
  onAttempt?: AttemptObserver | undefined;
  /** A span per attempt (config.tracing). */
  traced?: boolean;
}

export function createDeliveryExecutor(deps: DeliveryExecutorDeps) {
  const { db, clock, config, sender, secretBox, logger } = deps;
  const leaseMs = deps.leaseMs ?? config.webhooks.leaseMs;
  const leases = createLeaseKeeper({ db, clock, leaseMs, logger });
  const recorder = createAttemptRecorder({ db, config, logger, ...(deps.random ? { random: deps.random } : {}) });
  const defaultWorkerId = `exec_${randomBytes(6).toString('hex')}`;

  // Opening a sealed secret (AES-GCM) on every attempt costs more than signing; keep a few open.
  const opened = new Map<string, string>();
  function open(sealed: string): string {
    let plain = opened.get(sealed);
    if (plain === undefined) {
      plain = secretBox.open(sealed);
      if (opened.size >= 1000) opened.clear();
      opened.set(sealed, plain);
    }
    return plain;
  }

  function signingSecrets(delivery: ClaimedDelivery, now: Date): string[] {
    const secrets = [open(delivery.secret_sealed)];
    const expires = delivery.previous_secret_expires_at;
    if (delivery.previous_secret_sealed && expires && new Date(expires).getTime() > now.getTime()) {
      secrets.push(open(delivery.previous_secret_sealed));
    }
    return secrets;
  }

  async function cancel(delivery: ClaimedDelivery, workerId: string, now: Date): Promise<AttemptOutcome> {
    const reason = delivery.subscription_deleted_at ? 'subscription deleted' : 'subscription disabled';
    leases.releasing(delivery.id);
    await releaseDeliveries(db, [{
      id: delivery.id, workerId, attempts: delivery.attempts, now, uncount: true,
      result: { status: 'cancelled', nextAttemptAt: null, lastStatusCode: null, lastError: `cancelled: ${reason}`, deliveredAt: null },
    }]);
    return {
      delivery_id: delivery.id, success: false, status_code: null, duration_ms: 0,
      response_body_excerpt: null, error_kind: null, error_message: `Not sent: the ${reason}.`,
    };
  }

  /**
   * Sends a delivery this worker holds the lease of, and records the attempt. `onSent` is called
   * when the HTTP exchange is over, before the attempt is recorded.
   */
  async function attemptClaimed(delivery: ClaimedDelivery, workerId: string, hooks: { onSent?: () => void } = {}): Promise<AttemptOutcome> {
    leases.hold({ id: delivery.id, workerId, attempts: delivery.attempts });
    try {
      if (deps.traced) return await inAttemptSpan(delivery, () => attemptHeld(delivery, workerId, hooks));
      return await attemptHeld(delivery, workerId, hooks);
    } finally {
      leases.drop(delivery.id);
    }
  }

  async function attemptHeld(delivery: ClaimedDelivery, workerId: string, hooks: { onSent?: () => void }): Promise<AttemptOutcome> {
    const startedAt = clock.now();
    const inactive = delivery.subscription_deleted_at !== null || (!delivery.subscription_enabled && !delivery.is_test);
    if (inactive) return cancel(delivery, workerId, startedAt);

    let headers: Record<string, string>;
    try {
      headers = {
        ...buildWebhookHeaders({
          // Test sends have no outbox event; their sample body carries its own evt_ id.
          id: delivery.event_id ?? payloadId(delivery.payload) ?? delivery.id,
          timestamp: Math.floor(startedAt.getTime() / 1000),
          body: delivery.payload,
          secrets: signingSecrets(delivery, startedAt),
        }),
      };
    } catch (error) {
      // An unopenable secret (FARO_SECRET_KEY changed) is an operator problem. A real delivery is
      // retried when its lease expires; a test send is never picked up again, so end it now.
      logger.error({ err: error, deliveryId: delivery.id }, 'webhook delivery could not be signed');
      if (delivery.is_test) {
        leases.releasing(delivery.id);
        await releaseDeliveries(db, [{
          id: delivery.id, workerId, attempts: delivery.attempts, now: startedAt, uncount: true,
          result: { status: 'failed', nextAttemptAt: null, lastStatusCode: null, lastError: 'not sent: the signing secret could not be decrypted', deliveredAt: null },
        }]);
      }
      throw error;
    }
    const outcome = await sender.send({ url: delivery.url, headers, body: delivery.payload });
    leases.releasing(delivery.id);
    hooks.onSent?.();
    const finishedAt = clock.now();
    deps.onAttempt?.({ delivery, outcome, finishedAt });
    await recorder.record({ delivery, workerId, startedAt, finishedAt, requestHeaders: headers, outcome });
    return {
      delivery_id: delivery.id,
      success: outcome.ok,
      status_code: outcome.statusCode,
      duration_ms: outcome.durationMs,
      response_body_excerpt: outcome.responseBodyExcerpt,
      error_kind: outcome.errorKind,
      error_message: outcome.errorMessage,
    };
  }

  return {
    leaseMs,
    /** The leases this process holds, kept alive while held. */
    leases,
    attemptClaimed,

    /**
     * Makes one attempt of a delivery now, whatever its due time: a pending one (or one whose
     * lease expired) is leased first; one this worker already leased is sent as it is. Throws
     * DeliveryNotClaimableError when it is finished or leased by another worker.
     */
    async attemptDelivery(deliveryId: string, options: { workerId?: string } = {}): Promise<AttemptOutcome> {
      const workerId = options.workerId ?? defaultWorkerId;
      const now = clock.now();
      const delivery = await claimDeliveryById(db, { id: deliveryId, workerId, now, leaseUntil: leases.leaseUntil(now) });
      if (!delivery) throw new DeliveryNotClaimableError(`delivery ${deliveryId} is not pending (or is leased by another worker)`);
      return attemptClaimed(delivery, workerId);
    },
  };
}

export type DeliveryExecutor = ReturnType<typeof createDeliveryExecutor>;

/** The `id` of a stored JSON body (the envelope always starts with it). */
function payloadId(payload: string): string | null {
  try {
    const id = (JSON.parse(payload) as { id?: unknown }).id;
    return typeof id === 'string' ? id : null;
  } catch {
    return null;
  }
}
