/**
 * The delivery worker: leases due deliveries and runs their attempts concurrently, at most
 * `maxInFlight` at once in this process and `maxInFlightPerSubscription` per subscription, so a
 * slow or dead endpoint holds a few slots and never the whole worker. Woken by NOTIFY on
 * DELIVERIES_CHANNEL (fan-out, redeliver), by a finished attempt (a free slot), by a timer set to
 * the next retry or lease expiry, and by the backstop poll. Any number of workers may share one
 * database: the lease (FOR UPDATE SKIP LOCKED) gives each attempt to one of them.
 */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { Kysely } from 'kysely';
import type { FastifyBaseLogger } from 'fastify';
import type { Config } from '../../../config.ts';
import type { Database } from '../../../db/database.ts';
import type { DB } from '../../../db/types.ts';
import type { Clock } from '../../../lib/clock.ts';
import { claimDueDeliveries, DELIVERIES_CHANNEL, nextWakeAt, promoteDueDeliveries, type ClaimedDelivery } from './queue-repository.ts';
import type { DeliveryExecutor } from './executor.ts';
import { createWakeableLoop } from '../../../jobs/wakeable-loop.ts';

const PROMOTE_EVERY_MS = 1_000;

export interface DeliveryWorkerDeps {
  db: Kysely<DB>;
  database: Pick<Database, 'listen'>;
  clock: Clock;
  config: Pick<Config, 'webhooks'>;
  executor: Pick<DeliveryExecutor, 'attemptClaimed' | 'leaseMs'>;
  logger: FastifyBaseLogger;
  /** Recorded as locked_by; unique per worker. */
  workerId?: string;
}

export function createDeliveryWorker(deps: DeliveryWorkerDeps) {
  const { db, clock, executor, logger } = deps;
  const { maxInFlight, maxInFlightPerSubscription, pollIntervalMs } = deps.config.webhooks;
  const workerId = deps.workerId ?? `${hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`;
  /** Every attempt until it is recorded. */
  const inFlight = new Map<string, Promise<void>>();
  /** Attempts whose request is over and that are being recorded: their endpoint is free again. */
  const finishing = new Set<string>();
  let lastPromotionMs = Number.NEGATIVE_INFINITY;

  function startAttempt(delivery: ClaimedDelivery): Promise<void> {
    const onSent = () => {
      finishing.add(delivery.id);
      loop.wake();
    };
    const attempt = executor
      .attemptClaimed(delivery, workerId, { onSent })
      .then(
        () => undefined,
        (error: unknown) => {
          // The lease stays; when it expires the delivery is attempted again.
          logger.error({ err: error, deliveryId: delivery.id }, 'webhook delivery attempt failed to complete');
        },
      )
      .finally(() => {
        inFlight.delete(delivery.id);
        finishing.delete(delivery.id);
        loop.wake();
      });
    inFlight.set(delivery.id, attempt);
    return attempt;
  }

  /**
   * Leases as many due deliveries as there are free slots and starts them. A slot is free once
   * its request is over; recording may lag behind, by at most another `maxInFlight` attempts.
   */
  async function claimAndStart(): Promise<{ started: Promise<void>[]; wanted: number }> {
    const sending = inFlight.size - finishing.size;
    const wanted = Math.min(maxInFlight - sending, 2 * maxInFlight - inFlight.size);
    if (wanted <= 0) return { started: [], wanted };
    const now = clock.now();
    const claimed = await claimDueDeliveries(db, {
      workerId,
      now,
      leaseUntil: new Date(now.getTime() + executor.leaseMs),
      limit: wanted,
      perSubscriptionCap: maxInFlightPerSubscription,
      finishing: [...finishing],
    });
    return { started: claimed.map(startAttempt), wanted };
  }

  /**
   * Makes due retries and expired leases claimable again. A busy worker does it at most once per
   * PROMOTE_EVERY_MS (a retry is seconds to hours away, so that much lateness is nothing); an
   * idle one whenever a pass finds nothing to claim.
   */
  async function promote(force: boolean): Promise<number> {
    const nowMs = clock.now().getTime();
    if (!force && nowMs >= lastPromotionMs && nowMs - lastPromotionMs < PROMOTE_EVERY_MS) return 0;
    lastPromotionMs = nowMs;
    return promoteDueDeliveries(db, clock.now());
  }

  /** Claims until the free slots are filled or nothing more is due. */
  async function claimWhileDue(): Promise<{ allSlotsBusy: boolean; startedAny: boolean }> {
    let startedAny = false;
    for (;;) {
      const { started, wanted } = await claimAndStart();
      startedAny ||= started.length > 0;
      if (wanted <= 0) return { allSlotsBusy: true, startedAny };
      if (started.length < wanted) return { allSlotsBusy: false, startedAny };
    }
  }

  /** A pass of the loop: fill the free slots, then say when the next retry or lease expiry is due. */
  async function fill(): Promise<Date | null> {
    await promote(false);
    let pass = await claimWhileDue();
    if (!pass.allSlotsBusy && !pass.startedAny && (await promote(true)) > 0) pass = await claimWhileDue();
    // Every slot busy, or attempts under way: they wake the loop as they finish. Only a pass that
    // found nothing needs a timer.
    if (pass.allSlotsBusy || pass.startedAny) return null;
    return nextWakeAt(db, clock.now());
  }

  const loop = createWakeableLoop({
    name: 'webhook delivery worker',
    logger,
    database: deps.database,
    channel: DELIVERIES_CHANNEL,
    pollIntervalMs,
    run: fill,
  });

  return {
    workerId,
    /** Listen, poll and deliver until stop(). */
    start: loop.start,
    /** Stops claiming; resolves once every attempt in flight is recorded. */
    async stop(): Promise<void> {
      await loop.stop();
      while (inFlight.size > 0) await Promise.all(inFlight.values());
    },
    /**
     * One claim (for tests on a controlled clock): leases what is due now, up to the free slots,
     * and resolves when those attempts are recorded. Returns how many it attempted.
     */
    async runOnce(): Promise<number> {
      await promote(true);
      const { started } = await claimAndStart();
      await Promise.all(started);
      return started.length;
    },
    /** Deliveries this worker is attempting right now. */
    inFlightCount: () => inFlight.size,
  };
}

export type DeliveryWorker = ReturnType<typeof createDeliveryWorker>;
