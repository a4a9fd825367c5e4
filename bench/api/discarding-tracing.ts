// The OpenTelemetry SDK as tracing.ts starts it, but with an exporter that drops every batch: what
// recording the spans costs the server, without the cost of serialising and sending them.
import { NodeSDK } from '@opentelemetry/sdk-node';
import type { Tracing } from '../../src/observability/tracing.ts';

export function startDiscardingTracing(): Tracing {
  const sdk = new NodeSDK({
    serviceName: 'faro-bench',
    metricReaders: [],
    logRecordProcessors: [],
    traceExporter: {
      export: (_spans, done) => done({ code: 0 }),
      shutdown: async () => undefined,
    },
  });
  sdk.start();
  return { shutdown: () => sdk.shutdown() };
}
