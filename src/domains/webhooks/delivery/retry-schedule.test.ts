import { describe, expect, it } from 'vitest';
import {
  MAX_ATTEMPTS,
  MAX_RETRY_DELAY_SECONDS,
  RETRY_DELAYS_SECONDS,
  nextAttemptDelayMs,
  parseRetryAfter,
} from './retry-schedule.ts';

const middle = () => 0.5; // no jitter
const lowest = () => 0; // -20 %
const highest = () => 0.999999; // just under +20 %

describe('RETRY_DELAYS_SECONDS', () => {
  it('is the schedule of DESIGN.md: 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h', () => {
    expect(RETRY_DELAYS_SECONDS).toEqual([5, 300, 1800, 7200, 18000, 36000, 36000]);
    expect(MAX_ATTEMPTS).toBe(8);
    expect(MAX_RETRY_DELAY_SECONDS).toBe(36000);
    expect(Object.isFrozen(RETRY_DELAYS_SECONDS)).toBe(true);
  });
});

describe('nextAttemptDelayMs', () => {
  it('follows the schedule step by step with no jitter, then stops after the 8th attempt', () => {
    const delays = [1, 2, 3, 4, 5, 6, 7].map((n) => nextAttemptDelayMs(n, { random: middle }));
    expect(delays).toEqual([5_000, 300_000, 1_800_000, 7_200_000, 18_000_000, 36_000_000, 36_000_000]);
    expect(nextAttemptDelayMs(8, { random: middle })).toBeNull();
    expect(nextAttemptDelayMs(9, { random: middle })).toBeNull();
  });

  it('spreads ±20 % around the step by default', () => {
    expect(nextAttemptDelayMs(2, { random: lowest })).toBe(240_000);
    expect(nextAttemptDelayMs(2, { random: highest })).toBeCloseTo(360_000, -1);
    for (let i = 0; i < 200; i++) {
      const ms = nextAttemptDelayMs(1)!;
      expect(ms).toBeGreaterThanOrEqual(4_000);
      expect(ms).toBeLessThanOrEqual(6_000);
    }
  });

  it('takes a configurable jitter, including none', () => {
    expect(nextAttemptDelayMs(3, { jitter: 0.5, random: lowest })).toBe(900_000);
    expect(nextAttemptDelayMs(3, { jitter: 0, random: lowest })).toBe(1_800_000);
  });

  it('honours a Retry-After longer than the step', () => {
    expect(nextAttemptDelayMs(1, { random: middle, retryAfterSeconds: 120 })).toBe(120_000);
  });

  it('never retries sooner than the step when Retry-After asks for less', () => {
    expect(nextAttemptDelayMs(2, { random: middle, retryAfterSeconds: 1 })).toBe(300_000);
    expect(nextAttemptDelayMs(2, { random: lowest, retryAfterSeconds: 0 })).toBe(240_000);
  });

  it('caps Retry-After at the longest step (10 h)', () => {
    expect(nextAttemptDelayMs(1, { random: middle, retryAfterSeconds: 7 * 86_400 })).toBe(36_000_000);
  });

  it('ignores Retry-After once no attempts remain', () => {
    expect(nextAttemptDelayMs(8, { retryAfterSeconds: 60 })).toBeNull();
  });

  it('ignores a Retry-After that is not a finite positive number', () => {
    expect(nextAttemptDelayMs(1, { random: middle, retryAfterSeconds: Number.NaN })).toBe(5_000);
    expect(nextAttemptDelayMs(1, { random: middle, retryAfterSeconds: null })).toBe(5_000);
  });

  it.each([0, -1, 1.5, Number.NaN])('rejects attemptsMade = %s', (n) => {
    expect(() => nextAttemptDelayMs(n)).toThrow(RangeError);
  });

  it.each([-0.1, 1, Number.NaN])('rejects jitter = %s', (jitter) => {
    expect(() => nextAttemptDelayMs(1, { jitter })).toThrow(RangeError);
  });
});

describe('parseRetryAfter', () => {
  const now = Date.parse('2026-03-01T12:00:00Z');

  it('reads delay-seconds', () => {
    expect(parseRetryAfter('120', now)).toBe(120);
    expect(parseRetryAfter(' 0 ', now)).toBe(0);
  });

  it('reads an HTTP-date as seconds from now, rounded up', () => {
    expect(parseRetryAfter('Sun, 01 Mar 2026 12:02:00 GMT', now)).toBe(120);
    expect(parseRetryAfter('Sun, 01 Mar 2026 12:00:00 GMT', now + 500)).toBe(0);
    expect(parseRetryAfter('Sun, 01 Mar 2026 12:00:01 GMT', now + 500)).toBe(1);
  });

  it('gives 0 for an HTTP-date in the past', () => {
    expect(parseRetryAfter('Sat, 28 Feb 2026 12:00:00 GMT', now)).toBe(0);
  });

  it.each([null, undefined, '', '-5', '1.5', 'soon', '2026-03-01T12:02:00Z', 'Sun, 99 Foo 2026 GMT'])(
    'gives null for %s',
    (value) => {
      expect(parseRetryAfter(value, now)).toBeNull();
    },
  );
});
