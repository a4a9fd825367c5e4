import type { Tier } from '../../db/types.ts';
import { agencyHourlyLimit } from '../agencies/entitlements.ts';
import { quotaAlertThreshold } from '../alerts/schemas.ts';
import { DEFAULT_LEASES, type LeaseOptions } from './coalescing-limiter.ts';

/** Public API quotas are per rolling hour. */
export const API_RATE_WINDOW_SECONDS = 3600;
const POLICY_NAME = 'hourly';

/** Each API key has its own counter; a portal session counts per user. */
export const limiterKeyForApiKey = (keyId: string) => `api:key:${keyId}`;
export const limiterKeyForUser = (userId: string) => `api:user:${userId}`;

/**
 * Well-formed keys that match nothing, allowed per client address per window. Each one costs a
 * database lookup (a mistyped key fails its checksum and costs nothing), and a real integration
 * never sends them in numbers, so past this the address is refused for the rest of the window.
 */
export const UNKNOWN_KEYS_PER_ADDRESS = 100;
export const UNKNOWN_KEY_WINDOW_SECONDS = 15 * 60;
export const limiterKeyForUnknownKeys = (address: string) => `api:unknown-keys:${address}`;

/**
 * Keys found in the database are also marked in the limiter's store (a count in a one-day
 * window, shared through Redis), so an instance that has not seen a key yet, one just started
 * for instance, still lets it past the guessing throttle.
 */
export const KNOWN_KEY_WINDOW_SECONDS = 24 * 3600;
export const limiterKeyForKnownKey = (keyHash: string) => `api:known-key:${keyHash}`;

/**
 * No lease may reach a key's quota-alert threshold: the request that crosses it is then always
 * checked on its own, so it sees the exact count and raises faro.rate_limit.approaching (a lease's
 * units left over and given back would otherwise skip the counts they held).
 */
export const API_KEY_LEASES: LeaseOptions = { ...DEFAULT_LEASES, keepFree: (limit) => limit - quotaAlertThreshold(limit) + 1 };

/**
 * The key's own limit, but never above what the agency is entitled to now: a key created while the
 * agency was on a bigger plan (or had a higher custom limit) shrinks with the agency.
 */
export function effectiveKeyLimit(keyLimit: number | null, agency: { tier: Tier; api_rate_limit: number | null }): number {
  const agencyLimit = agencyHourlyLimit(agency);
  return keyLimit === null ? agencyLimit : Math.min(keyLimit, agencyLimit);
}

/**
 * RateLimit / RateLimit-Policy (draft-ietf-httpapi-ratelimit-headers-10) plus the X-RateLimit-*
 * trio clients already know. `t` is the draft's "seconds until additional quota is made
 * available": until the oldest counted requests leave the window (one hour after them), or the
 * whole window when nothing is counted, so it is always 1..w and `r / t` is a pace a client can
 * keep (see secondsUntilMore). A 429's Retry-After is the same number. X-RateLimit-Reset is that
 * moment in Unix seconds, rounded up.
 */
export function rateLimitHeaders(state: { limit: number; remaining: number; resetSeconds: number }, nowMs: number): Record<string, string> {
  const limit = limitHeaders(state.limit);
  return {
    'RateLimit-Policy': limit.policy,
    RateLimit: `"${POLICY_NAME}";r=${state.remaining};t=${state.resetSeconds}`,
    'X-RateLimit-Limit': limit.text,
    'X-RateLimit-Remaining': String(state.remaining),
    'X-RateLimit-Reset': String(Math.ceil(nowMs / 1000) + state.resetSeconds),
  };
}

/** The two headers that depend on the limit alone, made once per limit (limits are few: plans and custom ones). */
const byLimit = new Map<number, { policy: string; text: string }>();
function limitHeaders(limit: number): { policy: string; text: string } {
  let headers = byLimit.get(limit);
  if (!headers) {
    headers = { policy: `"${POLICY_NAME}";q=${limit};w=${API_RATE_WINDOW_SECONDS}`, text: String(limit) };
    if (byLimit.size < 10_000) byLimit.set(limit, headers);
  }
  return headers;
}
