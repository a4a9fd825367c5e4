// Two variants compared in rounds on this shared machine. Measured back to back, the second of a
// pair runs measurably slower than the first (an A/A run of two identical servers gave per-round
// ratios 0.96, 1.13, 0.86, 1.00: whatever the first leaves behind, a flush, a vacuum, a GC, lands
// on the second). So rounds come in pairs, A B then B A, a pause lets the machine settle before
// each measurement, and a ratio is taken over each pair's totals (the position cancels out), the
// median over pairs being the result.
import { setTimeout as delay } from 'node:timers/promises';

const SETTLE_MS = 2_000;

/** An even number of rounds, at least two, so each variant goes first as often as the other. */
export const pairedRounds = (rounds: number) => Math.max(2, rounds + (rounds % 2));

/** The order of round `round` (0-based): [a, b] then [b, a]. */
export function orderOf<T>(round: number, a: T, b: T): [T, T] {
  return round % 2 === 0 ? [a, b] : [b, a];
}

/** Waits for the machine to settle between two measurements. */
export const settle = () => delay(SETTLE_MS);

/** The median over round pairs of (sum of `mine` in the pair) / (sum of `base` in the pair). */
export function pairedRatio(mine: readonly number[], base: readonly number[]): { ratio: number; pairs: number[] } {
  const pairs: number[] = [];
  for (let i = 0; i + 1 < mine.length && i + 1 < base.length; i += 2) pairs.push((mine[i]! + mine[i + 1]!) / (base[i]! + base[i + 1]!));
  return { ratio: median(pairs), pairs };
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((x, y) => x - y);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}
