/** Latencies in ms, ascending; a delivery that never arrived counts as Infinity (later than any). */
export interface Latencies {
  sorted: number[];
  percentile(p: number): number;
  /** How many arrived. */
  arrived: number;
}

/**
 * Event → delivery latencies from the moments events were raised and the receiver's arrivals
 * (webhook-id = event id). The first arrival of an event counts; an event with none is Infinity.
 */
export function latencies(raisedAt: Map<string, number>, arrivals: [string, number][], perEvent = 1): Latencies {
  const byEvent = new Map<string, number[]>();
  for (const [id, at] of arrivals) {
    if (!raisedAt.has(id)) continue;
    const list = byEvent.get(id) ?? [];
    list.push(at - raisedAt.get(id)!);
    byEvent.set(id, list);
  }
  const sorted: number[] = [];
  for (const id of raisedAt.keys()) {
    const got = (byEvent.get(id) ?? []).sort((a, b) => a - b).slice(0, perEvent);
    sorted.push(...got, ...Array<number>(perEvent - got.length).fill(Number.POSITIVE_INFINITY));
  }
  sorted.sort((a, b) => a - b);
  return {
    sorted,
    arrived: sorted.filter(Number.isFinite).length,
    percentile: (p) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN,
  };
}

export function formatMs(ms: number, budgetS?: number): string {
  if (ms === Number.POSITIVE_INFINITY) return budgetS === undefined ? 'never' : `> ${budgetS.toLocaleString('en')} s`;
  if (ms >= 10_000) return `${(ms / 1000).toFixed(1)} s`;
  return `${Math.round(ms).toLocaleString('en')} ms`;
}

export const mean = (values: number[]) => values.reduce((sum, value) => sum + value, 0) / values.length;
