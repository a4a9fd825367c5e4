import { AsyncLocalStorage } from 'node:async_hooks';
import { systemClock, type Clock } from '../../lib/clock.ts';
import type { Lease, LeasingRateLimiter, RateLimitDecision, RateLimiter } from './rate-limiter.ts';

/**
 * How much of a key's quota an instance may hold ahead (see coalesceChecks). The bounds are what
 * a lease can cost a client: at most `shareOfLimit` of its quota per instance, held for at most
 * `holdMs`, and only while `keepFree(limit)` of it would stay free besides (past that, every
 * request is checked one by one, exactly).
 */
export interface LeaseOptions {
  holdMs: number;
  shareOfLimit: number;
  keepFree(limit: number): number;
  maxUnits: number;
}

export const DEFAULT_LEASES: LeaseOptions = { holdMs: 100, shareOfLimit: 0.01, keepFree: (limit) => Math.ceil(limit * 0.1), maxUnits: 1000 };

/** A key busy on this instance needs this many requests in one round trip before it leases. */
const MIN_LEASE = 2;

/**
 * Checks of the same key that arrive while one is on its way to Redis wait for it, then go
 * together as one check of as many units (RateLimiter.consume), which counts them exactly as that
 * many checks in a row would. A key busy on this instance then costs one round trip per batch
 * instead of one per request, and a quiet key is checked at once, as before.
 *
 * A key busy enough to batch also takes a lease with its next check: a few more units, counted in
 * Redis before they are used, that this instance hands out without a round trip for `holdMs`;
 * whatever is left then goes back. The quota is never exceeded (every unit is counted before the
 * request it admits, and counted for a whole window after the lease ends), and a client is refused
 * only once its window is full with every lease's units counted: at most `shareOfLimit` per
 * instance, taken only while `keepFree` stays free, and back within `holdMs`. A lease is
 * sized to what the key used of the last one, so a quiet key never leases.
 *
 * `traced`: a batch is checked in the async context of its first request, so its Redis span is a
 * child of that request's span (not of whichever request started checking the key).
 */
export function coalesceChecks(
  inner: RateLimiter | LeasingRateLimiter,
  options: { maxBatch?: number; traced?: boolean; leases?: LeaseOptions | false; clock?: Clock } = {},
): RateLimiter {
  const maxBatch = options.maxBatch ?? 256;
  const traced = options.traced ?? false;
  const clock = options.clock ?? systemClock;
  const leasing = options.leases !== false && 'consumeAndLease' in inner ? { limiter: inner, ...(options.leases || DEFAULT_LEASES) } : undefined;
  const queues = new Map<string, Queue>();

  interface Waiting {
    resolve(decision: RateLimitDecision): void;
    reject(error: unknown): void;
    /** Runs a function in the request's async context (only when traced). */
    inContext?: <R>(run: () => R) => R;
  }
  interface Held {
    lease: Lease;
    left: number;
    /** What the next request handed a unit is told remains. */
    nextRemaining: number;
    resetSeconds: number;
    limit: number;
    timer: NodeJS.Timeout;
  }
  interface Queue {
    key: string;
    limit: number;
    windowSeconds: number;
    waiting: Waiting[];
    checking: boolean;
    held: Held | null;
    /** Units to lease with the next check: 0 until the key is busy. */
    leaseSize: number;
  }

  function handOut(held: Held): RateLimitDecision {
    held.left -= 1;
    return { allowed: true, granted: 1, limit: held.limit, remaining: held.nextRemaining--, resetSeconds: held.resetSeconds, retryAfterSeconds: null };
  }

  const usable = (held: Held | null): held is Held => held !== null && held.left > 0 && clock.now().getTime() < held.lease.expiresAtMs;

  /** Ends the queue's lease; what is left of it goes back (a failure leaves it counted: never over the limit). */
  function endLease(queue: Queue, held: Held): Promise<void> {
    clearTimeout(held.timer);
    if (queue.held === held) queue.held = null;
    if (held.left === 0) return Promise.resolve();
    return leasing!.limiter.returnLease(queue.key, queue.windowSeconds, held.lease, held.left).catch(() => undefined);
  }

  function forget(queue: Queue): void {
    if (queues.get(queue.key) === queue) queues.delete(queue.key);
  }

  function leaseCap(queue: Queue, wanted: number): number {
    return Math.min(wanted, leasing!.maxUnits, Math.floor(queue.limit * leasing!.shareOfLimit));
  }

  function hold(queue: Queue, lease: Lease, decision: RateLimitDecision): void {
    const held: Held = {
      lease,
      left: lease.units,
      nextRemaining: decision.remaining + lease.units - 1,
      resetSeconds: decision.resetSeconds,
      limit: decision.limit,
      // Only an idle queue still holds its lease when it ends: a busy one ended it to check again.
      timer: setTimeout(() => {
        void endLease(queue, held);
        if (!queue.checking) forget(queue);
      }, Math.max(0, lease.expiresAtMs - clock.now().getTime())),
    };
    held.timer.unref();
    queue.held = held;
  }

  async function checkBatch(queue: Queue, size: number): Promise<{ decision: RateLimitDecision; lease: Lease | null }> {
    const units = leasing ? leaseCap(queue, queue.leaseSize) : 0;
    if (units < MIN_LEASE) return { decision: await inner.consume(queue.key, queue.limit, queue.windowSeconds, size), lease: null };
    return leasing!.limiter.consumeAndLease(queue.key, queue.limit, queue.windowSeconds, size, { units, holdMs: leasing!.holdMs, keepFree: leasing!.keepFree(queue.limit) });
  }

  async function check(queue: Queue): Promise<void> {
    queue.checking = true;
    while (queue.waiting.length > 0) {
      if (queue.held) {
        // Requests that waited for this check take the lease it brought first.
        while (queue.waiting.length > 0 && usable(queue.held)) queue.waiting.shift()!.resolve(handOut(queue.held));
        if (queue.waiting.length === 0) break;
        const { left, lease } = queue.held;
        void endLease(queue, queue.held);
        // Used up before its end, the key wants more; ended with units left, it wants what it used.
        queue.leaseSize = leaseCap(queue, left === 0 ? queue.leaseSize * 2 : lease.units - left);
      }
      const batch = queue.waiting.splice(0, maxBatch);
      try {
        const run = () => checkBatch(queue, batch.length);
        const { decision, lease } = await (batch[0]!.inContext ? batch[0]!.inContext(run) : run());
        const leased = lease?.units ?? 0;
        batch.forEach((waiting, position) => waiting.resolve(decisionFor(decision, position, leased)));
        if (lease) hold(queue, lease, decision);
        // Requests piled up behind one round trip: the key is busy enough to lease.
        else if (leasing && batch.length >= MIN_LEASE && queue.leaseSize === 0) queue.leaseSize = leaseCap(queue, batch.length * 4);
      } catch (error) {
        for (const waiting of batch) waiting.reject(error);
      }
    }
    queue.checking = false;
    // A queue lives while it checks or holds a lease, so an idle key leaves nothing behind.
    if (!queue.held) forget(queue);
  }

  return {
    consume(key, limit, windowSeconds, units = 1) {
      // A caller's own multi-unit check is not mixed into a batch.
      if (units !== 1) return inner.consume(key, limit, windowSeconds, units);
      let queue = queues.get(key);
      if (!queue) {
        queue = { key, limit, windowSeconds, waiting: [], checking: false, held: null, leaseSize: 0 };
        queues.set(key, queue);
      } else if (queue.limit !== limit || queue.windowSeconds !== windowSeconds) {
        // The key's limit changed while it was busy (a new plan): checked alone until that queue ends.
        return inner.consume(key, limit, windowSeconds);
      }
      if (!queue.checking && usable(queue.held)) return Promise.resolve(handOut(queue.held));
      const decided = new Promise<RateLimitDecision>((resolve, reject) =>
        queue.waiting.push(traced ? { resolve, reject, inContext: AsyncLocalStorage.snapshot() } : { resolve, reject }),
      );
      if (!queue.checking) void check(queue);
      return decided;
    },
    peek: (key, limit, windowSeconds) => inner.peek(key, limit, windowSeconds),
    backend: () => inner.backend(),
    async close() {
      await Promise.all([...queues.values()].map((queue) => (queue.held ? endLease(queue, queue.held) : undefined)));
      queues.clear();
      await inner.close();
    },
  };
}

/**
 * The decision the request at `position` of a batch would have had as a check of its own: the
 * batch's requests are counted in order, before any units leased with them, so the first
 * `granted` are admitted, each seeing what was left after it, and the rest are refused as the
 * batch's last check was.
 */
function decisionFor(batch: RateLimitDecision, position: number, leased: number): RateLimitDecision {
  if (position >= batch.granted) {
    return { ...batch, allowed: false, granted: 0, remaining: 0, retryAfterSeconds: batch.resetSeconds };
  }
  return { ...batch, allowed: true, granted: 1, remaining: batch.remaining + leased + batch.granted - 1 - position, retryAfterSeconds: null };
}
