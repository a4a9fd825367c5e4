import { describe, expect, it } from 'vitest';
import { Counter, Histogram, Registry } from 'prom-client';
import { registerHttpSeries } from './http-series.ts';

const names = { requests: 'test_requests_total', requestsHelp: 'Requests.', duration: 'test_duration_seconds', durationHelp: 'Durations.', buckets: [0.001, 0.0025, 0.005, 0.01, 1] };

/** The same two metrics kept by prom-client's own Counter and Histogram: the reference. */
function reference() {
  const registry = new Registry();
  const requests = new Counter({ name: names.requests, help: names.requestsHelp, labelNames: ['method', 'route', 'status'] as const, registers: [registry] });
  const duration = new Histogram({ name: names.duration, help: names.durationHelp, labelNames: ['method', 'route'] as const, buckets: names.buckets, registers: [registry] });
  return {
    registry,
    record(method: string, route: string, status: number, seconds: number) {
      requests.inc({ method, route, status });
      duration.observe({ method, route }, seconds);
    },
  };
}

describe('HTTP series counted outside prom-client', () => {
  it('expose the lines prom-client would for the same requests, bucket edges included', async () => {
    const registry = new Registry();
    const series = registerHttpSeries(registry, names);
    const expected = reference();
    const routes = ['/api/v1/locations/:id', '/api/v1/leads', 'unrouted'];
    const methods = ['GET', 'POST', 'OTHER'];
    const statuses = [200, 201, 404, 429, 500];
    // Values on every bound, just either side of it, past the last, and zero.
    const values = [0, ...names.buckets.flatMap((b) => [b - 1e-9, b, b + 1e-9]), 12.5];
    let i = 0;
    for (const value of values) {
      for (let repeat = 0; repeat < 3; repeat++) {
        const call = [methods[i % 3]!, routes[(i >> 1) % 3]!, statuses[i % 5]!, value] as const;
        series.record(...call);
        expected.record(...call);
        i++;
      }
    }
    // Line for line; only the order of the series may differ, which Prometheus ignores.
    const lines = async (of: Registry) => (await of.metrics()).split('\n').sort();
    expect(await lines(registry)).toEqual(await lines(expected.registry));
  });

  it('start again from nothing when the registry resets its metrics', async () => {
    const registry = new Registry();
    const series = registerHttpSeries(registry, names);
    series.record('GET', '/x', 200, 0.002);
    registry.resetMetrics();
    series.record('GET', '/x', 200, 0.002);
    const text = await registry.metrics();
    expect(text).toContain('test_requests_total{method="GET",route="/x",status="200"} 1');
    expect(text).toContain('test_duration_seconds_count{method="GET",route="/x"} 1');
  });
});
