/**
 * faro_http_requests_total and faro_http_request_duration_seconds, counted in plain numbers on the
 * request path and formatted by prom-client only when scraped. prom-client's own `inc` and
 * `observe` build and hash a label object per call: 2–5 µs per request in the API process on
 * bench:api's cheapest read (perf, and the same server with them switched off and on), where
 * this is two Map lookups by the route template's own string and a few additions.
 *
 * prom-client's registry reads a metric through `get()` and clears it with `reset()`
 * (lib/registry.js); the two objects below answer those as its Counter and Histogram would, with
 * the same names, labels and label order, so the exposition is unchanged.
 */
import type { Metric, Registry } from 'prom-client';

interface Line {
  metricName?: string;
  labels: Record<string, string | number>;
  value: number;
}

interface Series {
  method: string;
  route: string;
  byStatus: Map<number, number>;
  /** Observations per bucket, not cumulative: bucket i holds bounds[i-1] < v <= bounds[i]; the last, v > every bound. */
  buckets: Float64Array;
  sum: number;
  count: number;
}

export interface HttpSeries {
  record(method: string, route: string, status: number, seconds: number): void;
}

export function registerHttpSeries(registry: Registry, names: { requests: string; requestsHelp: string; duration: string; durationHelp: string; buckets: number[] }): HttpSeries {
  const bounds = [...names.buckets].sort((a, b) => a - b);
  const byRoute = new Map<string, Map<string, Series>>();

  function seriesOf(method: string, route: string): Series {
    let byMethod = byRoute.get(route);
    if (!byMethod) byRoute.set(route, (byMethod = new Map()));
    let series = byMethod.get(method);
    if (!series) {
      series = { method, route, byStatus: new Map(), buckets: new Float64Array(bounds.length + 1), sum: 0, count: 0 };
      byMethod.set(method, series);
    }
    return series;
  }

  const all = () => [...byRoute.values()].flatMap((byMethod) => [...byMethod.values()]);
  const reset = () => byRoute.clear();

  const requests = {
    name: names.requests,
    help: names.requestsHelp,
    type: 'counter',
    aggregator: 'sum',
    reset,
    async get() {
      const values: Line[] = all().flatMap(({ method, route, byStatus }) => [...byStatus].map(([status, value]) => ({ labels: { method, route, status }, value })));
      return { name: names.requests, help: names.requestsHelp, type: 'counter', aggregator: 'sum', values };
    },
  };

  const duration = {
    name: names.duration,
    help: names.durationHelp,
    type: 'histogram',
    aggregator: 'sum',
    reset,
    async get() {
      const values: Line[] = all().flatMap(({ method, route, buckets, sum, count }) => {
        let cumulative = 0;
        const lines: Line[] = bounds.map((le, i) => {
          cumulative += buckets[i]!;
          return { metricName: `${names.duration}_bucket`, labels: { le, method, route }, value: cumulative };
        });
        lines.push({ metricName: `${names.duration}_bucket`, labels: { le: '+Inf', method, route }, value: count });
        lines.push({ metricName: `${names.duration}_sum`, labels: { method, route }, value: sum });
        lines.push({ metricName: `${names.duration}_count`, labels: { method, route }, value: count });
        return lines;
      });
      return { name: names.duration, help: names.durationHelp, type: 'histogram', aggregator: 'sum', values };
    },
  };

  // Duck-typed as prom-client's Metric: see the comment at the top.
  registry.registerMetric(requests as unknown as Metric);
  registry.registerMetric(duration as unknown as Metric);

  return {
    record(method, route, status, seconds) {
      const series = seriesOf(method, route);
      series.byStatus.set(status, (series.byStatus.get(status) ?? 0) + 1);
      let bucket = 0;
      while (bucket < bounds.length && seconds > bounds[bucket]!) bucket++;
      series.buckets[bucket] = series.buckets[bucket]! + 1;
      series.sum += seconds;
      series.count += 1;
    },
  };
}
