/**
 * Retry schedule of webhook deliveries (DESIGN.md "Retry schedule"): after the first attempt,
 * wait 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h, each with ±20 % jitter. Eight attempts in all.
 */
export const RETRY_DELAYS_SECONDS: readonly number[] = Object.freeze([5, 300, 1800, 7200, 18000, 36000, 36000]);

/** Total attempts of one delivery: the first plus one per retry delay. */
export const MAX_ATTEMPTS = RETRY_DELAYS_SECONDS.length + 1;

/** The longest step; an honoured `Retry-After` never asks for more than this. */
export const MAX_RETRY_DELAY_SECONDS = Math.max(...RETRY_DELAYS_SECONDS);

export interface NextAttemptOptions {
  /** Fraction of the step to spread retries by, both ways: 0.2 means ±20 %. In [0, 1). */
  jitter?: number;
  /** Source of randomness in [0, 1); tests pass a fixed one. */
  random?: () => number;
  /** The receiver's `Retry-After`, in seconds (see `parseRetryAfter`), or null/undefined. */
  retryAfterSeconds?: number | null;
}

/**
 * Milliseconds to wait before the next attempt, given how many attempts were made so far
 * (≥ 1), or null when none remain (after the 8th attempt: the delivery is `failed`).
 *
 * Without `Retry-After` the delay is the step × (1 ± jitter). With it, the delay is the larger
 * of that jittered step and `Retry-After` capped at the longest step (10 h): a receiver may ask
 * us to wait longer than the schedule, never shorter, and never beyond the schedule's range.
 */
export function nextAttemptDelayMs(attemptsMade: number, options: NextAttemptOptions = {}): number | null {
  const { jitter = 0.2, random = Math.random, retryAfterSeconds } = options;
  if (!Number.isInteger(attemptsMade) || attemptsMade < 1) {
    throw new RangeError(`attemptsMade must be an integer ≥ 1, got ${attemptsMade}`);
  }
  if (!(jitter >= 0 && jitter < 1)) throw new RangeError(`jitter must be in [0, 1), got ${jitter}`);

  const stepSeconds = RETRY_DELAYS_SECONDS[attemptsMade - 1];
  if (stepSeconds === undefined) return null;

  const spread = jitter * (2 * random() - 1); // in [-jitter, +jitter)
  const stepMs = stepSeconds * 1000 * (1 + spread);
  if (retryAfterSeconds == null || !Number.isFinite(retryAfterSeconds) || retryAfterSeconds <= 0) {
    return Math.round(stepMs);
  }
  const askedMs = Math.min(retryAfterSeconds, MAX_RETRY_DELAY_SECONDS) * 1000;
  return Math.round(Math.max(stepMs, askedMs));
}

/**
 * Parses a `Retry-After` header value (RFC 9110 §10.2.3): either delay-seconds (`120`) or an
 * HTTP-date (`Wed, 21 Oct 2015 07:28:00 GMT`), which becomes whole seconds from `nowMs`
 * (never negative). Anything else, including an empty or missing value, gives null.
 */
export function parseRetryAfter(value: string | null | undefined, nowMs: number): number | null {
  if (value == null) return null;
  const text = value.trim();
  if (/^\d+$/.test(text)) {
    const seconds = Number(text);
    return Number.isSafeInteger(seconds) ? seconds : null;
  }
  // HTTP-date always names a weekday and a GMT zone; this keeps Date.parse away from odd inputs.
  if (!/^[A-Za-z]{3,9}, .+ GMT$/.test(text)) return null;
  const at = Date.parse(text);
  if (Number.isNaN(at)) return null;
  return Math.max(0, Math.ceil((at - nowMs) / 1000));
}
