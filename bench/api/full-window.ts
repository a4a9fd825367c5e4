// A key used for an hour: its limiter window holds a bucket for every minute of the last hour
// (61 buckets with the current one). Filled through the limiter's public API on a manual clock
// that only moves forward, so it fills whatever the limiter stores (bucket hash, running total).
import { createManualClock } from '../../src/lib/clock.ts';
import { createRedisRateLimiter } from '../../src/domains/api/redis-rate-limiter.ts';
import { BUCKETS_PER_WINDOW } from '../../src/domains/api/rate-limiter.ts';
import { API_RATE_WINDOW_SECONDS, limiterKeyForApiKey } from '../../src/domains/api/rate-limit-policy.ts';
import { AGENCY_RATE_LIMIT } from './seed.ts';

const BUCKET_MS = (API_RATE_WINDOW_SECONDS * 1000) / BUCKETS_PER_WINDOW;

/**
 * `requestsPerBucket` consumes in each of the 61 buckets from one window ago up to now, on the
 * limiter the server uses (same Redis, same key prefix). Returns the requests counted after.
 */
export async function fillWindow(options: { redisUrl: string; keyPrefix: string; keyId: string; requestsPerBucket?: number }): Promise<number> {
  const nowMs = Date.now();
  const current = Math.floor(nowMs / BUCKET_MS);
  const clock = createManualClock(new Date((current - BUCKETS_PER_WINDOW) * BUCKET_MS));
  const limiter = createRedisRateLimiter({ url: options.redisUrl, keyPrefix: options.keyPrefix, clock });
  const key = limiterKeyForApiKey(options.keyId);
  try {
    for (let bucket = current - BUCKETS_PER_WINDOW; bucket <= current; bucket++) {
      // Each bucket's requests come at its end, so none has left the window by the time the
      // round starts (a limiter may drop a bucket one window after its last request).
      clock.set(new Date(Math.min((bucket + 1) * BUCKET_MS - 1, nowMs)));
      for (let i = 0; i < (options.requestsPerBucket ?? 5); i++) {
        const decision = await limiter.consume(key, AGENCY_RATE_LIMIT, API_RATE_WINDOW_SECONDS);
        if (!decision.allowed) throw new Error('the bench key was refused while its window was being filled');
      }
    }
    if (limiter.backend() !== 'redis') throw new Error('the window was filled in memory, not in Redis');
    return (await limiter.peek(key, AGENCY_RATE_LIMIT, API_RATE_WINDOW_SECONDS)).used;
  } finally {
    await limiter.close();
  }
}
