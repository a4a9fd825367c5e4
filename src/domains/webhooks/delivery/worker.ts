/**
 * The delivery worker: leases due deliveries and runs their attempts concurrently, fairly across
 * agencies and subscriptions (slot-book.ts says how), so a slow or dead endpoint holds a few
 * slots and never the whole worker, and no agency can crowd out another. It claims a little
 * ahead, so a freed slot is refilled from memory while the next claim runs. Woken by NOTIFY on
 * DELIVERIES_CHANNEL (fan-out, redeliver), by a finished attempt (a free slot), by a timer set to
 * the next retry or lease expiry, and by the backstop poll. Any number of workers may share one
 * database: the lease (FOR UPDATE SKIP LOCKED, renewed while held) gives each attempt to one of them.
 */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { Kysely } from 'kysely';
import type { FastifyBaseLogger } from 'fastify';
import type { Config } from '../../../config.ts';
import type { Database } from '../../../db/database.ts';
import type { DB } from '../../../db/types.ts';
import type { Clock } from '../../../lib/clock.ts';
import { claimDueDeliveries, DELIVERIES_CHANNEL, handBackLeases, nextWakeAt, promoteDueDeliveries, type ClaimedDelivery } from './queue-repository.ts';
import type { DeliveryExecutor } from './executor.ts';
import { createSlotBook, type ClaimAllowance } from './slot-book.ts';
import { createWakeableLoop } from '../../../jobs/wakeable-loop.ts';

const PROMOTE_EVERY_MS = 1_000;

export interface DeliveryWorkerDeps {
  db: Kysely<DB>;
  database: Pick<Database, 'listen'>;
  clock: Clock;
  config: Pick<Config, 'webhooks'>;
  executor: Pick<DeliveryExecutor, 'attemptClaimed' | 'leaseMs' | 'leases'>;
  logger: FastifyBaseLogger;
  /** Recorded as locked_by; unique per worker. */
  workerId?: string;
}

export function createDeliveryWorker(deps: DeliveryWorkerDeps) {
  const { db, clock, executor, logger } = deps;
  const { leases } = executor;
  const { maxInFlight, maxInFlightPerSubscription, pollIntervalMs } = deps.config.webhooks;
  const workerId = deps.workerId ?? `${hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`;
  const book = createSlotBook({ maxInFlight, perSubscription: maxInFlightPerSubscription });
  /** Every attempt until it is recorded. */
  const inFlight = new Map<string, Promise<void>>();
  let lastPromotionMs = Number.NEGATIVE_INFINITY;
  let stopping = false;

  // A buffered delivery whose lease was taken back (this process stalled) is another worker's now.
  const stopWatchingLeases = leases.onLost((lost) => {
    book.dropBuffered(lost);
  });

  function startAttempt(delivery: ClaimedDelivery): Promise<void> {
    let slotFreed = false;
    const freeSlot = () => {
      if (slotFreed) return;
      slotFreed = true;
      book.finished(delivery);
      startFromBuffer();
      loop.wake();
    };
    const attempt = executor
      .attemptClaimed(delivery, workerId, { onSent: freeSlot })
      .then(
        () => undefined,
        (error: unknown) => {
          // The lease is left to expire; the delivery is then attempted again.
          logger.error({ err: error, deliveryId: delivery.id }, 'webhook delivery attempt failed to complete');
        },
      )
      .finally(() => {
        inFlight.delete(delivery.id);
        freeSlot();
      });
    inFlight.set(delivery.id, attempt);
    return attempt;
  }

  /**
   * Starts buffered deliveries while slots are free. Recording may lag behind the requests by at
   * most another `maxInFlight` attempts.
   */
  function startFromBuffer(): Promise<void>[] {
    const started: Promise<void>[] = [];
    while (!stopping && inFlight.size < 2 * maxInFlight) {
      const next = book.next();
      if (!next) break;
      started.push(startAttempt(next));
    }
    return started;
  }

  /** Leases what the allowance permits and puts it in the buffer; returns how many. */
  async function claim(allowance: ClaimAllowance): Promise<number> {
    if (allowance.limit <= 0) return 0;
    const now = clock.now();
    const claimed = await claimDueDeliveries(db, { workerId, now, leaseUntil: leases.leaseUntil(now), ...allowance });
    for (const delivery of claimed) leases.hold({ id: delivery.id, workerId, attempts: delivery.attempts });
    book.add(claimed);
    return claimed.length;
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
    return promoteDueDeliveries(db, clock.now(), executor.leaseMs);
  }

  /** Claims until the allowance is used up or nothing more is due. */
  async function claimWhileDue(): Promise<{ full: boolean; claimedAny: boolean }> {
    let claimedAny = false;
    while (!stopping) {
      const allowance = book.allowance();
      if (allowance.limit <= 0) return { full: true, claimedAny };
      const claimed = await claim(allowance);
      startFromBuffer();
      claimedAny ||= claimed > 0;
      if (claimed < allowance.limit) return { full: false, claimedAny };
    }
    return { full: true, claimedAny };
  }

  /** A pass of the loop: fill the slots and the buffer, then say when the next retry or lease expiry is due. */
  async function fill(): Promise<Date | null> {
    await promote(false);
    let pass = await claimWhileDue();
    if (!pass.full && !pass.claimedAny && (await promote(true)) > 0) pass = await claimWhileDue();
    // Attempts under way wake the loop as they finish. Only a pass that found nothing needs a timer.
    if (pass.full || pass.claimedAny) return null;
    return nextWakeAt(db, clock.now());
  }

  /** Puts buffered deliveries back in the queue, untouched. */
  async function returnBuffered(): Promise<void> {
    const buffered = book.dropBuffered(new Set(book.bufferedDeliveries().map((delivery) => delivery.id)));
    if (buffered.length === 0) return;
    await handBackLeases(db, buffered.map((delivery) => ({ id: delivery.id, workerId, attempts: delivery.attempts })), clock.now());
    for (const delivery of buffered) leases.drop(delivery.id);
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
    /** Stops claiming, hands back what it claimed ahead, and resolves once every attempt in flight is recorded. */
    async stop(): Promise<void> {
      stopping = true;
      await loop.stop();
      await returnBuffered().catch((error: unknown) => logger.warn({ err: error }, 'could not hand back claimed deliveries; their leases will expire'));
      while (inFlight.size > 0) await Promise.all(inFlight.values());
      stopWatchingLeases();
    },
    /**
     * One claim (for tests on a controlled clock): leases what is due now, up to the free slots
     * (nothing ahead), and resolves when those attempts are recorded. Returns how many it attempted.
     */
    async runOnce(): Promise<number> {
      await promote(true);
      await claim(book.allowance({ ahead: false }));
      const started = startFromBuffer();
      await Promise.all(started);
      return started.length;
    },
    /** Deliveries this worker is attempting right now. */
    inFlightCount: () => inFlight.size,
  };
}

export type DeliveryWorker = ReturnType<typeof createDeliveryWorker>;
