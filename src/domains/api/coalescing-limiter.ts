import { AsyncLocalStorage } from 'node:async_hooks';
import type { RateLimitDecision, RateLimiter } from './rate-limiter.ts';

/**
 * Checks of the same key that arrive while one is on its way to Redis wait for it, then go
 * together as one check of as many units (RateLimiter.consume), which counts them exactly as that
 * many checks in a row would. A key busy on this instance then costs one round trip per batch
 * instead of one per request, and a quiet key is checked at once, as before. Nothing is reserved
 * ahead of a request, so nothing can be stranded: the never-over-quota guarantee and the counts
 * are the same as without it.
 *
 * `traced`: a batch is checked in the async context of its first request, so its Redis span is a
 * child of that request's span (not of whichever request started checking the key).
 */
export function coalesceChecks(inner: RateLimiter, options: { maxBatch?: number; traced?: boolean } = {}): RateLimiter {
  const maxBatch = options.maxBatch ?? 256;
  const traced = options.traced ?? false;
  const queues = new Map<string, Queue>();

  interface Waiting {
    resolve(decision: RateLimitDecision): void;
    reject(error: unknown): void;
    /** Runs a function in the request's async context (only when traced). */
    inContext?: <R>(run: () => R) => R;
  }
  interface Queue {
    key: string;
    limit: number;
    windowSeconds: number;
    waiting: Waiting[];
    checking: boolean;
  }

  async function check(queueId: string, queue: Queue): Promise<void> {
    queue.checking = true;
    while (queue.waiting.length > 0) {
      const batch = queue.waiting.splice(0, maxBatch);
      try {
        const checkBatch = () => inner.consume(queue.key, queue.limit, queue.windowSeconds, batch.length);
        const decision = await (batch[0]!.inContext ? batch[0]!.inContext(checkBatch) : checkBatch());
        batch.forEach((waiting, position) => waiting.resolve(decisionFor(decision, position)));
      } catch (error) {
        for (const waiting of batch) waiting.reject(error);
      }
    }
    queues.delete(queueId);
  }

  return {
    consume(key, limit, windowSeconds, units = 1) {
      // A caller's own multi-unit check is not mixed into a batch.
      if (units !== 1) return inner.consume(key, limit, windowSeconds, units);
      const queueId = `${limit}:${windowSeconds}:${key}`;
      let queue = queues.get(queueId);
      if (!queue) {
        queue = { key, limit, windowSeconds, waiting: [], checking: false };
        queues.set(queueId, queue);
      }
      const decided = new Promise<RateLimitDecision>((resolve, reject) =>
        queue.waiting.push(traced ? { resolve, reject, inContext: AsyncLocalStorage.snapshot() } : { resolve, reject }),
      );
      if (!queue.checking) void check(queueId, queue);
      return decided;
    },
    peek: (key, limit, windowSeconds) => inner.peek(key, limit, windowSeconds),
    backend: () => inner.backend(),
    close: () => inner.close(),
  };
}

/**
 * The decision the request at `position` of a batch would have had as a check of its own: the
 * batch's requests are counted in order, so the first `granted` are admitted, each seeing what
 * was left after it, and the rest are refused as the batch's last check was.
 */
function decisionFor(batch: RateLimitDecision, position: number): RateLimitDecision {
  if (position >= batch.granted) {
    return { ...batch, allowed: false, granted: 0, remaining: 0, retryAfterSeconds: batch.resetSeconds };
  }
  return { ...batch, allowed: true, granted: 1, remaining: batch.remaining + batch.granted - 1 - position, retryAfterSeconds: null };
}
