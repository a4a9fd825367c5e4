import { describe, expect, it } from 'vitest';
import { isMultipleOf } from './decimal.ts';

describe('isMultipleOf', () => {
  it('accepts every whole number of cents, including those binary floating point cannot hold', () => {
    for (let cents = 0; cents < 100_000; cents += 7) expect(isMultipleOf(cents / 100, 0.01), String(cents / 100)).toBe(true);
    for (const value of [19.99, 1.15, 0.07, 0.29, 4.35, 1234567.89, 9_999_999_999.99]) expect(isMultipleOf(value, 0.01)).toBe(true);
  });

  it('refuses fractions of a cent', () => {
    for (const value of [1.005, 0.001, 19.999, 0.015, 1e-7]) expect(isMultipleOf(value, 0.01), String(value)).toBe(false);
  });

  it('works for integer and other divisors too', () => {
    expect(isMultipleOf(15, 5)).toBe(true);
    expect(isMultipleOf(16, 5)).toBe(false);
    expect(isMultipleOf(0.75, 0.25)).toBe(true);
    expect(isMultipleOf(0.8, 0.25)).toBe(false);
    expect(isMultipleOf(3e21, 1e21)).toBe(true);
  });
});
